import type { MetricsSnapshot, ThresholdResult } from "../metrics/index.js";

/**
 * Counts that describe how a run ended, and nothing time-dependent: two runs with the same seed and options must
 * produce identical outcomes (reports sort its keys so the JSON is byte-identical too).
 */
export interface RunOutcome {
  devices: number;
  enrolled: number;
  renewed: number;
  /** Devices that ended without a valid credential, by reason. */
  failed: Record<string, number>;
  /** Devices that left the fleet on purpose, by reason (lost, unenrolled): accounted for, not failed. */
  retired: Record<string, number>;
  /** Any other counts the runner keeps (platforms, issuers, renewals, re-enrolments, faults by kind, …). */
  counts: Record<string, number>;
}

/** What a fleet run hands the reports. Checks are in `metrics.checks`, errors by reason in `failed:<reason>` counters. */
export interface RunResult {
  seed: number | string;
  /** The command line that replays this run (same seed, same options). */
  command: string;
  options: Record<string, unknown>;
  /** Wall-clock start and end, ISO 8601. */
  wall: { startedAt: string; finishedAt: string };
  /** Simulated start and end, ISO 8601. */
  simulated: { start: string; end: string };
  outcome: RunOutcome;
  metrics: MetricsSnapshot;
  thresholds: ThresholdResult[];
  /** With the renewal-storm preset: its instant and throughput (renewals per wall-clock second, all workers). */
  storm?: { at: string; renewals: number; wallSeconds: number; renewalsPerSecond: number };
  /** Trouble with a served lab itself (it restarted, or refused connections): the run failed, whatever the thresholds say. */
  incidents?: string[];
  /** What a served lab went through that the run rode out (it was unreachable and came back with its state). */
  notes?: string[];
  /**
   * With --relying-parties: each kind that ran, as it describes itself (program, port, status check), and its own
   * line for the first verdict of each kind (its counts and latencies are in `metrics`, fleet/metrics/names.ts).
   */
  relyingParties?: Record<string, { relyingParty: string; lines: Record<string, string> }>;
}

/** Wall-clock duration of the run in seconds (at least 1 ms, so rates stay finite). */
export function wallSeconds(r: RunResult): number {
  return Math.max(0.001, (Date.parse(r.wall.finishedAt) - Date.parse(r.wall.startedAt)) / 1000);
}

/** Simulated duration in days. */
export function simulatedDays(r: RunResult): number {
  return (Date.parse(r.simulated.end) - Date.parse(r.simulated.start)) / 86_400_000;
}

/** True when every threshold held (a breach means a non-zero exit). */
export function thresholdsHeld(r: RunResult): boolean {
  return r.thresholds.every((t) => t.ok);
}

/** True when the run can be trusted and passed: thresholds held and the served lab stayed up. */
export function runPassed(r: RunResult): boolean {
  return thresholdsHeld(r) && !r.incidents?.length;
}
