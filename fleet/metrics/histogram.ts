import { DpclabError } from "../../src/errors.js";

/**
 * An HDR-style log-linear latency histogram over 1 µs … 1 hour, in milliseconds.
 *
 * Each power of two is split into 1024 linear sub-buckets, so a bucket is at most 1/1024 of its value wide and
 * the reported midpoint is within 0.05 % of any value in it (3 significant digits). The layout is fixed, so
 * histograms from different workers merge by adding counts — percentiles are never averaged.
 */

const US_PER_MS = 1000;
/** Lowest distinguishable value, in µs; smaller values (including 0) share the first bucket. */
const LOWEST_US = 1;
/** Highest trackable value, in µs (1 hour); larger values share the last bucket (min/max stay exact). */
const HIGHEST_US = 3_600_000_000;
const SUB_BUCKETS = 1024;
const OCTAVES = Math.ceil(Math.log2(HIGHEST_US / LOWEST_US));
/** Number of buckets in the fixed layout. */
const BUCKET_COUNT = OCTAVES * SUB_BUCKETS;
/** Names the layout in JSON, so a histogram with another layout is refused instead of merged wrongly. */
const HISTOGRAM_LAYOUT = `log-linear/1us-1h/${SUB_BUCKETS}`;
/** Worst-case relative error of a reported percentile against the exact order statistic. */
export const HISTOGRAM_RELATIVE_ERROR = 1 / (2 * SUB_BUCKETS);

/** The wire form: only non-empty buckets, as flat [indexDelta, count, indexDelta, count, …] pairs. */
export interface HistogramJSON {
  layout: string;
  count: number;
  sum: number;
  min?: number;
  max?: number;
  buckets: number[];
}

function bucketIndex(valueMs: number): number {
  const x = Math.min(Math.max(valueMs * US_PER_MS, LOWEST_US), HIGHEST_US) / LOWEST_US;
  let octave = Math.floor(Math.log2(x));
  let base = 2 ** octave;
  // Math.log2 may be off by one ulp at powers of two.
  if (base > x) {
    octave--;
    base /= 2;
  } else if (base * 2 <= x) {
    octave++;
    base *= 2;
  }
  const sub = Math.min(SUB_BUCKETS - 1, Math.floor((x / base - 1) * SUB_BUCKETS));
  return Math.min(octave * SUB_BUCKETS + sub, BUCKET_COUNT - 1);
}

function bucketMidpointMs(index: number): number {
  const octave = Math.floor(index / SUB_BUCKETS);
  const sub = index % SUB_BUCKETS;
  return (2 ** octave * (1 + (sub + 0.5) / SUB_BUCKETS) * LOWEST_US) / US_PER_MS;
}

/** Nearest-rank: the 1-based rank whose value is the p-th percentile of n values. */
export function percentileRank(p: number, n: number): number {
  // The epsilon keeps 99.9 % of 1000 at rank 999 despite binary floating point.
  return Math.min(n, Math.max(1, Math.ceil((p * n) / 100 - 1e-9)));
}

function badInput(message: string): DpclabError {
  return new DpclabError(message, "bad-metric");
}

export class Histogram {
  readonly #counts = new Map<number, number>();
  #sorted: number[] | undefined;
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  /** Records `count` occurrences of a latency of `valueMs` milliseconds. */
  record(valueMs: number, count = 1): void {
    if (!Number.isFinite(valueMs) || valueMs < 0) throw badInput(`latency must be a finite number ≥ 0 ms, got ${valueMs}`);
    if (!Number.isInteger(count) || count < 0) throw badInput(`count must be a whole number ≥ 0, got ${count}`);
    if (count === 0) return;
    this.#add(bucketIndex(valueMs), count);
    this.#count += count;
    this.#sum += valueMs * count;
    if (valueMs < this.#min) this.#min = valueMs;
    if (valueMs > this.#max) this.#max = valueMs;
  }

  /** Adds another histogram's counts into this one (same fixed layout, so nothing is approximated). */
  merge(other: Histogram): this {
    for (const [index, n] of other.#counts) this.#add(index, n);
    this.#count += other.#count;
    this.#sum += other.#sum;
    this.#min = Math.min(this.#min, other.#min);
    this.#max = Math.max(this.#max, other.#max);
    return this;
  }

  get count(): number {
    return this.#count;
  }
  /** Exact smallest recorded value; NaN when empty. */
  get min(): number {
    return this.#count ? this.#min : Number.NaN;
  }
  /** Exact largest recorded value; NaN when empty. */
  get max(): number {
    return this.#count ? this.#max : Number.NaN;
  }
  /** Exact mean of recorded values; NaN when empty. */
  get mean(): number {
    return this.#count ? this.#sum / this.#count : Number.NaN;
  }

  /** The value at which the cumulative count reaches p % (nearest rank), within 0.05 %; NaN when empty. */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw badInput(`percentile must be within 0…100, got ${p}`);
    if (this.#count === 0) return Number.NaN;
    const rank = percentileRank(p, this.#count);
    // The extreme ranks are known exactly, including values below the 1 µs resolution.
    if (rank === 1) return this.#min;
    if (rank === this.#count) return this.#max;
    let seen = 0;
    for (const index of this.#sortedIndexes()) {
      seen += this.#counts.get(index)!;
      // Clamping to the exact extremes only moves the answer closer to the true value.
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, bucketMidpointMs(index)));
    }
    return this.#max;
  }

  toJSON(): HistogramJSON {
    const buckets: number[] = [];
    let previous = 0;
    for (const index of this.#sortedIndexes()) {
      buckets.push(index - previous, this.#counts.get(index)!);
      previous = index;
    }
    const json: HistogramJSON = { layout: HISTOGRAM_LAYOUT, count: this.#count, sum: this.#sum, buckets };
    if (this.#count) {
      json.min = this.#min;
      json.max = this.#max;
    }
    return json;
  }

  static fromJSON(json: HistogramJSON): Histogram {
    if (json?.layout !== HISTOGRAM_LAYOUT) throw badInput(`histogram layout ${JSON.stringify(json?.layout)} is not ${HISTOGRAM_LAYOUT}`);
    const { buckets } = json;
    if (!Array.isArray(buckets) || buckets.length % 2 !== 0) throw badInput("histogram buckets must be [indexDelta, count] pairs");
    const h = new Histogram();
    let index = 0;
    let total = 0;
    for (let i = 0; i < buckets.length; i += 2) {
      const delta = buckets[i]!;
      const n = buckets[i + 1]!;
      index += delta;
      if (!Number.isInteger(delta) || delta < (i === 0 ? 0 : 1) || index >= BUCKET_COUNT) throw badInput(`histogram bucket index ${index} is out of layout`);
      if (!Number.isInteger(n) || n <= 0) throw badInput(`histogram bucket count ${n} is not a positive whole number`);
      h.#counts.set(index, n);
      total += n;
    }
    if (total !== json.count) throw badInput(`histogram count ${json.count} does not match its buckets (${total})`);
    h.#count = total;
    h.#sum = json.sum;
    if (total) {
      if (typeof json.min !== "number" || typeof json.max !== "number") throw badInput("a non-empty histogram needs min and max");
      h.#min = json.min;
      h.#max = json.max;
    }
    return h;
  }

  #add(index: number, n: number): void {
    const before = this.#counts.get(index);
    if (before === undefined) this.#sorted = undefined;
    this.#counts.set(index, (before ?? 0) + n);
  }

  #sortedIndexes(): number[] {
    this.#sorted ??= [...this.#counts.keys()].sort((a, b) => a - b);
    return this.#sorted;
  }
}
