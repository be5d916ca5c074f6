// Churn (`--churn lost:R,unenrol:R`): devices leave the fleet during the run, each on a day drawn from its own stream.
import { DAY_MS } from "../../src/clock.js";
import type { DeviceAgent } from "../agent/index.js";
import { deviceRandom } from "../sim/index.js";
import { usage } from "./spec.js";
import type { FleetBasics, ShardView, Workload } from "./workload.js";

export interface ChurnOptions {
  /** Devices leaving the fleet, as shares of it: "lost:0.02,unenrol:0.03" (each at a day drawn per device). */
  churn?: string;
}

/** Shares of the fleet that get lost or unenrolled during the run. */
export interface ChurnRates {
  lost: number;
  unenrol: number;
}

export interface ChurnPlan {
  churn: ChurnRates;
  /** The `--churn` text as given (for the replay command). */
  churnSpec: string | undefined;
}

export function parseChurn(spec: string | undefined): ChurnRates {
  const churn: ChurnRates = { lost: 0, unenrol: 0 };
  if (spec === undefined || spec.trim() === "" || spec === "none") return churn;
  for (const part of spec.split(",")) {
    const m = /^\s*(lost|unenrol)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) throw usage(`bad --churn part ${JSON.stringify(part)} (use e.g. lost:0.02,unenrol:0.03)`);
    churn[m[1] as keyof ChurnRates] = Number(m[2]);
  }
  if (!(churn.lost <= 1 && churn.unenrol <= 1 && churn.lost + churn.unenrol <= 1))
    throw usage(`--churn: lost + unenrol must not exceed 1 (shares of the fleet from 0 to 1; got lost:${churn.lost}, unenrol:${churn.unenrol})`);
  return churn;
}

/** When (after the start) and how a device leaves the fleet, if it does: a pure function of (seed, device). */
export function churnOf(plan: ChurnPlan & FleetBasics, device: number): { kind: "lost" | "unenrol"; afterMs: number } | undefined {
  const { lost, unenrol } = plan.churn;
  if (lost + unenrol === 0) return undefined;
  const random = deviceRandom(plan.seed, device).fork("churn");
  const u = random.next();
  const kind = u < lost ? "lost" : u < lost + unenrol ? "unenrol" : undefined;
  if (!kind) return undefined;
  // somewhere after the enrolment window (two days) and before the run ends, at a whole simulated day
  const days = Math.max(1, Math.floor(plan.durationMs / DAY_MS) - 3);
  return { kind, afterMs: (3 + random.int(0, days - 1)) * DAY_MS + 12 * 3_600_000 };
}

/**
 * A device lost (the operator reports it: DC-TRM-01 revocation at the issuer, retired in the tenant) or unenrolled
 * by its user.
 */
function attach(plan: ChurnPlan & FleetBasics, shard: ShardView): undefined {
  if (plan.churn.lost + plan.churn.unenrol === 0) return undefined;
  const { sim } = shard;
  sim.on("lost", async (event) => {
    const agent = shard.agentOf(event.subject) as DeviceAgent;
    if (!agent.managedDeviceId || agent.state === "failed" || agent.state === "lost" || agent.state === "unenrolled") return;
    const hadCredential = agent.hasValidCredential;
    const { revoked } = await shard.reportLost(agent, agent.managedDeviceId);
    if (hadCredential) shard.metrics.check("lost device: credential revoked (DC-TRM-01)", revoked.length > 0);
    agent.markLost();
  });
  sim.on("unenrol", async (event) => {
    const agent = shard.agentOf(event.subject) as DeviceAgent;
    if (!agent.managedDeviceId || agent.state === "failed") return;
    const r = await agent.unenrol();
    if (!r.ok) agent.fail(`unenrol:${r.reason}`);
  });
  for (const agent of shard.agents) {
    const churn = churnOf(plan, agent.index);
    if (churn) sim.schedule(shard.start.getTime() + churn.afterMs, { kind: churn.kind, subject: agent.index });
  }
  return undefined;
}

export const churnWorkload: Workload<ChurnPlan> = { name: "churn", attach };
