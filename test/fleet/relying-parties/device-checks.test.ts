import { describe, expect, it } from "vitest";
import type { RelyingPartyKind, Verdict } from "../../../emulators/relying-party/index.js";
import type { DeviceAgent, PresentableCredential } from "../../../fleet/agent/index.js";
import type { DeviceKey } from "../../../fleet/keystore/index.js";
import { FleetMetrics, Histogram } from "../../../fleet/metrics/index.js";
import { parseRelyingParties, RelyingPartyChecks, type RelyingPartyPool } from "../../../fleet/relying-parties/index.js";
import { Simulation } from "../../../fleet/sim/index.js";
import { VirtualClock } from "../../../src/clock.js";

// The bookkeeping of the relying-party checks, with a scripted stand-in for the pool (the real exchanges are in
// fleet-relying-parties.test.ts): which verdicts are errors, the hourly rechecks and their bound, broken relying parties.

const START = new Date("2026-03-01T00:00:00Z");
const HOUR = 3_600_000;

function setup(verdicts: (kind: RelyingPartyKind, at: Date, n: number) => Verdict | Error, spec = "app:1") {
  const clock = new VirtualClock(START);
  const sim = new Simulation({ clock });
  const metrics = new FleetMetrics();
  const calls: { kind: RelyingPartyKind; at: Date }[] = [];
  const pool = {
    async authenticate(kind: RelyingPartyKind, _credential: PresentableCredential, at: Date): Promise<Verdict> {
      calls.push({ kind, at });
      const v = verdicts(kind, at, calls.length);
      if (v instanceof Error) throw v;
      return v;
    },
  } as unknown as RelyingPartyPool;
  const checks = new RelyingPartyChecks(pool, parseRelyingParties(spec)!, "checks-seed", metrics, sim);
  return { clock, sim, metrics, calls, checks };
}

const verdict = (kind: RelyingPartyKind, accepted: boolean, reason: Verdict["reason"] = accepted ? "accepted" : "revoked"): Verdict => ({
  kind,
  accepted,
  reason,
  line: `${kind} said ${reason}`,
  latencyMs: 12,
  relyingParty: `${kind} server`,
  serialNumber: "01",
});

/** A software key its keystore lets out, as an exportable SoftwareKeystore makes. */
const exportable = (byte: number): DeviceKey => ({
  alg: "p256",
  publicKey: new Uint8Array([byte]),
  sign: async () => new Uint8Array(),
  exportPkcs8: () => new Uint8Array([byte]),
});
const credential: PresentableCredential = { pivAuth: new Uint8Array([1]), chain: [], pivAuthKey: exportable(2) };
const agent = (over: Partial<DeviceAgent> = {}) =>
  ({ index: 0, platform: "android", hasValidCredential: true, presentable: () => credential, ...over }) as unknown as DeviceAgent;

describe("relying-party checks", () => {
  it("a refusal while the tenant holds the credential valid is an error with the relying party's reason", async () => {
    const { metrics, checks, calls } = setup((kind) => verdict(kind, false, "untrusted"));
    await checks.accepts(agent());
    expect(calls).toHaveLength(1);
    expect(metrics.counter("failed:rp-refused-valid:app:untrusted")).toBe(1);
    expect(metrics.checks()["relying party app: accepts a valid credential"]).toEqual({ passes: 0, fails: 1 });
    expect(checks.lines()).toEqual({ app: { untrusted: "app said untrusted" } });
  });

  it("a revoked credential still accepted is asked again every simulated hour: refused after two, it took 2 h", async () => {
    const { sim, metrics, checks, calls } = setup((kind, _at, n) => verdict(kind, n <= 2));
    await checks.refuses(agent(), credential, START.getTime(), "lost");
    await sim.run({ until: new Date(START.getTime() + 10 * HOUR) });
    expect(calls.map((c) => c.at.getTime() - START.getTime())).toEqual([0, HOUR, 2 * HOUR]);
    const h = Histogram.fromJSON(metrics.snapshot().latency["rp-revocation-to-refusal:app"]!);
    expect(h.count).toBe(1);
    expect(h.max).toBeGreaterThan(2 * HOUR * 0.99);
    expect(h.max).toBeLessThan(2 * HOUR * 1.01);
    expect(metrics.counter("rp:app:revoked-refused:lost")).toBe(1);
    expect(metrics.counter("rp:app:accepted")).toBe(2);
    expect(metrics.checks()["relying party app: refuses a revoked credential"]).toEqual({ passes: 1, fails: 0 });
  });

  it("one that never refuses is given up after 48 tries (two simulated days) and counted as an error", async () => {
    const { sim, metrics, checks, calls } = setup((kind) => verdict(kind, true));
    await checks.refuses(agent(), credential, START.getTime(), "superseded");
    await sim.run({ until: new Date(START.getTime() + 5 * 24 * HOUR) });
    expect(calls).toHaveLength(48);
    expect(metrics.counter("failed:rp-accepted-revoked:app:superseded")).toBe(1);
    expect(metrics.checks()["relying party app: refuses a revoked credential"]).toEqual({ passes: 0, fails: 1 });
    expect(checks.ended()).toEqual([]);
  });

  it("a recheck still waiting when the run ends counts as never refused", async () => {
    const { sim, metrics, checks } = setup((kind) => verdict(kind, true));
    await checks.refuses(agent(), credential, START.getTime(), "lost");
    await sim.run({ until: new Date(START.getTime() + 3 * HOUR) });
    checks.ended();
    expect(metrics.counter("failed:rp-accepted-revoked:app:lost")).toBe(1);
  });

  it("a relying party that cannot run is counted and named for the run's incidents; the device is not failed", async () => {
    const { metrics, checks } = setup(() => new Error("nginx exited (1): could not build map_hash"));
    const a = agent({ fail: () => expect.fail("the device must not fail for its relying party") } as Partial<DeviceAgent>);
    await checks.accepts(a);
    await checks.accepts(a);
    expect(metrics.counter("failed:rp-unavailable:app")).toBe(2);
    expect(checks.ended()).toEqual(["relying party app could not judge credentials: nginx exited (1): could not build map_hash"]);
  });

  it("keys that stay in a hardware keystore cannot be presented: not applicable, no exchange; S/MIME needs the signing pair", async () => {
    const { metrics, checks, calls } = setup((kind) => verdict(kind, true), "app:1,smime:1");
    await checks.accepts(agent({ presentable: () => ({ pivAuth: new Uint8Array([1]), chain: [] }) } as Partial<DeviceAgent>));
    expect(calls).toHaveLength(0);
    expect(metrics.counter("rp:app:not-applicable:hardware-keystore")).toBe(1);
    // An iOS device without S/MIME keys: app only.
    await checks.accepts(agent({ index: 1, platform: "ios" } as Partial<DeviceAgent>));
    expect(calls.map((c) => c.kind)).toEqual(["app"]);
    await checks.accepts(
      agent({
        index: 2,
        platform: "ios",
        presentable: () => ({ ...credential, signing: new Uint8Array([3]), signingKey: exportable(4) }),
      } as Partial<DeviceAgent>),
    );
    expect(calls.map((c) => c.kind)).toEqual(["app", "app", "smime"]);
  });
});
