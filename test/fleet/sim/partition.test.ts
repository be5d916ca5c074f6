import { describe, expect, it } from "vitest";
import { deviceRandom } from "../../../fleet/sim/index.js";

describe("partition", () => {
  it("gives device i the same random stream whatever the worker count and the order devices are visited in", () => {
    const devices = 300;
    const drawsFor = (device: number) => {
      const r = deviceRandom("run-7", device);
      return [r.nextUint32(), r.nextUint32(), r.nextUint32()];
    };
    const reference = Array.from({ length: devices }, (_, d) => drawsFor(d));
    for (let workers = 1; workers <= 8; workers++) {
      const size = Math.ceil(devices / workers);
      const seen: number[][] = new Array(devices);
      // Contiguous shares, the last worker first and each share in reverse: neither the worker nor the position
      // within it may matter. Then strided shares (device d on worker d mod K).
      for (let w = workers - 1; w >= 0; w--) for (let d = Math.min(devices, (w + 1) * size) - 1; d >= w * size; d--) seen[d] = drawsFor(d);
      expect(seen).toEqual(reference);
      const strided: number[][] = new Array(devices);
      for (let w = 0; w < workers; w++) for (let d = w; d < devices; d += workers) strided[d] = drawsFor(d);
      expect(strided).toEqual(reference);
    }
    // Streams differ between devices and between runs.
    expect(new Set(reference.map((x) => x[0])).size).toBe(devices);
    expect(deviceRandom("run-8", 0).nextUint32()).not.toBe(reference[0]![0]);
  });

  it("refuses a device index that is not a whole number", () => {
    expect(() => deviceRandom("s", -1)).toThrow(RangeError);
    expect(() => deviceRandom("s", 1.5)).toThrow(RangeError);
  });
});
