import { compareSteps, FleetMetrics, Histogram, type MetricsSnapshot, RELYING_PARTY_METRICS } from "../metrics/index.js";

export interface StepStats {
  step: string;
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** Rounds to the microsecond: below the histogram's resolution anyway, and keeps reports short. */
export const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000;

export function histogramStats(step: string, h: Histogram): StepStats {
  return {
    step,
    count: h.count,
    min: roundMs(h.min),
    mean: roundMs(h.mean),
    p50: roundMs(h.percentile(50)),
    p90: roundMs(h.percentile(90)),
    p95: roundMs(h.percentile(95)),
    p99: roundMs(h.percentile(99)),
    max: roundMs(h.max),
  };
}

/**
 * Per-step latency statistics from merged histograms, flow order first; steps with no samples are left out, and so
 * are the relying parties' revocation-to-refusal histograms (simulated time, not a step's wall-clock latency).
 */
export function stepStats(snapshot: MetricsSnapshot): StepStats[] {
  return Object.keys(snapshot.latency)
    .filter((name) => !name.startsWith(RELYING_PARTY_METRICS.revocationPrefix))
    .sort(compareSteps)
    .map((step) => histogramStats(step, Histogram.fromJSON(snapshot.latency[step]!)))
    .filter((s) => s.count > 0);
}

/** Failures by reason (`failed:<reason>` counters). */
export function errorsByReason(snapshot: MetricsSnapshot): Record<string, number> {
  return FleetMetrics.fromSnapshot(snapshot).failuresByReason();
}
