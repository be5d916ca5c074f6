import { DpclabError } from "../../src/errors.js";
import { Histogram, type HistogramJSON } from "./histogram.js";
import { compareSteps, FAILED_PREFIX } from "./names.js";
import { TimeSeries, type TimeSeriesJSON, wallSecond } from "./series.js";

const METRICS_SNAPSHOT_VERSION = 1;

/** Plain JSON a worker posts over a MessagePort; the main thread merges them with `mergeSnapshot`. */
export interface MetricsSnapshot {
  version: typeof METRICS_SNAPSHOT_VERSION;
  /** step → latency histogram (ms). */
  latency: Record<string, HistogramJSON>;
  /** step → wall-clock epoch second → latency histogram: latency over time, mergeable like the totals. */
  latencyPerSecond: Record<string, Record<string, HistogramJSON>>;
  counters: Record<string, number>;
  checks: Record<string, CheckCounts>;
  /** series name → bucket → label → value. */
  series: Record<string, TimeSeriesJSON>;
}

export interface CheckCounts {
  passes: number;
  fails: number;
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

const byKey = <T>(entries: [string, T][]): [string, T][] => entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * The metrics of one fleet run (or one worker's share of it): latency histograms per flow step, counters,
 * checks and time series. Everything merges by addition, so the main thread's totals are exact.
 */
export class FleetMetrics {
  readonly #latency = new Map<string, Histogram>();
  readonly #perSecond = new Map<string, Map<number, Histogram>>();
  readonly #counters = new Map<string, number>();
  readonly #checks = new Map<string, CheckCounts>();
  readonly #series = new Map<string, TimeSeries>();

  /** Records one step's latency; with `wallMs` (epoch ms when it ended) it also feeds latency-over-time. */
  recordLatency(step: string, ms: number, wallMs?: number): void {
    this.#histogram(step).record(ms);
    if (wallMs !== undefined) this.#secondHistogram(step, wallSecond(wallMs)).record(ms);
  }

  /** The step's histogram, or undefined if it never ran. */
  latency(step: string): Histogram | undefined {
    return this.#latency.get(step);
  }

  /** Steps with a histogram, flow order first. */
  steps(): string[] {
    return [...this.#latency.keys()].sort(compareSteps);
  }

  /** Step → epoch second → histogram, for latency-over-time charts. */
  latencyOverTime(step: string): ReadonlyMap<number, Histogram> {
    return this.#perSecond.get(step) ?? new Map();
  }

  increment(name: string, by = 1): void {
    if (!Number.isFinite(by)) throw new DpclabError(`counter ${name} increment must be a number, got ${by}`, "bad-metric");
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + by);
  }

  /** A counter's value; a name with no counter of its own is the sum of its `name:*` family (so `failed` = all reasons). */
  counter(name: string): number {
    const own = this.#counters.get(name);
    if (own !== undefined) return own;
    let sum = 0;
    for (const [key, v] of this.#counters) if (key.startsWith(`${name}:`)) sum += v;
    return sum;
  }

  /** Failures by reason, from the `failed:<reason>` counters. */
  failuresByReason(): Record<string, number> {
    const out: [string, number][] = [];
    for (const [key, v] of this.#counters) if (key.startsWith(FAILED_PREFIX)) out.push([key.slice(FAILED_PREFIX.length), v]);
    return Object.fromEntries(byKey(out));
  }

  /** Counts a check (k6 style: counted, never fails the run by itself). */
  check(name: string, ok: boolean): void {
    const c = this.#checks.get(name) ?? { passes: 0, fails: 0 };
    if (ok) c.passes++;
    else c.fails++;
    this.#checks.set(name, c);
  }

  checks(): Record<string, CheckCounts> {
    return Object.fromEntries(byKey([...this.#checks].map(([k, v]) => [k, { ...v }])));
  }

  /** The named time series, created on first use. */
  series(name: string): TimeSeries {
    return getOrCreate(this.#series, name, () => new TimeSeries());
  }

  seriesNames(): string[] {
    return [...this.#series.keys()].sort();
  }

  snapshot(): MetricsSnapshot {
    return {
      version: METRICS_SNAPSHOT_VERSION,
      latency: Object.fromEntries(byKey([...this.#latency].map(([k, h]) => [k, h.toJSON()]))),
      latencyPerSecond: Object.fromEntries(
        byKey(
          [...this.#perSecond].map(([step, seconds]) => [
            step,
            Object.fromEntries([...seconds].sort(([a], [b]) => a - b).map(([s, h]) => [String(s), h.toJSON()])),
          ]),
        ),
      ),
      counters: Object.fromEntries(byKey([...this.#counters])),
      checks: this.checks(),
      series: Object.fromEntries(byKey([...this.#series].map(([k, s]) => [k, s.toJSON()]))),
    };
  }

  /** Adds a worker's snapshot into these metrics. */
  mergeSnapshot(s: MetricsSnapshot): this {
    if (s?.version !== METRICS_SNAPSHOT_VERSION)
      throw new DpclabError(`metrics snapshot version ${s?.version} is not ${METRICS_SNAPSHOT_VERSION}`, "bad-metric");
    for (const [step, h] of Object.entries(s.latency)) this.#histogram(step).merge(Histogram.fromJSON(h));
    for (const [step, seconds] of Object.entries(s.latencyPerSecond))
      for (const [second, h] of Object.entries(seconds)) this.#secondHistogram(step, Number(second)).merge(Histogram.fromJSON(h));
    for (const [name, v] of Object.entries(s.counters)) this.increment(name, v);
    for (const [name, c] of Object.entries(s.checks)) {
      const mine = this.#checks.get(name) ?? { passes: 0, fails: 0 };
      this.#checks.set(name, { passes: mine.passes + c.passes, fails: mine.fails + c.fails });
    }
    for (const [name, json] of Object.entries(s.series)) this.series(name).merge(TimeSeries.fromJSON(json));
    return this;
  }

  static fromSnapshot(s: MetricsSnapshot): FleetMetrics {
    return new FleetMetrics().mergeSnapshot(s);
  }

  #histogram(step: string): Histogram {
    return getOrCreate(this.#latency, step, () => new Histogram());
  }

  #secondHistogram(step: string, second: number): Histogram {
    const seconds = getOrCreate(this.#perSecond, step, () => new Map<number, Histogram>());
    return getOrCreate(seconds, second, () => new Histogram());
  }
}
