import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contiguousRanges, deviceRandom, devicesOf, type PartitionStrategy, workerOf } from "../../../fleet/sim/index.js";
import { params } from "./seed.js";

const STRATEGIES: PartitionStrategy[] = ["contiguous", "hash"];

describe("partition", () => {
  it("covers every device exactly once for K = 1..8, whatever the strategy", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3_000 }), (devices) => {
        for (let workers = 1; workers <= 8; workers++) {
          for (const strategy of STRATEGIES) {
            const owner = new Int32Array(devices).fill(-1);
            let twice = 0;
            for (let w = 0; w < workers; w++) {
              for (const d of devicesOf(w, devices, workers, strategy)) {
                if (owner[d] !== -1) twice++;
                owner[d] = w;
              }
            }
            expect(twice).toBe(0);
            // Every device has an owner, and workerOf names that same owner.
            const mismatched = [...owner.keys()].filter((d) => owner[d] !== workerOf(d, devices, workers, strategy));
            expect(mismatched).toEqual([]);
          }
          const ranges = contiguousRanges(devices, workers);
          expect(ranges).toHaveLength(workers);
          expect(ranges[0]!.start).toBe(0);
          expect(ranges.at(-1)!.end).toBe(devices);
          for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBe(ranges[i - 1]!.end);
          const sizes = ranges.map((r) => r.end - r.start);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        }
      }),
      params(40),
    );
  });

  it("spreads neighbouring devices over workers when hashing", () => {
    const sizes = Array.from({ length: 8 }, (_, w) => devicesOf(w, 10_000, 8, "hash").length);
    for (const size of sizes) expect(Math.abs(size - 1_250)).toBeLessThan(150);
  });

  it("gives device i the same random stream whatever the worker count", () => {
    const devices = 300;
    const drawsFor = (device: number) => {
      const r = deviceRandom("run-7", device);
      return [r.nextUint32(), r.nextUint32(), r.nextUint32()];
    };
    const reference = Array.from({ length: devices }, (_, d) => drawsFor(d));
    for (let workers = 1; workers <= 8; workers++) {
      for (const strategy of STRATEGIES) {
        const seen: number[][] = new Array(devices);
        // Workers visit their devices in reverse, to show position within a worker does not matter either.
        for (let w = workers - 1; w >= 0; w--) for (const d of devicesOf(w, devices, workers, strategy).reverse()) seen[d] = drawsFor(d);
        expect(seen).toEqual(reference);
      }
    }
    // Streams differ between devices and between runs.
    expect(new Set(reference.map((x) => x[0])).size).toBe(devices);
    expect(deviceRandom("run-8", 0).nextUint32()).not.toBe(reference[0]![0]);
  });

  it("refuses out-of-range workers and devices", () => {
    expect(() => contiguousRanges(10, 0)).toThrow(RangeError);
    expect(() => workerOf(10, 10, 2, "hash")).toThrow(RangeError);
    expect(() => devicesOf(2, 10, 2, "contiguous")).toThrow(RangeError);
    expect(() => deviceRandom("s", -1)).toThrow(RangeError);
  });
});
