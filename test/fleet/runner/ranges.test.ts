import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { userAlignedRanges } from "../../../fleet/runner/parallel.js";
import { propertySeed } from "../../helpers/fast-check-seed.js";

const { params } = propertySeed("fleet ranges");

describe("userAlignedRanges", () => {
  it("covers every device once, in order, and never splits a user's devices", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (perUser, workers) => {
        const users = perUser.flatMap((n, u) => Array.from({ length: n }, () => u));
        const ranges = userAlignedRanges(users, workers);
        expect(ranges.length).toBeGreaterThan(0);
        expect(ranges.length).toBeLessThanOrEqual(workers);
        expect(ranges[0]!.start).toBe(0);
        expect(ranges.at(-1)!.end).toBe(users.length);
        ranges.forEach((r, i) => {
          expect(r.worker).toBe(i);
          expect(r.end).toBeGreaterThan(r.start);
          if (i > 0) expect(r.start).toBe(ranges[i - 1]!.end);
          if (r.start > 0) expect(users[r.start]).not.toBe(users[r.start - 1]);
        });
      }),
      params(200),
    );
  });
});
