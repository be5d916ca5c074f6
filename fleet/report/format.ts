import type { ThresholdResult } from "../metrics/index.js";

/** A latency for people: 812µs, 153.2ms, 1.62s, 2.5m. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  if (ms < 1) return `${(ms * 1000).toFixed(0)}µs`;
  if (ms < 1000) return `${ms < 100 ? ms.toFixed(2) : ms.toFixed(1)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  return `${(ms / 60_000).toFixed(1)}m`;
}

/** A threshold's measured value in its own unit. */
export function formatActual(t: ThresholdResult): string {
  if (t.actual === null) return t.detail ?? "no data";
  if (t.unit === "ms") return formatMs(t.actual);
  if (t.unit === "ratio") return `${(t.actual * 100).toFixed(2)}%`;
  return String(t.actual);
}

/** Cuts a name to `width` columns with an ellipsis, so long names never break a terminal table. */
export function clip(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join("")}…`;
}
