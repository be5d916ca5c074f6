import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { adminHandler, FaultInjector, NO_FAULTS, SETTING_REFRESH_MS, StoredClock } from "../../emulators/admin/index.js";
import { inProcessFetch } from "../../emulators/shared/index.js";
import { ClockRangeError, DAY_MS, LATEST_CLOCK } from "../../src/clock.js";
import { type LabStore, MemoryStore, SqliteStore } from "../../src/store/index.js";

// Issue 14: the admin state (the lab clock's offset, the fault knobs, the lab's instance id) lives in the lab store, so
// a restarted `dpclab serve` resumes where it was and two servers on one store agree.

const dir = mkdtempSync(join(tmpdir(), "dpclab-admin-state-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = () => join(dir, `lab${++files}.db`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Close in real time: a StoredClock flows with it. */
const near = (a: Date, b: Date, within = 5_000) => Math.abs(a.getTime() - b.getTime()) < within;

/** A store that counts its read transactions. */
function counting(store: LabStore): { store: LabStore; reads: () => number } {
  let reads = 0;
  const counted: LabStore = {
    kind: store.kind,
    where: store.where,
    transaction: (fn) => store.transaction(fn),
    read: (fn) => {
      reads++;
      return store.read(fn);
    },
    close: () => store.close(),
  };
  return { store: counted, reads: () => reads };
}

describe("StoredClock: the lab clock's offset in the store", () => {
  it("starts at real time; a restarted clock (a new process on the same file) resumes at the stored offset", () => {
    const file = freshFile();
    const first = SqliteStore.open(file);
    const clock = new StoredClock(first);
    expect(near(clock.now(), new Date())).toBe(true);
    const moved = clock.advance(400 * DAY_MS);
    expect(near(moved, new Date(Date.now() + 400 * DAY_MS))).toBe(true);
    first.close();

    const second = SqliteStore.open(file);
    const restarted = new StoredClock(second);
    expect(near(restarted.now(), moved)).toBe(true);
    expect(restarted.now().getTime()).toBeGreaterThanOrEqual(moved.getTime());
    second.close();
  });

  it("set() stands the clock at an instant; two clocks on one store tell the same time and their advances add up", async () => {
    const store = new MemoryStore();
    const a = new StoredClock(store);
    const b = new StoredClock(store);
    const target = new Date("2031-06-01T00:00:00Z");
    a.set(target);
    await sleep(SETTING_REFRESH_MS + 10);
    expect(near(b.now(), target)).toBe(true);
    b.advance(DAY_MS); // from the stored offset, not b's cache
    a.advance(DAY_MS);
    await sleep(SETTING_REFRESH_MS + 10);
    for (const clock of [a, b]) expect(near(clock.now(), new Date(target.getTime() + 2 * DAY_MS))).toBe(true);
  });

  it("reads the store at most once per refresh interval, however often it is asked", async () => {
    const { store, reads } = counting(new MemoryStore());
    const clock = new StoredClock(store);
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) clock.now();
    const elapsed = performance.now() - started;
    expect(reads()).toBeLessThanOrEqual(1 + Math.ceil(elapsed / SETTING_REFRESH_MS));
    await sleep(SETTING_REFRESH_MS + 10);
    clock.now();
    expect(reads()).toBeGreaterThanOrEqual(2);
  });

  it("a refused move (out of the window, backwards amount) writes nothing", () => {
    const store = new MemoryStore();
    const clock = new StoredClock(store);
    clock.advance(DAY_MS);
    const stored = () => JSON.stringify(store.read((tx) => tx.entries("admin/clock")));
    const before = stored();
    expect(() => clock.advance(-1)).toThrow(ClockRangeError);
    expect(() => clock.advance(1e308)).toThrow(ClockRangeError);
    expect(() => clock.set(new Date(LATEST_CLOCK.getTime() + 1))).toThrow(ClockRangeError);
    expect(() => clock.set(new Date(Number.NaN))).toThrow(ClockRangeError);
    expect(stored()).toBe(before);
    expect(near(new StoredClock(store).now(), new Date(Date.now() + DAY_MS))).toBe(true);
  });

  it("driven through /__admin/clock, a refused move changes nothing in the store", async () => {
    const store = new MemoryStore();
    const clock = new StoredClock(store);
    const f = inProcessFetch(adminHandler({ clock, authorities: () => [], outbox: () => [], faults: new FaultInjector({ store }), store }));
    const call = (method: string, path: string, body: string) => f(path, { method, body, headers: { "content-type": "application/json" } });
    expect((await call("POST", "/__admin/clock/advance", '{"by":"8d"}')).status).toBe(200);
    const before = JSON.stringify(store.read((tx) => tx.entries("admin/clock")));
    expect((await call("POST", "/__admin/clock/advance", '{"by":-5}')).status).toBe(400);
    expect((await call("PUT", "/__admin/clock", '{"now":"2020-01-01T00:00:00Z"}')).status).toBe(409);
    expect((await call("PUT", "/__admin/clock", '{"now":"9999-01-01T00:00:00Z"}')).status).toBe(400);
    expect(JSON.stringify(store.read((tx) => tx.entries("admin/clock")))).toBe(before);
  });
});

describe("FaultInjector: the knobs in the store", () => {
  it("a restarted injector keeps the knobs; a refused update writes nothing; the injected counts are this process's", async () => {
    const file = freshFile();
    const first = SqliteStore.open(file);
    const faults = new FaultInjector({ store: first });
    faults.set({ rate503: 1, retryAfterSeconds: 3, seed: "storm" });
    const answered = await faults.wrap(async () => new Response("ok"))(new Request("http://lab/x"));
    expect(answered.status).toBe(503);
    expect(faults.injected["503"]).toBe(1);
    const before = JSON.stringify(first.read((tx) => tx.entries("admin/faults")));
    expect(() => faults.set({ rate429: 0.5 })).toThrow(/must not exceed 1/);
    expect(() => faults.set({ bogus: 1 })).toThrow(/unknown fault knob/);
    expect(JSON.stringify(first.read((tx) => tx.entries("admin/faults")))).toBe(before);
    first.close();

    const second = SqliteStore.open(file);
    const restarted = new FaultInjector({ store: second });
    expect(restarted.knobs).toEqual({ ...NO_FAULTS, rate503: 1, retryAfterSeconds: 3, seed: "storm" });
    expect(restarted.injected["503"]).toBe(0);
    second.close();
  });

  it("two injectors on one store: knobs set on one are applied by the other within the refresh interval", async () => {
    const store = new MemoryStore();
    const a = new FaultInjector({ store });
    const b = new FaultInjector({ store });
    const handler = b.wrap(async () => new Response("ok"));
    expect((await handler(new Request("http://lab/x"))).status).toBe(200);
    a.set({ rate429: 1 });
    await sleep(SETTING_REFRESH_MS + 10);
    expect((await handler(new Request("http://lab/x"))).status).toBe(429);
    expect(b.knobs.rate429).toBe(1);
  });

  it("the same seed gives the same fault schedule in a fresh process", async () => {
    const schedule = async (store: LabStore) => {
      const faults = new FaultInjector({ store });
      const handler = faults.wrap(async () => new Response("ok"));
      const out: number[] = [];
      for (let i = 0; i < 40; i++) out.push((await handler(new Request("http://lab/x"))).status);
      return out;
    };
    const store = new MemoryStore();
    new FaultInjector({ store }).set({ rate503: 0.5, seed: "replay" });
    expect(await schedule(store)).toEqual(await schedule(store));
  });
});

describe("the lab's instance id", () => {
  it("is the store's: the same after a restart on one store, another on a fresh store", async () => {
    const instanceOf = async (store: LabStore) => {
      const f = inProcessFetch(
        adminHandler({ clock: new StoredClock(store), authorities: () => [], outbox: () => [], faults: new FaultInjector({ store }), store }),
      );
      return ((await (await f("/__admin/clock")).json()) as { instance: string }).instance;
    };
    const store = new MemoryStore();
    const id = await instanceOf(store);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await instanceOf(store)).toBe(id);
    expect(await instanceOf(new MemoryStore())).not.toBe(id);
  });
});
