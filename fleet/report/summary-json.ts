import type { ThresholdResult } from "../metrics/index.js";
import { type JsonSchema, validateJson } from "./json-schema.js";
import { type RelyingPartyFigures, relyingPartyFigures } from "./relying-party-figures.js";
import { type RunOutcome, type RunResult, runPassed, wallSeconds } from "./run-result.js";
import { errorsByReason, stepStats } from "./step-stats.js";

export const SUMMARY_FORMAT = "dpclab.fleet.summary/1";

export interface StepLatency {
  count: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** The shape of `summary.json`; SUMMARY_SCHEMA documents it and `validateSummary` checks it. */
export interface Summary {
  format: typeof SUMMARY_FORMAT;
  seed: number | string;
  command: string;
  options: Record<string, unknown>;
  /** True when every threshold held and the served lab (if any) stayed up. */
  ok: boolean;
  wall: { startedAt: string; finishedAt: string; seconds: number };
  simulated: { start: string; end: string };
  /** Counts only, nothing time-dependent: identical for runs with the same seed and options. */
  outcome: RunOutcome;
  /** Per flow step, milliseconds, from histograms merged across workers. */
  latency: Record<string, StepLatency>;
  /** Completed steps per wall-clock second. */
  throughput: Record<string, number>;
  errors: Record<string, number>;
  checks: Record<string, { passes: number; fails: number }>;
  thresholds: ThresholdResult[];
  storm?: RunResult["storm"];
  /** What went wrong with a served lab itself (it restarted, or refused connections). */
  incidents?: string[];
  /** What a served lab went through that the run rode out (unreachable, then back with its state). */
  notes?: string[];
  /** With --relying-parties: per kind, what the real relying party accepted and refused, and how fast. */
  relyingParties?: Record<string, RelyingPartyFigures>;
}

const count: JsonSchema = { type: "integer", minimum: 0 };
const ms: JsonSchema = { type: "number", minimum: 0 };
const counts: JsonSchema = { type: "object", additionalProperties: count };
const closed = (properties: Record<string, JsonSchema>, optional: string[] = []): JsonSchema => ({
  type: "object",
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  additionalProperties: false,
});

export const SUMMARY_SCHEMA: JsonSchema = closed(
  {
    format: { type: "string" },
    seed: {},
    command: { type: "string" },
    options: { type: "object" },
    ok: { type: "boolean" },
    wall: closed({ startedAt: { type: "string" }, finishedAt: { type: "string" }, seconds: ms }),
    simulated: closed({ start: { type: "string" }, end: { type: "string" } }),
    outcome: closed({ devices: count, enrolled: count, renewed: count, failed: counts, retired: counts, counts }),
    latency: { type: "object", additionalProperties: closed({ count, p50: ms, p90: ms, p95: ms, p99: ms, max: ms }) },
    throughput: { type: "object", additionalProperties: ms },
    errors: counts,
    checks: { type: "object", additionalProperties: closed({ passes: count, fails: count }) },
    thresholds: {
      type: "array",
      items: closed(
        { expression: { type: "string" }, ok: { type: "boolean" }, actual: { type: ["number", "null"] }, unit: { type: "string" }, detail: { type: "string" } },
        ["detail"],
      ),
    },
    storm: closed({ at: { type: "string" }, renewals: count, wallSeconds: ms, renewalsPerSecond: ms }),
    incidents: { type: "array", items: { type: "string" } },
    notes: { type: "array", items: { type: "string" } },
    relyingParties: {
      type: "object",
      additionalProperties: closed({
        relyingParty: { type: "string" },
        accepted: count,
        refused: counts,
        latency: closed({ count, p50: ms, p90: ms, p95: ms, p99: ms, max: ms }),
        revocationToRefusal: closed({ count, p50: ms, p95: ms, max: ms }),
        neverRefused: count,
        refusedValid: count,
        unavailable: count,
        lines: { type: "object", additionalProperties: { type: "string" } },
      }),
    },
  },
  ["storm", "incidents", "notes", "relyingParties"],
);

/** Checks an object against the documented `summary.json` shape; returns the violations (empty when valid). */
export function validateSummary(obj: unknown): { ok: boolean; errors: string[] } {
  const errors = validateJson(obj, SUMMARY_SCHEMA);
  if (errors.length === 0 && (obj as Summary).format !== SUMMARY_FORMAT) errors.push(`$.format: expected ${SUMMARY_FORMAT}`);
  return { ok: errors.length === 0, errors };
}

const sortedRecord = (r: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The outcome with a fixed key order, so equal runs serialise byte for byte the same. */
export function canonicalOutcome(o: RunOutcome): RunOutcome {
  return {
    devices: o.devices,
    enrolled: o.enrolled,
    renewed: o.renewed,
    failed: sortedRecord(o.failed),
    retired: sortedRecord(o.retired),
    counts: sortedRecord(o.counts),
  };
}

export function buildSummary(r: RunResult): Summary {
  const seconds = wallSeconds(r);
  const latency: Record<string, StepLatency> = {};
  const throughput: Record<string, number> = {};
  for (const s of stepStats(r.metrics)) {
    latency[s.step] = { count: s.count, p50: s.p50, p90: s.p90, p95: s.p95, p99: s.p99, max: s.max };
    throughput[s.step] = Math.round((s.count / seconds) * 100) / 100;
  }
  return {
    format: SUMMARY_FORMAT,
    seed: r.seed,
    command: r.command,
    options: r.options,
    ok: runPassed(r),
    wall: { startedAt: r.wall.startedAt, finishedAt: r.wall.finishedAt, seconds: Math.round(seconds * 1000) / 1000 },
    simulated: { ...r.simulated },
    outcome: canonicalOutcome(r.outcome),
    latency,
    throughput,
    errors: errorsByReason(r.metrics),
    checks: r.metrics.checks,
    // null survives JSON; NaN would not.
    thresholds: r.thresholds.map((t) => ({ ...t, actual: t.actual !== null && Number.isFinite(t.actual) ? t.actual : null })),
    ...(r.storm ? { storm: r.storm } : {}),
    ...(r.incidents?.length ? { incidents: r.incidents } : {}),
    ...(r.notes?.length ? { notes: r.notes } : {}),
    ...(r.relyingParties ? { relyingParties: relyingPartyFigures(r) } : {}),
  };
}

/** `summary.json` text. */
export function summaryJson(r: RunResult): string {
  return `${JSON.stringify(buildSummary(r), null, 2)}\n`;
}
