import { describe, expect, it } from "vitest";
import type { DeviceAgent } from "../../../fleet/agent/index.js";
import { FleetMetrics } from "../../../fleet/metrics/index.js";
import { Simulation } from "../../../fleet/sim/index.js";
import {
  arrivalRates,
  attachWorkloads,
  churnOf,
  type IssuerChangeContext,
  parseChurn,
  parseIssuerChange,
  parsePreset,
  type ShardView,
  stormDayCounts,
  stormInstant,
  type WorkloadPlan,
} from "../../../fleet/workloads/index.js";
import { DAY_MS, VirtualClock } from "../../../src/clock.js";
import { DpclabError } from "../../../src/errors.js";

const START = new Date("2026-01-01T00:00:00Z");

/** The least of a DeviceAgent the workloads touch, recording what was done to it. */
function fakeAgent(index: number) {
  return {
    index,
    state: "enrolled" as string,
    managedDeviceId: `md-${index}`,
    hasValidCredential: true,
    renewals: 0,
    renewalDueAt: START.getTime() + (10 + index) * DAY_MS + 6 * 3_600_000,
    done: [] as string[],
    markLost() {
      this.state = "lost";
      this.done.push("lost");
    },
    async unenrol() {
      this.state = "unenrolled";
      this.done.push("unenrol");
      return { ok: true };
    },
    async checkIn() {
      this.renewals++;
      this.done.push("check-in");
    },
    fail(reason: string) {
      this.state = "failed";
      this.done.push(`fail:${reason}`);
    },
  };
}

function plan(over: Partial<WorkloadPlan> = {}): WorkloadPlan {
  return {
    seed: "workloads",
    devices: 6,
    durationMs: 60 * DAY_MS,
    preset: "none",
    stormRate: 1,
    churn: { lost: 0, unenrol: 0 },
    churnSpec: undefined,
    issuerChange: undefined,
    issuerChangeSpec: undefined,
    ...over,
  };
}

function shard(devices = 6) {
  const clock = new VirtualClock(START);
  const sim = new Simulation({ clock });
  const agents = Array.from({ length: devices }, (_, i) => fakeAgent(i));
  const lost: string[] = [];
  const changes: { to: string; at: number }[] = [];
  const view: ShardView = {
    sim,
    start: START,
    range: { worker: 0, start: 0, end: devices },
    metrics: new FleetMetrics(),
    agents: agents as unknown as DeviceAgent[],
    agentOf: (subject) => agents[subject] as unknown as DeviceAgent | undefined,
    reportLost: async (_agent, id) => {
      lost.push(id);
      return { revoked: [{}] };
    },
    changeIssuer: async (to) => {
      changes.push({ to, at: clock.now().getTime() });
    },
  };
  return { sim, agents, view, lost, changes, run: () => sim.run({ until: new Date(START.getTime() + 60 * DAY_MS) }) };
}

describe("workload registry", () => {
  it("a plan without workload shapes attaches none and schedules nothing", () => {
    const s = shard();
    expect(attachWorkloads(plan(), s.view)).toEqual([]);
    expect(s.sim.pending).toBe(0);
  });

  it("churn: every device lost or unenrolled on a day of its own stream, between day 3 and the end", async () => {
    const p = plan({ churn: { lost: 0.5, unenrol: 0.5 } });
    const s = shard();
    attachWorkloads(p, s.view);
    expect(s.sim.pending).toBe(6);
    for (let d = 0; d < 6; d++) {
      const c = churnOf(p, d)!;
      expect(c).toEqual(churnOf(p, d)); // a pure function of (seed, device)
      expect(c.afterMs).toBeGreaterThanOrEqual(3 * DAY_MS);
      expect(c.afterMs).toBeLessThan(p.durationMs);
    }
    await s.run();
    const kinds = s.agents.map((a) => a.done[0]);
    expect(kinds.every((k) => k === "lost" || k === "unenrol")).toBe(true);
    // reported in the order the days come, to the stack that manages each device
    expect([...s.lost].sort()).toEqual(s.agents.filter((a) => a.done[0] === "lost").map((a) => a.managedDeviceId));
    expect(s.lost.length).toBeGreaterThan(0);
  });

  it("issuer change: every stack's tenant switches once, at its instant", async () => {
    const s = shard();
    attachWorkloads(plan({ issuerChange: { afterMs: 20 * DAY_MS, to: "intercede" } }), s.view);
    await s.run();
    expect(s.changes).toEqual([{ to: "intercede", at: START.getTime() + 20 * DAY_MS }]);
  });

  it("renewal storm: no daily check-ins; once settled, every device renews from the next midnight after the last due time", async () => {
    const s = shard();
    const [storm, ...rest] = attachWorkloads(plan({ preset: "renewal-storm", stormRate: 0.01 }), s.view);
    expect(rest).toEqual([]);
    expect(storm?.dailyCheckIns).toBe(false);
    s.agents[5]!.state = "failed"; // a device whose enrolment gave up is not stormed
    await storm!.settled!(s.sim);
    await s.run();
    await storm!.ended!();
    const at = stormInstant([START.getTime() + 14 * DAY_MS + 6 * 3_600_000]);
    expect(at).toBe(START.getTime() + 15 * DAY_MS);
    expect(s.agents.map((a) => a.renewals)).toEqual([1, 1, 1, 1, 1, 0]);
    const outcome = { devices: 6, enrolled: 0, renewed: 5, failed: {}, retired: {}, counts: {} as Record<string, number> };
    const report = storm!.report!(outcome);
    expect(report.stormAt).toBe(at);
    expect(report.stormWall!.last).toBeGreaterThanOrEqual(report.stormWall!.first);
    expect(outcome.counts["storm:renewals"]).toBe(5);
    expect(stormDayCounts(report.stormAt, START)).toEqual({ "storm:day": 15 });
    expect(stormDayCounts(undefined, START)).toEqual({ "storm:day": -1 });
  });
});

describe("workload options", () => {
  const context: IssuerChangeContext = { preset: "none", durationMs: 400 * DAY_MS, url: undefined, issuer: "mixed" };
  const refused = (f: () => unknown, message: RegExp) => {
    let error: unknown;
    try {
      f();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DpclabError);
    expect(error).toMatchObject({ code: "usage", message });
    expect((error as Error).message).not.toContain("\n");
  };

  it("--preset: none or renewal-storm", () => {
    expect(parsePreset(undefined)).toBe("none");
    expect(parsePreset("renewal-storm")).toBe("renewal-storm");
    refused(() => parsePreset("hurricane"), /^--preset must be one of none, renewal-storm \(got "hurricane"\)$/);
  });

  it("--arrival-rate is the storm's rate in a storm; the fleet then enrols over two days", () => {
    expect(arrivalRates("none", 1200, 3)).toEqual({ arrivalRate: 3, stormRate: 3 });
    expect(arrivalRates("none", 1200, undefined)).toEqual({ arrivalRate: 1200 / 172_800, stormRate: 2 });
    expect(arrivalRates("renewal-storm", 1200, 3)).toEqual({ arrivalRate: 1200 / 172_800, stormRate: 3 });
  });

  it("--churn: lost and unenrol shares, together at most 1", () => {
    expect(parseChurn(undefined)).toEqual({ lost: 0, unenrol: 0 });
    expect(parseChurn("none")).toEqual({ lost: 0, unenrol: 0 });
    expect(parseChurn("lost:0.02, unenrol:0.03")).toEqual({ lost: 0.02, unenrol: 0.03 });
    refused(() => parseChurn("stolen:0.1"), /^bad --churn part "stolen:0.1" \(use e\.g\. lost:0\.02,unenrol:0\.03\)$/);
    refused(() => parseChurn("lost:0.7,unenrol:0.7"), /^--churn: lost \+ unenrol must not exceed 1 \(.*from 0 to 1; got lost:0\.7, unenrol:0\.7\)$/);
  });

  it("--issuer-change: a time inside the run, an issuer, and not with a storm or a served tenant of another issuer", () => {
    expect(parseIssuerChange(undefined, context)).toBeUndefined();
    expect(parseIssuerChange("200d:intercede", context)).toEqual({ afterMs: 200 * DAY_MS, to: "intercede" });
    refused(() => parseIssuerChange("200d:xtec", context), /^--issuer-change must look like 200d:intercede/);
    refused(() => parseIssuerChange("soon:entrust", context), /^--issuer-change: not a duration/);
    refused(() => parseIssuerChange("0d:entrust", context), /^--issuer-change must come after the start \(got 0d\)$/);
    refused(() => parseIssuerChange("500d:entrust", context), /^--issuer-change must fall inside the run's --duration, after 0 and before 400d \(got 500d\)$/);
    refused(() => parseIssuerChange("20d:entrust", { ...context, preset: "renewal-storm" }), /does not combine with --preset renewal-storm/);
    refused(() => parseIssuerChange("20d:entrust", { ...context, url: "http://127.0.0.1:7800", issuer: "purebred" }), /--url would reconfigure/);
    expect(parseIssuerChange("20d:purebred", { ...context, url: "http://127.0.0.1:7800", issuer: "purebred" })?.to).toBe("purebred");
  });
});
