import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { constantArrivals, renewalStorm } from "../../../fleet/sim/index.js";
import { SeededRandom } from "../../../src/random.js";
import { params } from "./seed.js";

const START = Date.parse("2026-03-01T00:00:00Z");

/** The most arrivals inside any window [t, t + windowMs). */
function busiestWindow(times: readonly number[], windowMs: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

const ascending = (xs: readonly number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! <= x);

describe("constantArrivals", () => {
  it("is deterministic by seed, and the seed matters", () => {
    const opts = { start: START, ratePerSecond: 3, count: 500 };
    expect(constantArrivals(opts, new SeededRandom("s1"))).toEqual(constantArrivals(opts, new SeededRandom("s1")));
    expect(constantArrivals(opts, new SeededRandom("s1"))).not.toEqual(constantArrivals(opts, new SeededRandom("s2")));
  });

  it("keeps each arrival in its own 1/rate slot, so no second holds more than rate + 1", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 5_000, noNaN: true }),
        fc.integer({ min: 0, max: 600 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.string(),
        (rate, count, jitter, seed) => {
          const times = constantArrivals({ start: new Date(START), ratePerSecond: rate, count, jitter }, new SeededRandom(seed));
          const slot = 1_000 / rate;
          expect(times).toHaveLength(count);
          expect(ascending(times)).toBe(true);
          const outOfSlot = times.filter((t, i) => t < START + Math.floor(i * slot) || t > START + Math.floor((i + 1) * slot));
          expect(outOfSlot).toEqual([]);
          expect(busiestWindow(times, 1_000)).toBeLessThanOrEqual(Math.ceil(rate) + 1);
        },
      ),
      params(300),
    );
  });

  it("without jitter spaces arrivals evenly", () => {
    expect(constantArrivals({ start: START, ratePerSecond: 4, count: 5, jitter: 0 }, new SeededRandom("x"))).toEqual(
      [0, 250, 500, 750, 1000].map((d) => START + d),
    );
  });

  it("refuses a non-positive rate, a fractional count or a jitter outside [0, 1]", () => {
    const r = new SeededRandom("x");
    expect(() => constantArrivals({ start: START, ratePerSecond: 0, count: 1 }, r)).toThrow(RangeError);
    expect(() => constantArrivals({ start: START, ratePerSecond: 1, count: 1.5 }, r)).toThrow(RangeError);
    expect(() => constantArrivals({ start: START, ratePerSecond: 1, count: 1, jitter: 2 }, r)).toThrow(RangeError);
  });
});

describe("renewalStorm", () => {
  it("sends every device once, from the threshold instant, spread at the rate", () => {
    const at = new Date(START);
    const storm = renewalStorm({ at, count: 10_000, ratePerSecond: 500 }, new SeededRandom("storm"));
    expect(storm).toHaveLength(10_000);
    expect(new Set(storm.map((s) => s.subject)).size).toBe(10_000);
    expect(storm[0]!.at).toBe(START);
    expect(ascending(storm.map((s) => s.at))).toBe(true);
    expect(
      busiestWindow(
        storm.map((s) => s.at),
        1_000,
      ),
    ).toBe(500);
    expect(storm.at(-1)!.at).toBe(START + Math.floor((9_999 * 1_000) / 500));
    // Shuffled, deterministically by seed; subject order without a random source.
    expect(storm.slice(0, 10).map((s) => s.subject)).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(renewalStorm({ at, count: 100, ratePerSecond: 50 }, new SeededRandom("storm"))).toEqual(
      renewalStorm({ at, count: 100, ratePerSecond: 50 }, new SeededRandom("storm")),
    );
    expect(renewalStorm({ at, count: 3, ratePerSecond: 2 })).toEqual([
      { subject: 0, at: START },
      { subject: 1, at: START + 500 },
      { subject: 2, at: START + 1_000 },
    ]);
  });
});
