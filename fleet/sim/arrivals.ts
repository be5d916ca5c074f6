import { parseDuration } from "../../src/clock.js";
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

export interface RampStage {
  /** Milliseconds, or a duration such as "30s" or "2h". */
  duration: number | string;
  /** Arrivals per second reached at the end of the stage (the rate moves linearly towards it). */
  target: number;
}

export interface RampArrivalOptions {
  start: Date | number;
  /** Arrivals per second at the start of the first stage (default 0). */
  startRate?: number;
  stages: readonly RampStage[];
  jitter?: number;
}

/** k6 "ramping-arrival-rate": the count is the integral of the rate, floored. */
export function rampArrivals(options: RampArrivalOptions, random: SeededRandom): number[] {
  const jitter = jitterOf(options.jitter);
  let stageStart = toMs(options.start);
  let rate = options.startRate ?? 0;
  if (!(rate >= 0) || !Number.isFinite(rate)) throw new RangeError(`startRate must be ≥ 0 (got ${rate})`);
  const stages = options.stages.map((stage) => {
    const durationMs = typeof stage.duration === "string" ? parseDuration(stage.duration) : stage.duration;
    if (!(durationMs >= 0) || !Number.isFinite(durationMs)) throw new RangeError(`a stage duration must be ≥ 0 (got ${stage.duration})`);
    if (!(stage.target >= 0) || !Number.isFinite(stage.target)) throw new RangeError(`a stage target must be ≥ 0 (got ${stage.target})`);
    const r0 = rate;
    rate = stage.target;
    return { durationMs, r0, r1: stage.target, expected: ((r0 + stage.target) / 2) * (durationMs / 1_000) };
  });
  // Floored once over the whole ramp so fractional arrivals carry over between stages instead of being lost.
  const total = Math.floor(stages.reduce((sum, s) => sum + s.expected, 0) + 1e-9);
  const out: number[] = [];
  let before = 0; // cumulative arrivals expected at stageStart
  let next = random.next() * jitter; // cumulative level at which the next arrival fires
  for (const { durationMs, r0, r1, expected } of stages) {
    while (out.length < total && next <= before + expected) {
      const s = secondsToReach(next - before, r0, r1, durationMs / 1_000);
      out.push(stageStart + Math.min(Math.floor(s * 1_000), durationMs));
      next = out.length + random.next() * jitter;
    }
    before += expected;
    stageStart += durationMs;
  }
  // Rounding can leave the last level a hair past the final stage: it belongs at the ramp's end.
  while (out.length < total) out.push(stageStart);
  return out;
}

/** Solves r0·s + (r1 − r0)·s²/(2d) = n for s in [0, d]: when the linear ramp has produced n arrivals. */
function secondsToReach(n: number, r0: number, r1: number, d: number): number {
  if (n <= 0) return 0;
  const a = d > 0 ? (r1 - r0) / (2 * d) : 0;
  if (Math.abs(a) < 1e-12) return r0 > 0 ? Math.min(n / r0, d) : d;
  const disc = r0 * r0 + 4 * a * n;
  // Citardauq form keeps precision when a is small against r0.
  return Math.min(Math.max((2 * n) / (r0 + Math.sqrt(Math.max(disc, 0))), 0), d);
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
