import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { constantArrivals, type SimEvent, Simulation } from "../../../fleet/sim/index.js";
import { DAY_MS, VirtualClock } from "../../../src/clock.js";
import { SeededRandom } from "../../../src/random.js";
import { params } from "./seed.js";

const T0 = new Date("2026-01-01T00:00:00Z");
const LIFETIME_MS = 365 * DAY_MS;
const RENEW_AFTER_MS = 0.8 * LIFETIME_MS; // the 80 % renewal threshold

/** A promise the test settles by hand, to hold handlers in flight. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("Simulation", () => {
  it("lives a year of 10,000 subjects: one renewal each at 80 % of its lifetime, in time order, clock monotonic", async () => {
    const clock = new VirtualClock(T0);
    const sim = new Simulation({ clock });
    const subjects = 10_000;
    const enrolledAt = new Float64Array(subjects);
    const renewals = new Uint8Array(subjects);
    const renewalTimes: number[] = [];
    let lastSeen = T0.getTime();
    let clockWentBack = false;
    const observe = (e: SimEvent) => {
      const now = clock.now().getTime();
      if (now < lastSeen || now !== e.at) clockWentBack = true;
      lastSeen = now;
    };

    sim.on("tick", (e) => {
      observe(e);
      sim.schedule({ after: DAY_MS }, { kind: "tick", subject: e.subject + 1 });
    });
    sim.on("enrol", async (e) => {
      observe(e);
      enrolledAt[e.subject] = e.at;
      await Promise.resolve(); // an async handler, as agents are
      sim.schedule({ after: RENEW_AFTER_MS }, { kind: "renew", subject: e.subject });
    });
    sim.on("renew", (e) => {
      observe(e);
      renewals[e.subject]! += 1;
      renewalTimes.push(e.at);
      expect(e.at - enrolledAt[e.subject]!).toBe(RENEW_AFTER_MS);
      sim.schedule({ after: RENEW_AFTER_MS }, { kind: "renew", subject: e.subject }); // next year's, beyond the run
    });

    // Enrolments arrive over the first 60 days (open model), so every first renewal falls inside the year.
    const arrivals = constantArrivals({ start: T0, ratePerSecond: subjects / (60 * 86_400), count: subjects }, new SeededRandom("year"));
    for (const [subject, at] of arrivals.entries()) sim.schedule(at, { kind: "enrol", subject });
    sim.schedule(T0, { kind: "tick", subject: 0 });

    const until = new Date(T0.getTime() + LIFETIME_MS);
    const progress: number[] = [];
    const result = await sim.run({ until, onProgress: (now) => progress.push(now.getTime()) });

    expect(clockWentBack).toBe(false);
    expect(renewals.every((n) => n === 1)).toBe(true);
    expect(renewalTimes).toEqual([...renewalTimes].sort((a, b) => a - b));
    expect(sim.stats()).toEqual({
      processed: { tick: 366, enrol: subjects, renew: subjects },
      errors: {},
      totalProcessed: 366 + 2 * subjects,
      totalErrors: 0,
      pending: subjects + 1, // next year's renewals and the next tick stay queued
    });
    expect(result).toMatchObject({ processed: 366 + 2 * subjects, pending: subjects + 1, stoppedBy: "until" });
    expect(clock.now()).toEqual(until);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.length).toBeGreaterThan(1);

    // A second run resumes the same timeline: the next year's renewals happen.
    await sim.run({ until: new Date(until.getTime() + LIFETIME_MS) });
    expect(renewals.every((n) => n === 2)).toBe(true);
    expect(clockWentBack).toBe(false);
  });

  it("processes any set of events in (time, insertion) order, moving the clock to each", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 80 }), async (offsets) => {
        const clock = new VirtualClock(T0);
        const sim = new Simulation({ clock });
        const seen: [number, number][] = [];
        sim.on("e", (e) => {
          seen.push([e.subject, clock.now().getTime() - T0.getTime()]);
        });
        for (const [subject, o] of offsets.entries()) sim.schedule(T0.getTime() + o, { kind: "e", subject });
        await sim.run({ until: new Date(T0.getTime() + 50) });
        const expected = offsets.map((o, subject) => [subject, o] as [number, number]).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
        expect(seen).toEqual(expected);
      }),
      params(200),
    );
  });

  it("runs events due at the same instant concurrently, up to the limit, and never across instants", async () => {
    for (const concurrency of [1, 4]) {
      const clock = new VirtualClock(T0);
      const sim = new Simulation({ clock, concurrency });
      let inFlight = 0;
      let maxInFlight = 0;
      const log: string[] = [];
      sim.on("renew", async (e) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        log.push(`start ${e.at}`);
        expect(clock.now().getTime()).toBe(e.at);
        // Yield several macrotasks so other lanes get the chance to start.
        for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
        log.push(`end ${e.at}`);
        inFlight--;
      });
      const t1 = T0.getTime() + 1_000;
      const t2 = t1 + 1;
      for (let i = 0; i < 10; i++) sim.schedule(t1, { kind: "renew", subject: i });
      for (let i = 0; i < 10; i++) sim.schedule(t2, { kind: "renew", subject: 10 + i });
      await sim.run({ until: new Date(t2) });
      expect(maxInFlight).toBe(concurrency);
      // Every t1 handler has ended before any t2 handler starts.
      expect(log.lastIndexOf(`end ${t1}`)).toBeLessThan(log.indexOf(`start ${t2}`));
      expect(sim.stats().processed).toEqual({ renew: 20 });
    }
  });

  it("lets a handler schedule more work at the same instant; it runs before later instants", async () => {
    const clock = new VirtualClock(T0);
    const sim = new Simulation({ clock, concurrency: 3 });
    const order: string[] = [];
    const gate = deferred();
    sim.on("a", async (e) => {
      order.push(`a${e.subject}`);
      if (e.subject === 0) {
        await gate.promise;
        sim.schedule({ after: 0 }, { kind: "b", subject: 0 });
      }
    });
    sim.on("b", (e) => {
      order.push(`b${e.subject}`);
    });
    sim.schedule(T0, { kind: "a", subject: 0 });
    sim.schedule(T0, { kind: "a", subject: 1 });
    sim.schedule(T0.getTime() + 1, { kind: "b", subject: 9 });
    const running = sim.run({ until: new Date(T0.getTime() + 10) });
    setImmediate(() => gate.resolve());
    await running;
    expect(order).toEqual(["a0", "a1", "b0", "b9"]);
  });

  it("counts handler errors per kind, reports them, and carries on", async () => {
    const clock = new VirtualClock(T0);
    const reported: [string, number][] = [];
    const sim = new Simulation({
      clock,
      concurrency: 2,
      onError: (error, e) => {
        reported.push([(error as Error).message, e.subject]);
        if (e.subject === 3) throw new Error("the reporter itself breaks"); // must not stop the run either
      },
    });
    const done: number[] = [];
    sim.on("sync", (e) => {
      if (e.subject % 2 === 1) throw new Error("sync boom");
      done.push(e.subject);
    });
    sim.on("async", async (e) => {
      await Promise.resolve();
      if (e.subject % 3 === 0) throw new Error("async boom");
      done.push(e.subject);
    });
    for (let i = 0; i < 10; i++) sim.schedule(T0.getTime() + i, { kind: "sync", subject: i });
    for (let i = 10; i < 20; i++) sim.schedule(T0.getTime() + 100, { kind: "async", subject: i });
    sim.schedule(T0.getTime() + 200, { kind: "nobody-handles-this", subject: 42 });
    const result = await sim.run({ until: new Date(T0.getTime() + 1_000) });

    expect(result.processed).toBe(21);
    expect(sim.stats().errors).toEqual({ sync: 5, async: 3, "nobody-handles-this": 1 });
    expect(sim.stats().totalErrors).toBe(9);
    expect(done.sort((a, b) => a - b)).toEqual([0, 2, 4, 6, 8, 10, 11, 13, 14, 16, 17, 19]);
    expect(reported).toHaveLength(9);
    expect(reported.find(([, s]) => s === 42)?.[0]).toMatch(/no handler/);
  });

  it("stops at until or maxEvents, leaving later events queued", async () => {
    const clock = new VirtualClock(T0);
    const sim = new Simulation({ clock });
    sim.on("e", () => {});
    for (let i = 0; i < 10; i++) sim.schedule({ after: i * 1_000 }, { kind: "e", subject: i });

    const first = await sim.run({ until: new Date(T0.getTime() + 60_000), maxEvents: 3 });
    expect(first).toMatchObject({ processed: 3, pending: 7, stoppedBy: "max-events" });
    expect(clock.now().getTime()).toBe(T0.getTime() + 2_000); // stays at the last event run

    const second = await sim.run({ until: new Date(T0.getTime() + 5_500) });
    expect(second).toMatchObject({ processed: 3, pending: 4, stoppedBy: "until" });
    expect(clock.now().getTime()).toBe(T0.getTime() + 5_500);

    const third = await sim.run({ until: new Date(T0.getTime() + 60_000) });
    expect(third).toMatchObject({ processed: 4, pending: 0, stoppedBy: "empty" });
    expect(clock.now().getTime()).toBe(T0.getTime() + 60_000);
  });

  it("refuses the past, a second handler for a kind, a bad concurrency and overlapping runs", async () => {
    const clock = new VirtualClock(T0);
    const sim = new Simulation({ clock });
    expect(() => sim.schedule(T0.getTime() - 1, { kind: "e", subject: 0 })).toThrow(/past/);
    expect(() => sim.schedule({ after: Number.NaN }, { kind: "e", subject: 0 })).toThrow(RangeError);
    sim.on("e", async () => {
      await Promise.resolve();
    });
    expect(() => sim.on("e", () => {})).toThrow(/already/);
    expect(() => new Simulation({ clock, concurrency: 0 })).toThrow(RangeError);
    sim.schedule(T0, { kind: "e", subject: 0 });
    const running = sim.run({ until: T0 });
    await expect(sim.run({ until: T0 })).rejects.toThrow(/already running/);
    await running;
  });
});
