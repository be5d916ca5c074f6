import { describe, expect, it } from "vitest";
import { ExpiringMap } from "../../emulators/derived/expiring-map.js";

// The bounded store behind every challenge, session, secret and counter of the issuers (issue 10 §8).

describe("ExpiringMap", () => {
  it("answers a value until its time, then forgets it", () => {
    const m = new ExpiringMap<string, number>({ maxEntries: 10 });
    m.set("a", 1, 100, 0);
    expect(m.get("a", 99)).toBe(1);
    expect(m.get("a", 100)).toBeUndefined();
    expect(m.size).toBe(0);
  });

  it("drops expired entries from the front as new ones arrive: the size follows the live count", () => {
    const m = new ExpiringMap<number, number>({ maxEntries: 1_000_000 });
    for (let t = 0; t < 10_000; t++) {
      m.set(t, t, t + 50, t); // constant lifetime
      expect(m.size).toBeLessThanOrEqual(50);
    }
    expect([...m.values(10_000)]).toHaveLength(49);
  });

  it("never holds more than maxEntries: the oldest is evicted and counted", () => {
    const m = new ExpiringMap<number, string>({ maxEntries: 3 });
    for (let i = 0; i < 10; i++) {
      m.set(i, `v${i}`, 1_000, 0);
      expect(m.size).toBeLessThanOrEqual(3);
    }
    expect([...m.values(0)]).toEqual(["v7", "v8", "v9"]);
    expect(m.evicted).toBe(7);
  });

  it("set moves a key to the back, so re-armed entries are not evicted first", () => {
    const m = new ExpiringMap<string, number>({ maxEntries: 2 });
    m.set("a", 1, 100, 0);
    m.set("b", 2, 100, 0);
    m.set("a", 3, 200, 1);
    m.set("c", 4, 200, 2);
    expect([m.get("a", 3), m.get("b", 3), m.get("c", 3)]).toEqual([3, undefined, 4]);
  });

  it("an expired entry behind a longer-lived one is invisible, and the cap still bounds the size", () => {
    const m = new ExpiringMap<string, number>({ maxEntries: 2 });
    m.set("long", 1, 1_000, 0);
    m.set("short", 2, 10, 0);
    expect(m.get("short", 20)).toBeUndefined();
    m.set("x", 3, 1_000, 20);
    m.set("y", 4, 1_000, 20);
    expect(m.size).toBe(2);
  });

  it("keys named like Object.prototype members are plain keys", () => {
    const m = new ExpiringMap<string, number>({ maxEntries: 10 });
    for (const k of ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty"]) expect(m.get(k, 0)).toBeUndefined();
    m.set("__proto__", 1, 10, 0);
    expect(m.get("__proto__", 0)).toBe(1);
    expect(m.get("constructor", 0)).toBeUndefined();
  });

  it("entries deleted at once (a challenge used right away) do not pile up in the expiry queue", () => {
    const m = new ExpiringMap<number, number>({ maxEntries: 100 });
    for (let i = 0; i < 50_000; i++) {
      m.set(i, i, 1_000_000, 0);
      m.delete(i);
      expect(m.queued).toBeLessThanOrEqual(2 * 100 + 2_048);
    }
    expect(m.size).toBe(0);
  });

  it("constant lifetimes at the cap: each set costs the same however many were evicted before (no walk over the front)", () => {
    const m = new ExpiringMap<number, number>({ maxEntries: 1_000 });
    for (let i = 0; i < 20_000; i++) m.set(i, i, 1_000_000, 0);
    expect([m.size, m.evicted, m.queued]).toEqual([1_000, 19_000, 1_000]);
  });
});
