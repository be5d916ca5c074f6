import { SERIES } from "../metrics/index.js";
import { clip, formatActual, formatMs } from "./format.js";
import { relyingPartyCells, relyingPartyFigures } from "./relying-party-figures.js";
import { type RunResult, simulatedDays, thresholdsHeld, wallSeconds } from "./run-result.js";
import { errorsByReason, stepStats } from "./step-stats.js";

/** Everything here fits 100 columns except the replay command, which stays on one line so it can be pasted. */
const WIDTH = 100;
const INDENT = "    ";
const PASS = "✓";
const FAIL = "✗";

/** `name ........ value` in k6's style, `width` columns wide before the value. */
const dotted = (name: string, width: number) => {
  const n = clip(name, width - 1);
  return `${n} ${".".repeat(Math.max(0, width - [...n].length - 1))}`;
};
const section = (title: string) => ["", `  █ ${title}`, ""];
const number = (n: number) => n.toLocaleString("en-US");

function thresholdLines(r: RunResult): string[] {
  if (r.thresholds.length === 0) return [`${INDENT}(none — add --threshold 'renew.p95<200ms')`];
  return r.thresholds.map((t) => `${INDENT}${t.ok ? PASS : FAIL} ${dotted(t.expression, 50)} actual ${clip(formatActual(t), 34)}`);
}

function checkLines(r: RunResult): string[] {
  const checks = Object.entries(r.metrics.checks);
  if (checks.length === 0) return [`${INDENT}(none)`];
  return checks.map(([name, c]) => {
    const total = c.passes + c.fails;
    const rate = total ? `${((c.passes / total) * 100).toFixed(2)}%` : "-";
    return `${INDENT}${c.fails ? FAIL : PASS} ${dotted(name, 50)} ${rate.padStart(7)}  ${PASS} ${number(c.passes)}  ${FAIL} ${number(c.fails)}`;
  });
}

function latencyLines(r: RunResult): string[] {
  const stats = stepStats(r.metrics);
  if (stats.length === 0) return [`${INDENT}(no samples)`];
  const cols = ["count", "p50", "p90", "p95", "p99", "max"];
  const header = `${INDENT}${"step".padEnd(22)}${cols.map((c) => c.padStart(11)).join("")}`;
  const rows = stats.map(
    (s) =>
      `${INDENT}${clip(s.step, 21).padEnd(22)}${number(s.count).padStart(11)}` +
      [s.p50, s.p90, s.p95, s.p99, s.max].map((v) => formatMs(v).padStart(11)).join(""),
  );
  return [header, ...rows];
}

function throughputLines(r: RunResult): string[] {
  const secs = wallSeconds(r);
  const days = simulatedDays(r);
  const o = r.outcome;
  const lines = [
    `${INDENT}wall ${secs.toFixed(1)}s · simulated ${days.toFixed(0)} days (${r.simulated.start} → ${r.simulated.end})`,
    `${INDENT}devices ${number(o.devices)} · enrolled ${number(o.enrolled)} · renewed ${number(o.renewed)} · ` +
      `failed ${number(Object.values(o.failed).reduce((a, b) => a + b, 0))}` +
      (Object.keys(o.retired).length
        ? ` · ${Object.entries(o.retired)
            .map(([k, n]) => `${k} ${number(n)}`)
            .join(" · ")}`
        : ""),
  ];
  for (const s of stepStats(r.metrics)) lines.push(`${INDENT}${dotted(s.step, 30)} ${(s.count / secs).toFixed(1).padStart(10)}/s wall`);
  const renewals = Object.values(r.metrics.series[SERIES.renewalsPerSimDay] ?? {}).map((row) => row.renewals ?? 0);
  if (renewals.length) lines.push(`${INDENT}${dotted("renewals on busiest sim day", 30)} ${number(Math.max(...renewals)).padStart(10)}`);
  if (r.storm)
    lines.push(
      `${INDENT}${dotted("renewal storm", 30)} ${number(r.storm.renewals).padStart(10)} renewals in ${r.storm.wallSeconds.toFixed(1)} s wall = ${r.storm.renewalsPerSecond.toFixed(1)}/s`,
    );
  for (const [k, v] of Object.entries(o.counts)) lines.push(`${INDENT}${dotted(k, 30)} ${number(v).padStart(10)}`);
  return lines;
}

function relyingPartyLines(r: RunResult): string[] {
  const figures = Object.entries(relyingPartyFigures(r));
  const header =
    `${INDENT}${"kind".padEnd(7)}${"accepted".padStart(9)}  ${"refused".padEnd(26)}${["p50", "p95", "p99"].map((c) => c.padStart(9)).join("")}` +
    `${"revoked→refused p50/max".padStart(25)}${"never".padStart(7)}${"errors".padStart(8)}`;
  const rows = figures.map(([kind, f]) => {
    const c = relyingPartyCells(f);
    return (
      `${INDENT}${kind.padEnd(7)}${number(f.accepted).padStart(9)}  ${clip(c.refused, 25).padEnd(26)}` +
      c.latency.map((v) => v.padStart(9)).join("") +
      `${c.revocationToRefusal.padStart(25)}${number(f.neverRefused).padStart(7)}${number(c.errors).padStart(8)}`
    );
  });
  const said = figures.flatMap(([kind, f]) => [
    `${INDENT}${clip(`${kind}: ${f.relyingParty}`, WIDTH - INDENT.length)}`,
    ...Object.entries(f.lines).map(([verdict, line]) => `${INDENT}  ${clip(`${verdict}: ${line}`, WIDTH - INDENT.length - 2)}`),
  ]);
  return [header, ...rows, "", ...said];
}

function errorLines(r: RunResult): string[] {
  const errors = Object.entries(errorsByReason(r.metrics));
  if (errors.length === 0) return [`${INDENT}(none)`];
  return errors.sort(([, a], [, b]) => b - a).map(([reason, n]) => `${INDENT}${dotted(reason, 60)} ${number(n).padStart(10)}`);
}

/** The k6-style end-of-run summary for a terminal. */
export function summaryText(r: RunResult): string {
  const held = thresholdsHeld(r);
  const breached = r.thresholds.filter((t) => !t.ok).length;
  const verdict = held ? `${PASS} all ${r.thresholds.length} thresholds held` : `${FAIL} ${breached} of ${r.thresholds.length} thresholds breached`;
  const incidents = r.incidents ?? [];
  const lines = [
    "",
    clip(`  dpclab fleet run · seed ${r.seed} · ${verdict}${incidents.length ? ` · ${FAIL} the lab server failed` : ""}`, WIDTH),
    // First, so nobody reads the failures below as the fleet's own: the server itself went away.
    ...(incidents.length || r.notes?.length
      ? [...section("LAB SERVER"), ...incidents.map((i) => `${INDENT}${FAIL} ${i}`), ...(r.notes ?? []).map((n) => `${INDENT}${PASS} ${n}`)]
      : []),
    ...section("THRESHOLDS"),
    ...thresholdLines(r),
    ...section("CHECKS"),
    ...checkLines(r),
    ...section("LATENCY (merged histograms, all workers)"),
    ...latencyLines(r),
    ...section("THROUGHPUT"),
    ...throughputLines(r),
    ...(r.relyingParties ? [...section("RELYING PARTIES (real servers; revocation to refusal in simulated time)"), ...relyingPartyLines(r)] : []),
    ...section("ERRORS BY REASON"),
    ...errorLines(r),
    "",
    `  seed ${r.seed} · replay with:`,
    `    ${r.command}`,
    "",
  ];
  return lines.join("\n");
}
