// The renewal storm (`--preset renewal-storm`): the fleet enrols, then reaches its renewal threshold at one instant
// and renews at the storm's rate (open model: whatever the latency).
import { DAY_MS } from "../../src/clock.js";
import { SeededRandom } from "../../src/random.js";
import type { DeviceAgent } from "../agent/index.js";
import { SERIES, simDay, type TimeSeries } from "../metrics/index.js";
import type { RunOutcome, RunResult } from "../report/index.js";
import { renewalStorm, type Simulation } from "../sim/index.js";
import type { FleetPreset } from "./preset.js";
import type { FleetBasics, ShardView, StormWall, Workload, WorkloadHooks, WorkloadReport } from "./workload.js";

export interface RenewalStormOptions {
  /**
   * "renewal-storm": the fleet enrols, then reaches its renewal threshold at one instant and renews (open model); its
   * `arrivalRate` is then the storm's renewal starts per second (default: the whole fleet in ten minutes).
   */
  preset?: string;
}

export interface RenewalStormPlan {
  preset: FleetPreset;
  /** Renewal starts per second in a renewal storm (the `--arrival-rate` of that preset). */
  stormRate: number;
}

/** Enrolments retry for up to a few hours after the two-day window; the storm then waits for the last threshold. */
const STORM_SLACK_DAYS = 5;
/** A storm renewal that did not renew is tried again, as often and as far apart as a first enrolment. */
const STORM_ATTEMPTS = 3;
const STORM_RETRY_MS = 3_600_000;

export function isRenewalStorm(plan: { preset: FleetPreset }): boolean {
  return plan.preset === "renewal-storm";
}

/** A storm's default `--duration`: one credential lifetime and the slack for the last enrolments. */
export function stormDuration(lifetimeDays: number): string {
  return `${lifetimeDays + STORM_SLACK_DAYS}d`;
}

/**
 * `--arrival-rate` (already checked positive) split into enrolment arrivals and storm renewals per second: in a storm
 * it is the storm's rate (default: the whole fleet in ten minutes) and the fleet enrols over the first two days.
 */
export function arrivalRates(preset: FleetPreset, devices: number, arrivalRate: number | undefined): { arrivalRate: number; stormRate: number } {
  const defaultEnrolRate = devices / (2 * 86_400);
  const storm = isRenewalStorm({ preset });
  return { arrivalRate: storm ? defaultEnrolRate : (arrivalRate ?? defaultEnrolRate), stormRate: arrivalRate ?? devices / 600 };
}

/** The storm's instant from the shards' latest due times: the first simulated midnight at or after all of them. */
export function stormInstant(dues: readonly number[]): number {
  return Math.ceil(Math.max(...dues) / DAY_MS) * DAY_MS;
}

/** The storm's simulated day counted from the start (-1: no storm happened), as an outcome count. */
export function stormDayCounts(stormAt: number | undefined, start: Date): Record<string, number> {
  return { "storm:day": stormAt === undefined ? -1 : simDay(stormAt) - simDay(start.getTime()) };
}

/** The storm's throughput: renewals it completed per wall-clock second, from its first renewal to its last. */
export function stormSummary(at: number, wall: StormWall, outcome: RunOutcome): NonNullable<RunResult["storm"]> {
  const renewals = outcome.counts["storm:renewals"] ?? 0;
  const wallSeconds = Math.max(0.001, (wall.last - wall.first) / 1000);
  return {
    at: new Date(at).toISOString(),
    renewals,
    wallSeconds: Math.round(wallSeconds * 1000) / 1000,
    renewalsPerSecond: Math.round((renewals / wallSeconds) * 100) / 100,
  };
}

/**
 * One shard's storm. Once the whole fleet is enrolled, every device is due by the next simulated midnight after the
 * last one's threshold (fleet-wide: with several workers the coordinator takes the latest of theirs); from that
 * instant the renewals start at the storm's rate, in an order drawn for the whole fleet, so a device's slot does not
 * depend on the worker that simulates it.
 */
class ShardStorm implements WorkloadHooks {
  readonly dailyCheckIns = false as const;
  readonly #attempts: Uint8Array;
  readonly #renewals: TimeSeries;
  #at: number | undefined;
  #wall: StormWall | undefined;

  constructor(
    private readonly plan: RenewalStormPlan & FleetBasics,
    private readonly shard: ShardView,
  ) {
    this.#attempts = new Uint8Array(shard.agents.length);
    this.#renewals = shard.metrics.series(SERIES.renewalsPerSimDay);
    shard.sim.on("storm-renew", async (event, s) => this.#renew(event.subject, s));
  }

  async settled(s: Simulation): Promise<void> {
    const { shard, plan } = this;
    let due = s.now().getTime();
    for (const ag of shard.agents) if (ag.state !== "failed" && ag.renewalDueAt !== undefined) due = Math.max(due, ag.renewalDueAt);
    const at = shard.stormCoordinator ? await shard.stormCoordinator(due) : stormInstant([due]);
    this.#at = at;
    const arrivals = renewalStorm({ at, count: plan.devices, ratePerSecond: plan.stormRate }, new SeededRandom(`${plan.seed}/storm`));
    let scheduled = 0;
    for (const { subject, at: when } of arrivals) {
      const agent = shard.agentOf(subject);
      if (subject < shard.range.start || subject >= shard.range.end || !agent || agent.state === "failed") continue;
      s.schedule(Math.max(when, s.now().getTime()), { kind: "storm-renew", subject });
      scheduled++;
    }
    shard.metrics.increment("storm:devices", scheduled);
  }

  async #renew(subject: number, s: Simulation): Promise<void> {
    const agent = this.shard.agentOf(subject) as DeviceAgent;
    const k = subject - this.shard.range.start;
    this.#attempts[k]! += 1;
    const before = agent.renewals;
    const wallStart = performance.timeOrigin + performance.now();
    await agent.checkIn(); // the tenant says renewal is due → the device renews
    this.#wall = { first: Math.min(this.#wall?.first ?? wallStart, wallStart), last: performance.timeOrigin + performance.now() };
    const renewed = agent.renewals - before;
    if (renewed > 0) this.#renewals.tally(simDay(s.now().getTime()), "renewals", renewed);
    else if (agent.state !== "failed" && this.#attempts[k]! < STORM_ATTEMPTS)
      s.schedule({ after: STORM_RETRY_MS * this.#attempts[k]! }, { kind: "storm-renew", subject });
  }

  /** A shard that never settled (a run too short for its arrivals) still answers the storm's coordinator. */
  async ended(): Promise<void> {
    if (this.#at === undefined) await this.shard.stormCoordinator?.(undefined);
  }

  /** Counts only, so the outcome stays comparable: the storm's renewals (its day is set once, fleet-wide). */
  report(outcome: RunOutcome): WorkloadReport {
    outcome.counts["storm:renewals"] = this.#at === undefined ? 0 : this.#renewals.value(simDay(this.#at), "renewals");
    return { ...(this.#at !== undefined ? { stormAt: this.#at } : {}), ...(this.#wall ? { stormWall: this.#wall } : {}) };
  }
}

export const renewalStormWorkload: Workload<RenewalStormPlan> = {
  name: "renewal-storm",
  attach: (plan, shard) => (isRenewalStorm(plan) ? new ShardStorm(plan, shard) : undefined),
};
