import type { SeededRandom } from "../../src/random.js";

/**
 * Open-model arrival schedules (k6 "arrival-rate" executors): arrivals follow the rate whatever the system's latency,
 * which is what exposes queueing in the renewal path. Times are whole virtual epoch milliseconds, ascending.
 *
 * Arrival i is placed at the instant the cumulative rate reaches i + u (u drawn in [0, jitter)), so each arrival stays
 * inside its own 1/rate slot: the rate holds over any window, yet devices do not fire in lockstep.
 */

export interface ConstantArrivalOptions {
  start: Date | number;
  ratePerSecond: number;
  count: number;
  /** Fraction of a slot an arrival may move by: 0 = evenly spaced, 1 (default) = anywhere in its slot. */
  jitter?: number;
}

export function constantArrivals(options: ConstantArrivalOptions, random: SeededRandom): number[] {
  const start = toMs(options.start);
  positive("ratePerSecond", options.ratePerSecond);
  const count = wholeCount(options.count);
  const jitter = jitterOf(options.jitter);
  const slotMs = 1_000 / options.ratePerSecond;
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = start + Math.floor((i + random.next() * jitter) * slotMs);
  return out;
}

export interface RenewalStormOptions {
  /** The instant the whole fleet reaches its renewal threshold. */
  at: Date | number;
  count: number;
  /** Renewal starts per second: the storm's front is spread by this rate. */
  ratePerSecond: number;
}

export interface StormArrival {
  subject: number;
  at: number;
}

/**
 * Every device crosses its threshold at `at`; starts are spread at the given rate, in a shuffled device order (when a
 * random source is given) so the same devices are not always at the head of the storm.
 */
export function renewalStorm(options: RenewalStormOptions, random?: SeededRandom): StormArrival[] {
  const at = toMs(options.at);
  positive("ratePerSecond", options.ratePerSecond);
  const count = wholeCount(options.count);
  const order = Array.from({ length: count }, (_, i) => i);
  if (random) {
    for (let i = count - 1; i > 0; i--) {
      const j = random.int(0, i);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
  }
  const slotMs = 1_000 / options.ratePerSecond;
  return order.map((subject, i) => ({ subject, at: at + Math.floor(i * slotMs) }));
}

function toMs(t: Date | number): number {
  const ms = t instanceof Date ? t.getTime() : t;
  if (!Number.isFinite(ms)) throw new RangeError("an arrival schedule needs a finite start time");
  return ms;
}

function positive(name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number (got ${value})`);
}

function wholeCount(count: number): number {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a whole number (got ${count})`);
  return count;
}

function jitterOf(jitter: number | undefined): number {
  const j = jitter ?? 1;
  if (!(j >= 0 && j <= 1)) throw new RangeError(`jitter must be within [0, 1] (got ${jitter})`);
  return j;
}
