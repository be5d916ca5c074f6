import { DpclabError } from "../../src/errors.js";
import { FleetMetrics, type MetricsSnapshot } from "./metrics.js";

/**
 * k6-style thresholds: `<metric>[.<aggregation>] <op> <value>[unit]`, e.g. `renew.p95<200ms`, `enrol.p99<=1.5s`,
 * `errors.rate<0.01`, `failed<5`, `checks.rate>=99%`.
 *
 * - Latency aggregations of a flow step: p50, p95, p99.9, p(95), min, max, mean/avg, med — values in ms
 *   (units us/µs, ms, s, m).
 * - Counters: the bare name (its value), `.count`, or `.rate` (value ÷ the `devices` counter); a name with no counter of
 *   its own sums its `name:*` family, and `errors` means `failed` unless an `errors` counter exists.
 * - `checks.rate`: the fraction of checks that passed. Rates accept `%`.
 */

export type ThresholdOp = "<" | "<=" | ">" | ">=" | "==" | "!=";

export type Aggregation = { kind: "percentile"; p: number } | { kind: "min" | "max" | "mean" } | { kind: "value" | "count" | "rate" };

export interface Threshold {
  expression: string;
  metric: string;
  aggregation: Aggregation;
  op: ThresholdOp;
  /** In ms for latency aggregations, a fraction for rates, a plain number otherwise. */
  value: number;
}

export interface ThresholdResult {
  expression: string;
  ok: boolean;
  /** The measured value (same unit as `value`), or null when there was nothing to measure. */
  actual: number | null;
  unit: "ms" | "ratio" | "count";
  /** Why `actual` is null, when it is. */
  detail?: string;
}

const OPS: ThresholdOp[] = ["<=", ">=", "==", "!=", "<", ">"];
const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_:-]*$/;
const NUMBER_UNIT = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(us|µs|ms|s|m|%)?$/;
const MS_PER_UNIT: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000 };

function bad(expression: string, why: string): DpclabError {
  return new DpclabError(`bad threshold ${JSON.stringify(expression)}: ${why}`, "bad-threshold");
}

function parseAggregation(expression: string, text: string | undefined): Aggregation {
  if (text === undefined) return { kind: "value" };
  const p = /^p\(?(\d+(?:\.\d+)?)\)?$/.exec(text);
  if (p) {
    const n = Number(p[1]);
    if (n > 100) throw bad(expression, `percentile "${text}" is above 100`);
    return { kind: "percentile", p: n };
  }
  switch (text) {
    case "med":
      return { kind: "percentile", p: 50 };
    case "avg":
    case "mean":
      return { kind: "mean" };
    case "min":
    case "max":
    case "count":
    case "rate":
      return { kind: text };
    default:
      throw bad(expression, `unknown aggregation "${text}" (use p50…p99.9, p(95), min, max, mean, avg, med, count or rate)`);
  }
}

const isLatency = (a: Aggregation) => a.kind === "percentile" || a.kind === "min" || a.kind === "max" || a.kind === "mean";

export function parseThreshold(expression: string): Threshold {
  const text = expression.trim();
  const at = text.search(/[<>=!]/);
  if (at < 0) throw bad(expression, "no comparison operator (use <, <=, >, >=, == or !=)");
  const left = text.slice(0, at).trim();
  let rest = text.slice(at);
  const op = OPS.find((o) => rest.startsWith(o));
  if (!op) throw bad(expression, `"${rest.slice(0, 2)}" is not an operator (use <, <=, >, >=, == or !=)`);
  rest = rest.slice(op.length);
  if (op === "==" && rest.startsWith("=")) rest = rest.slice(1); // k6 also spells it ===
  const right = rest.trim();

  const dot = left.indexOf(".");
  const metric = dot < 0 ? left : left.slice(0, dot);
  const aggText = dot < 0 ? undefined : left.slice(dot + 1);
  if (!METRIC_NAME.test(metric)) throw bad(expression, `"${metric}" is not a metric name (letters, digits, _ : -)`);
  const aggregation = parseAggregation(expression, aggText);
  if (metric === "checks" && aggregation.kind !== "rate") throw bad(expression, `"checks" only supports .rate, not "${aggText ?? ""}"`);

  const m = NUMBER_UNIT.exec(right);
  if (!m) throw bad(expression, `"${right}" is not a number with an optional unit (us, ms, s, m, %)`);
  let value = Number(m[1]);
  const unit = m[2];
  if (isLatency(aggregation)) {
    if (unit === "%") throw bad(expression, `"%" is not a duration unit`);
    value *= MS_PER_UNIT[unit ?? "ms"]!;
  } else if (unit === "%") {
    if (aggregation.kind !== "rate") throw bad(expression, `"%" only applies to .rate`);
    value /= 100;
  } else if (unit !== undefined) {
    throw bad(expression, `"${unit}" is a duration unit, but ${left} is not a latency`);
  }
  return { expression: text, metric, aggregation, op, value };
}

function compare(actual: number, op: ThresholdOp, limit: number): boolean {
  switch (op) {
    case "<":
      return actual < limit;
    case "<=":
      return actual <= limit;
    case ">":
      return actual > limit;
    case ">=":
      return actual >= limit;
    case "==":
      return actual === limit;
    case "!=":
      return actual !== limit;
  }
}

function measure(t: Threshold, m: FleetMetrics): Omit<ThresholdResult, "expression" | "ok"> {
  const a = t.aggregation;
  if (isLatency(a)) {
    const h = m.latency(t.metric);
    // A threshold on a step that never ran is breached: an empty renew histogram must not pass `renew.p95<200ms`.
    if (!h || h.count === 0) return { actual: null, unit: "ms", detail: `no samples for ${t.metric}` };
    const actual = a.kind === "percentile" ? h.percentile(a.p) : a.kind === "min" ? h.min : a.kind === "max" ? h.max : h.mean;
    return { actual, unit: "ms" };
  }
  if (t.metric === "checks") {
    let passes = 0;
    let total = 0;
    for (const c of Object.values(m.checks())) {
      passes += c.passes;
      total += c.passes + c.fails;
    }
    return total ? { actual: passes / total, unit: "ratio" } : { actual: null, unit: "ratio", detail: "no checks ran" };
  }
  const value = t.metric === "errors" && m.counter("errors") === 0 ? m.counter("failed") : m.counter(t.metric);
  if (a.kind === "count" && m.latency(t.metric)) return { actual: m.latency(t.metric)!.count, unit: "count" };
  if (a.kind === "rate") {
    const devices = m.counter("devices");
    return devices ? { actual: value / devices, unit: "ratio" } : { actual: null, unit: "ratio", detail: "no devices counted" };
  }
  return { actual: value, unit: "count" };
}

/** Evaluates thresholds against merged metrics; a threshold with nothing to measure is reported breached. */
export function evaluateThresholds(thresholds: readonly (string | Threshold)[], metrics: FleetMetrics | MetricsSnapshot): ThresholdResult[] {
  const m = metrics instanceof FleetMetrics ? metrics : FleetMetrics.fromSnapshot(metrics);
  return thresholds.map((input) => {
    const t = typeof input === "string" ? parseThreshold(input) : input;
    const r = measure(t, m);
    return { expression: t.expression, ok: r.actual !== null && compare(r.actual, t.op, t.value), ...r };
  });
}
