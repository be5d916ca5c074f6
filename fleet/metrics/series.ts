import { DpclabError } from "../../src/errors.js";

const DAY_MS = 86_400_000;

/** The simulated day (days since the Unix epoch) a simulated instant falls in: the bucket of per-day series. */
export function simDay(simMs: number): number {
  return Math.floor(simMs / DAY_MS);
}

/** The wall-clock second (seconds since the Unix epoch) an instant falls in: the bucket of latency-over-time. */
export function wallSecond(wallMs: number): number {
  return Math.floor(wallMs / 1000);
}

/** Wire form: bucket → label → value (JSON object keys are strings). */
export type TimeSeriesJSON = Record<string, Record<string, number>>;

/**
 * Labelled counts per time bucket, e.g. renewals per simulated day, or fleet state (enrolled / renewal-due / …) per day.
 * Buckets are absolute (epoch days or seconds) so workers that started at different moments merge by adding;
 * a sample is a worker's share of a fleet-wide gauge (workers own disjoint devices), so it adds too.
 */
export class TimeSeries {
  readonly #buckets = new Map<number, Map<string, number>>();

  /** Adds `by` to `label` in `bucket` (an event count). */
  tally(bucket: number, label: string, by = 1): void {
    const row = this.#row(bucket);
    row.set(label, (row.get(label) ?? 0) + by);
  }

  /** Sets `label` in `bucket` to `value` (this worker's latest sample of a gauge). */
  sample(bucket: number, label: string, value: number): void {
    this.#row(bucket).set(label, value);
  }

  merge(other: TimeSeries): this {
    for (const [bucket, row] of other.#buckets) for (const [label, v] of row) this.tally(bucket, label, v);
    return this;
  }

  /** Buckets in ascending order. */
  buckets(): number[] {
    return [...this.#buckets.keys()].sort((a, b) => a - b);
  }

  /** Every label used in any bucket, sorted. */
  labels(): string[] {
    const all = new Set<string>();
    for (const row of this.#buckets.values()) for (const label of row.keys()) all.add(label);
    return [...all].sort();
  }

  value(bucket: number, label: string): number {
    return this.#buckets.get(bucket)?.get(label) ?? 0;
  }

  toJSON(): TimeSeriesJSON {
    const out: TimeSeriesJSON = {};
    for (const bucket of this.buckets()) {
      const row = this.#buckets.get(bucket)!;
      out[String(bucket)] = Object.fromEntries([...row].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return out;
  }

  static fromJSON(json: TimeSeriesJSON): TimeSeries {
    const s = new TimeSeries();
    for (const [key, row] of Object.entries(json ?? {})) {
      const bucket = Number(key);
      if (!Number.isInteger(bucket)) throw new DpclabError(`time-series bucket ${JSON.stringify(key)} is not a whole number`, "bad-metric");
      for (const [label, v] of Object.entries(row)) {
        if (typeof v !== "number" || !Number.isFinite(v)) throw new DpclabError(`time-series value for ${label} is not a number`, "bad-metric");
        s.tally(bucket, label, v);
      }
    }
    return s;
  }

  #row(bucket: number): Map<string, number> {
    if (!Number.isInteger(bucket)) throw new DpclabError(`time-series bucket must be a whole number, got ${bucket}`, "bad-metric");
    let row = this.#buckets.get(bucket);
    if (!row) {
      row = new Map();
      this.#buckets.set(bucket, row);
    }
    return row;
  }
}
