import { describe, expect, it } from "vitest";
import { adminHandler, FaultInjector, NO_FAULTS, requireAdminToken, StoredClock } from "../../emulators/admin/index.js";
import { isLoopbackHost } from "../../emulators/shared/http-server.js";
import { errorToProblem, inProcessFetch, router } from "../../emulators/shared/index.js";
import { ClockRangeError, DAY_MS, LATEST_CLOCK, MAX_CLOCK_ADVANCE_MS, OffsetClock, VirtualClock } from "../../src/clock.js";
import { MemoryStore } from "../../src/store/index.js";

// Issue 10 item 5: the admin API takes no value it cannot live with. A bad value is a 400/409 problem and changes
// nothing; before, {"by":1e308} moved the clock past what a Date holds and every later read of it answered 500.

const START = new Date("2026-03-01T00:00:00Z");

function admin(clock = new VirtualClock(START)) {
  const faults = new FaultInjector();
  const lost: string[] = [];
  let ticks = 0;
  const handler = adminHandler({
    clock,
    authorities: () => [],
    outbox: () => [],
    faults,
    onClockChange: () => {
      ticks++;
    },
    reportLost: (id) => {
      lost.push(id);
      return { revoked: [] };
    },
  });
  const f = inProcessFetch(handler);
  const call = async (method: string, path: string, body?: string) => {
    const res = await f(path, { method, ...(body === undefined ? {} : { body, headers: { "content-type": "application/json" } }) });
    return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as Record<string, unknown> };
  };
  return { clock, faults, lost, call, ticks: () => ticks };
}

describe("/__admin/clock refuses moves the lab cannot make, and stays usable", () => {
  it("advance: huge, negative, malformed or wrong-typed amounts are 400 and the clock does not move", async () => {
    const a = admin();
    for (const by of [
      "1e308",
      '"99999999999d"',
      '"201y"',
      String(MAX_CLOCK_ADVANCE_MS + 1),
      "-1",
      "true",
      "[]",
      '[1,"d"]',
      "{}",
      '""',
      '"1e5d"',
      '"8 days"',
      "null",
      `"${"9".repeat(40)}d"`,
    ]) {
      const r = await a.call("POST", "/__admin/clock/advance", `{"by":${by}}`);
      expect(r.status, by).toBe(400);
      expect(r.type).toBe("application/problem+json");
      expect(r.body.code).toBe("bad-duration");
    }
    expect(a.clock.now()).toEqual(START);
    expect(a.ticks()).toBe(0);
    expect((await a.call("GET", "/__admin/clock")).body.now).toBe(START.toISOString());
    expect((await a.call("POST", "/__admin/clock/advance", '{"by":"8d"}')).body.now).toBe(new Date(START.getTime() + 8 * DAY_MS).toISOString());
    expect((await a.call("POST", "/__admin/clock/advance", '{"by":"200y"}')).status).toBe(200);
  });

  it("advance past the window's end (9000-01-01): 409, the clock unchanged", async () => {
    const a = admin(new VirtualClock(new Date("8999-06-01T00:00:00Z")));
    const r = await a.call("POST", "/__admin/clock/advance", '{"by":"1y"}');
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("clock-out-of-range");
    expect(a.clock.now().toISOString()).toBe("8999-06-01T00:00:00.000Z");
    expect((await a.call("POST", "/__admin/clock/advance", '{"by":"1d"}')).status).toBe(200);
  });

  it("PUT: year 275760, past 9000, not RFC 3339, or backwards is refused; a later time is taken", async () => {
    const a = admin();
    for (const now of [
      '"+275760-09-13T00:00:00.000Z"',
      '"9999-12-31T23:59:59Z"',
      '"9000-01-01T00:00:00.001Z"',
      '"March 7, 2099"',
      '"2099"',
      "8.64e15",
      '"2026-13-01T00:00:00Z"',
    ]) {
      const r = await a.call("PUT", "/__admin/clock", `{"now":${now}}`);
      expect(r.status, now).toBe(400);
      expect(r.type).toBe("application/problem+json");
    }
    expect((await a.call("PUT", "/__admin/clock", '{"now":"2020-01-01T00:00:00Z"}')).status).toBe(409);
    expect(a.clock.now()).toEqual(START);
    expect((await a.call("PUT", "/__admin/clock", '{"now":"2099-01-01T00:00:00+02:00"}')).body.now).toBe("2098-12-31T22:00:00.000Z");
    expect(a.ticks()).toBe(1);
  });

  it("the clocks themselves refuse to leave the window (ClockRangeError), whoever asks", () => {
    for (const clock of [new VirtualClock(START), new OffsetClock(), new StoredClock(new MemoryStore())]) {
      const before = clock.now().getTime();
      expect(() => clock.advance(1e308)).toThrow(ClockRangeError);
      expect(() => clock.advance(Number.NaN)).toThrow(ClockRangeError);
      expect(() => clock.advance(-1)).toThrow(ClockRangeError);
      expect(() => clock.set(new Date(8.64e15))).toThrow(ClockRangeError);
      expect(() => clock.set(new Date(Number.NaN))).toThrow(ClockRangeError);
      expect(() => clock.set(new Date(LATEST_CLOCK.getTime() + 1))).toThrow(ClockRangeError);
      expect(() => clock.set(new Date("1900-01-01T00:00:00Z"))).toThrow(ClockRangeError);
      expect(Math.abs(clock.now().getTime() - before)).toBeLessThan(60_000); // (an OffsetClock or StoredClock flows with real time)
    }
    expect(() => new VirtualClock(new Date(Number.NaN))).toThrow(ClockRangeError);
    // Reaching a client, it is a 4xx problem, not the 500 of an unknown error.
    const res = errorToProblem(new ClockRangeError("out", "clock-out-of-range", 409));
    expect(res.status).toBe(409);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("/__admin/faults takes the knobs it knows, in their ranges", () => {
  it("unknown keys (toString, constructor, __proto__, typos) and out-of-range values are 400; nothing changes", async () => {
    const a = admin();
    const bad = [
      '{"toString":0.5}',
      '{"constructor":1}',
      '{"__proto__":{"rate429":1}}',
      '{"hasOwnProperty":1}',
      '{"rate4290":0.1}',
      '{"rate429":1.5}',
      '{"rate429":-0.1}',
      '{"rate429":"0.5"}',
      '{"rate429":null}',
      '{"rate429":0.6,"rate503":0.6}',
      '{"slowMs":60001}',
      '{"slowMs":1.5}',
      '{"slowMs":1e400}',
      '{"retryAfterSeconds":-1}',
      '{"seed":""}',
      `{"seed":"${"s".repeat(257)}"}`,
      '{"seed":7}',
      `{"rate429":${"[".repeat(60)}${"]".repeat(60)}}`,
    ];
    for (const body of bad) {
      const r = await a.call("PUT", "/__admin/faults", body);
      expect(r.status, body).toBe(400);
      expect(r.body.code).toBe("bad-fault-knob");
      expect(a.faults.knobs).toEqual(NO_FAULTS);
    }
    expect(Object.keys(a.faults.knobs).sort()).toEqual(Object.keys(NO_FAULTS).sort());
    const ok = await a.call("PUT", "/__admin/faults", '{"rate503":0.25,"retryAfterSeconds":2}');
    expect(ok.status).toBe(200);
    expect(a.faults.knobs).toEqual({ ...NO_FAULTS, rate503: 0.25, retryAfterSeconds: 2 });
  });
});

describe("/__admin/devices/ID/lost", () => {
  it("an id that is no device id (__proto__, constructor, junk) is 404 before anything is revoked", async () => {
    const a = admin();
    for (const id of ["__proto__", "constructor", "toString", "x", "%00"]) expect((await a.call("POST", `/__admin/devices/${id}/lost`, "{}")).status).toBe(404);
    expect(a.lost).toEqual([]);
    expect((await a.call("POST", "/__admin/devices/00000000-0000-4000-8000-000000000002/lost", "{}")).status).toBe(200);
    expect(a.lost).toEqual(["00000000-0000-4000-8000-000000000002"]);
  });
});

describe("the admin token (a lab served beyond loopback)", () => {
  const TOKEN = "t0ken-of-at-least-16-chars";
  const lab = router([
    { method: "GET", path: "/__admin/clock", handle: () => Response.json({ now: "x" }) },
    { method: "GET", path: "/tenant/lints", handle: () => Response.json({ value: [] }) },
  ]);
  const f = inProcessFetch(requireAdminToken(lab, TOKEN));

  it("/__admin answers only Authorization: Bearer <token>; other paths need none", async () => {
    for (const authorization of [undefined, "", "Bearer", "Bearer wrong", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`]) {
      const res = await f("/__admin/clock", authorization === undefined ? {} : { headers: { authorization } });
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
    expect((await f("/__admin/clock", { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await f("/__admin/clock", { headers: { authorization: `bearer  ${TOKEN}` } })).status).toBe(200);
    expect((await f("/tenant/lints")).status).toBe(200);
  });

  it("loopback is 127/8, ::1 and localhost; 0.0.0.0, :: and other addresses are not", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "::ffff:127.0.0.1"]) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.test", "127.0.0.1.example.test", "::ffff:10.0.0.1"])
      expect(isLoopbackHost(h), h).toBe(false);
  });
});
