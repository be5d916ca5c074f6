import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HISTOGRAM_RELATIVE_ERROR, Histogram, percentileRank } from "../../../fleet/metrics/index.js";
import { DpclabError } from "../../../src/errors.js";

const PERCENTILES = [0, 1, 50, 90, 95, 99, 99.9, 100];
/** Latencies spread over the whole range, 1 µs … 1 h (fc.double spreads over magnitudes, not uniformly). */
const latency = fc.double({ min: 0.001, max: 3_600_000, noNaN: true, noDefaultInfinity: true });
const fed = (values: number[]) => {
  const h = new Histogram();
  for (const v of values) h.record(v);
  return h;
};
const exact = (sorted: number[], p: number) => sorted[percentileRank(p, sorted.length) - 1]!;

describe("Histogram", () => {
  it("merged worker histograms give exactly the percentiles of one histogram fed every value", () => {
    fc.assert(
      fc.property(fc.array(fc.array(latency, { maxLength: 200 }), { minLength: 1, maxLength: 6 }), (workers) => {
        const all = workers.flat();
        fc.pre(all.length > 0);
        // Through JSON, as workers post them over a MessagePort.
        const merged = new Histogram();
        for (const w of workers) merged.merge(Histogram.fromJSON(JSON.parse(JSON.stringify(fed(w)))));
        const single = fed(all);
        expect(merged.count).toBe(all.length);
        expect(merged.min).toBe(single.min);
        expect(merged.max).toBe(single.max);
        for (const p of PERCENTILES) expect(merged.percentile(p)).toBe(single.percentile(p));
      }),
    );
  });

  it("percentiles are within 0.1 % of the exact nearest-rank percentiles of the sorted values", () => {
    expect(HISTOGRAM_RELATIVE_ERROR).toBeLessThan(0.001);
    fc.assert(
      fc.property(fc.array(latency, { minLength: 1, maxLength: 500 }), fc.double({ min: 0, max: 100, noNaN: true }), (values, anyP) => {
        const h = fed(values);
        const sorted = [...values].sort((a, b) => a - b);
        for (const p of [...PERCENTILES, anyP]) {
          const want = exact(sorted, p);
          expect(Math.abs(h.percentile(p) - want) / want).toBeLessThanOrEqual(HISTOGRAM_RELATIVE_ERROR * (1 + 1e-9));
        }
      }),
    );
  });

  it("keeps min, max, mean and count exact, and weights by count", () => {
    const h = new Histogram();
    h.record(2, 3);
    h.record(10);
    h.record(0); // a zero-length step in a simulated flow is legal
    expect(h.count).toBe(5);
    expect(h.min).toBe(0);
    expect(h.max).toBe(10);
    expect(h.mean).toBeCloseTo(16 / 5, 12);
    expect(h.percentile(50)).toBeCloseTo(2, 2);
    expect(h.percentile(100)).toBe(10);
    expect(h.percentile(0)).toBe(0);
  });

  it("is NaN when empty rather than inventing a number", () => {
    const h = new Histogram();
    expect(h.count).toBe(0);
    for (const v of [h.min, h.max, h.mean, h.percentile(95)]) expect(v).toBeNaN();
    expect(Histogram.fromJSON(h.toJSON()).count).toBe(0);
  });

  it("serialises only non-empty buckets", () => {
    const h = new Histogram();
    for (let i = 0; i < 10_000; i++) h.record(150 + (i % 3));
    const json = h.toJSON();
    expect(json.buckets.length).toBe(6); // three buckets as [delta, count] pairs
    expect(JSON.stringify(json).length).toBeLessThan(200);
    const back = Histogram.fromJSON(structuredClone(json));
    expect(back.toJSON()).toEqual(json);
  });

  it("clamps values beyond 1 hour into the last bucket but keeps max exact", () => {
    const h = new Histogram();
    h.record(7_200_000);
    expect(h.max).toBe(7_200_000);
    expect(h.percentile(50)).toBe(7_200_000);
  });

  it("refuses bad values and foreign JSON with a clear error", () => {
    const h = new Histogram();
    expect(() => h.record(-1)).toThrow(DpclabError);
    expect(() => h.record(Number.NaN)).toThrow(/finite/);
    expect(() => h.record(1, 1.5)).toThrow(/whole number/);
    expect(() => h.percentile(101)).toThrow(/0…100/);
    expect(() => Histogram.fromJSON({ layout: "other", count: 0, sum: 0, buckets: [] })).toThrow(/layout/);
    const json = { ...fed([1, 2]).toJSON() };
    expect(() => Histogram.fromJSON({ ...json, count: 3 })).toThrow(/does not match/);
    expect(() => Histogram.fromJSON({ ...json, buckets: [10_000_000, 1] })).toThrow(/out of layout/);
  });
});
