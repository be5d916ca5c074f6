import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventQueue, type SimEvent } from "../../../fleet/sim/index.js";
import { params } from "./seed.js";

// An operation list: push an event at a (deliberately few-valued) time, or pop.
const ops = fc.array(fc.oneof(fc.record({ push: fc.integer({ min: 0, max: 20 }) }), fc.constant({ pop: true as const })), { maxLength: 300 });

describe("EventQueue", () => {
  it("pops in (time, insertion) order under any interleaving, like a stable sorted reference", () => {
    fc.assert(
      fc.property(ops, (list) => {
        const q = new EventQueue();
        const ref: SimEvent[] = []; // kept stably sorted by time
        let id = 0;
        for (const op of list) {
          if ("push" in op) {
            const e = { at: op.push, kind: "k", subject: id++ };
            q.push(e);
            let i = ref.length;
            while (i > 0 && ref[i - 1]!.at > e.at) i--;
            ref.splice(i, 0, e);
          } else {
            expect(q.pop()).toBe(ref.shift());
          }
          expect(q.size).toBe(ref.length);
          expect(q.peekTime()).toBe(ref[0]?.at);
        }
        while (q.size > 0) expect(q.pop()).toBe(ref.shift());
        expect(q.pop()).toBeUndefined();
      }),
      params(300),
    );
  });

  it("holds 200,000 pending events and drains them in order", () => {
    const q = new EventQueue();
    const n = 200_000;
    // A fixed pseudo-random permutation of times with many duplicates.
    for (let i = 0; i < n; i++) q.push({ at: (i * 7919) % 5_000, kind: "renew", subject: i });
    expect(q.size).toBe(n);
    let last = { at: -1, subject: -1 };
    let outOfOrder = 0;
    for (let i = 0; i < n; i++) {
      const e = q.pop()!;
      // Equal times keep insertion order, i.e. ascending subject here.
      if (!(e.at > last.at || (e.at === last.at && e.subject > last.subject))) outOfOrder++;
      last = e;
    }
    expect(outOfOrder).toBe(0);
    expect(q.size).toBe(0);
  });

  it("refuses a non-finite time", () => {
    expect(() => new EventQueue().push({ at: Number.NaN, kind: "x", subject: 0 })).toThrow(RangeError);
  });
});
