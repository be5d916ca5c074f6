import { DAY_MS } from "../../src/clock.js";
import { SeededRandom } from "../../src/random.js";
import { AGENT_STATES, type AgentState, type DeviceAgent, type PresentableCredential } from "../agent/index.js";
import { FleetMetrics, SERIES, simDay, type TimeSeries } from "../metrics/index.js";
import { RelyingPartyChecks, type RelyingPartyPool, type RelyingPartyShares } from "../relying-parties/index.js";
import type { RunOutcome } from "../report/index.js";
import { constantArrivals, Simulation } from "../sim/index.js";
import { attachWorkloads, type ShardView, type WorkloadHooks, type WorkloadReport } from "../workloads/index.js";
import type { FleetProgress } from "./fleet-options.js";
import { outcomeOf } from "./outcome.js";
import { ShardDevices, type ShardSetup } from "./shard-devices.js";

export type { StormWall } from "../workloads/index.js";

/** Whole-workflow attempts for a first enrolment whose requests kept failing (each attempt retries its requests too). */
const ENROL_ATTEMPTS = 3;
const ENROL_RETRY_MS = 3_600_000;

/** One shard's (or the whole fleet's) result: outcome counts and metrics, both mergeable by addition. */
export interface ShardRun extends WorkloadReport {
  outcome: RunOutcome;
  metrics: FleetMetrics;
  /** What went wrong with a served lab itself (restarted, unreachable): never silent, and the run fails. */
  incidents?: string[];
  /** What a served lab went through that the run rode out: reported, not a failure. */
  notes?: string[];
  /** With --relying-parties: per kind, each relying party's line for its first verdict of each reason. */
  relyingPartyLines?: Record<string, Record<string, string>>;
}

/** A simulated day's census of one shard (or, summed, of the fleet). */
export type DayCensus = FleetProgress;

export interface ShardArgs extends ShardSetup {
  start: Date;
  /**
   * The renewal storm's coordinator (several workers): takes this shard's latest due time once all its devices
   * settled (undefined: none settled before the run ended) and resolves to the fleet-wide storm instant.
   */
  stormAt?: (localDue: number | undefined) => Promise<number>;
  /** Called once the stacks are built and before the simulation starts. */
  onReady?: () => void;
  onDay?: ((census: DayCensus) => void) | undefined;
  /** With --relying-parties: the shared pool and the share of devices each relying party sees. */
  relyingParties?: { pool: RelyingPartyPool; shares: RelyingPartyShares };
}

/**
 * Simulates devices [range.start, range.end) of the plan on `clock`, with this shard's own stacks. Every device's
 * randomness comes from (seed, device index) and the arrival schedule is the fleet's, so a device's fate does not
 * depend on which shard runs it.
 */
export async function runShard(a: ShardArgs): Promise<ShardRun> {
  const metrics = new FleetMetrics();
  const devices = await ShardDevices.open(a, metrics);
  metrics.increment("devices", devices.agents.length);
  a.onReady?.();
  return new ShardSimulation(a, devices, metrics).run();
}

/**
 * The shard's event loop: first enrolments at the fleet's arrival rate (retried a few times), a check-in per device
 * per simulated day, the stacks' due checks once a day, and the workloads' own events.
 */
class ShardSimulation {
  readonly #sim: Simulation;
  readonly #end: Date;
  readonly #days: number;
  readonly #renewals: TimeSeries;
  readonly #states: TimeSeries;
  /** First-enrolment attempts per device of the shard. */
  readonly #enrolAttempts: Uint8Array;
  /** Devices whose first enrolment has not yet succeeded or given up. */
  #unsettled: number;
  readonly #workloads: WorkloadHooks[];
  readonly #dailyCheckIns: boolean;
  readonly #relyingParties: RelyingPartyChecks | undefined;

  constructor(
    private readonly args: ShardArgs,
    private readonly devices: ShardDevices,
    private readonly metrics: FleetMetrics,
  ) {
    const { plan, start, clock } = args;
    this.#sim = new Simulation({
      clock,
      onError: (error, event) => {
        metrics.increment(`handler-error:${event.kind}`);
        const agent = devices.agentOf(event.subject);
        if (agent && event.kind !== "day") agent.fail(`internal:${error instanceof Error ? error.message.slice(0, 80) : String(error)}`);
      },
    });
    this.#end = new Date(start.getTime() + plan.durationMs);
    this.#days = Math.ceil(plan.durationMs / DAY_MS);
    this.#renewals = metrics.series(SERIES.renewalsPerSimDay);
    this.#states = metrics.series(SERIES.fleetStatePerSimDay);
    this.#enrolAttempts = new Uint8Array(devices.agents.length);
    this.#unsettled = devices.agents.length;
    this.#sim.on("enrol", async (event, s) => this.#enrol(event.subject, s));
    this.#sim.on("check-in", async (event, s) => this.#checkIn(event.subject, s));
    this.#sim.on("day", async (event, s) => this.#day(event.subject, s));
    const rp = args.relyingParties;
    this.#relyingParties = rp ? new RelyingPartyChecks(rp.pool, rp.shares, plan.seed, metrics, this.#sim) : undefined;
    this.#workloads = attachWorkloads(plan, this.#view());
    this.#dailyCheckIns = this.#workloads.every((w) => w.dailyCheckIns !== false);
  }

  async run(): Promise<ShardRun> {
    const { plan, start, range } = this.args;
    const sim = this.#sim;
    sim.schedule(start, { kind: "day", subject: 0 });
    // The fleet's arrival schedule (all devices), of which this shard takes its own.
    const arrivals = constantArrivals(
      { start: start.getTime() + 60_000, ratePerSecond: plan.arrivalRate, count: plan.devices },
      new SeededRandom(`${plan.seed}/arrivals`),
    );
    for (let subject = range.start; subject < range.end; subject++) sim.schedule(arrivals[subject]!, { kind: "enrol", subject });
    await sim.run({ until: this.#end });
    for (const w of this.#workloads) await w.ended?.();
    const relyingPartyTrouble = this.#relyingParties?.ended() ?? [];

    const { links } = this.devices;
    const injected: Record<string, number>[] = [];
    for (const link of links) injected.push(await link.injected());
    injected.push(this.devices.slips);
    const outcome = outcomeOf(this.devices.agents, this.#end, injected);
    const reports = this.#workloads.map((w) => w.report?.(outcome) ?? {});
    for (const [reason, n] of Object.entries(outcome.failed)) this.metrics.increment(`failed:${reason}`, n);
    const incidents = [...new Set([...links.flatMap((l) => l.incidents()), ...relyingPartyTrouble])];
    const notes = [...new Set(links.flatMap((l) => l.notes?.() ?? []))];
    const relyingPartyLines = this.#relyingParties?.lines();
    return {
      outcome,
      metrics: this.metrics,
      ...Object.assign({}, ...reports),
      ...(incidents.length ? { incidents } : {}),
      ...(notes.length ? { notes } : {}),
      ...(relyingPartyLines ? { relyingPartyLines } : {}),
    };
  }

  /** What the workloads see of this shard. */
  #view(): ShardView {
    const { devices, metrics } = this;
    return {
      sim: this.#sim,
      start: this.args.start,
      range: this.args.range,
      metrics,
      agents: devices.agents,
      agentOf: (subject) => devices.agentOf(subject),
      reportLost: async (agent, managedDeviceId) => {
        const held = this.#relyingParties?.capture(agent);
        const reported = await devices.linkOf(agent).reportLost(managedDeviceId);
        await this.#relyingParties?.refuses(agent, held, this.#sim.now().getTime(), "lost");
        return reported;
      },
      changeIssuer: async (to) => {
        const rp = this.#relyingParties;
        const held = rp ? devices.agents.map((agent) => rp.capture(agent)) : [];
        for (const link of devices.links) await link.changeIssuer(to);
        await this.args.relyingParties?.pool.retrust([to]);
        // docs/intune.md §1.3: every credential of the deleted issuer stops being valid, now.
        const now = this.#sim.now().getTime();
        for (const [i, agent] of devices.agents.entries()) await rp?.refuses(agent, held[i], now, "issuer-change");
      },
      stormCoordinator: this.args.stormAt,
    };
  }

  #agent(subject: number): DeviceAgent {
    return this.devices.agentOf(subject)!;
  }

  async #settled(s: Simulation): Promise<void> {
    if (--this.#unsettled === 0) for (const w of this.#workloads) await w.settled?.(s);
  }

  async #enrol(subject: number, s: Simulation): Promise<void> {
    const agent = this.#agent(subject);
    const k = subject - this.args.range.start;
    this.#enrolAttempts[k]! += 1;
    const r = await agent.enrol();
    if (r.ok) {
      await this.#relyingParties?.accepts(agent);
      if (this.#dailyCheckIns) s.schedule({ after: DAY_MS }, { kind: "check-in", subject });
      await this.#settled(s);
    } else if (r.retryable && this.#enrolAttempts[k]! < ENROL_ATTEMPTS)
      s.schedule({ after: ENROL_RETRY_MS * this.#enrolAttempts[k]! }, { kind: "enrol", subject });
    else {
      agent.fail(`enrol:${r.reason}`);
      await this.#settled(s);
    }
  }

  async #checkIn(subject: number, s: Simulation): Promise<void> {
    const agent = this.#agent(subject);
    const before = agent.renewals;
    const reEnrolments = agent.reEnrolments;
    const held = this.#relyingParties?.capture(agent);
    await agent.checkIn();
    if (agent.renewals > before) this.#renewals.tally(simDay(s.now().getTime()), "renewals", agent.renewals - before);
    await this.#judgeChange(agent, held, agent.renewals > before, agent.reEnrolments > reEnrolments, s);
    if (agent.state !== "failed") s.schedule({ after: DAY_MS }, { kind: "check-in", subject });
  }

  /**
   * After a check-in that renewed (a rekey revokes the predecessor as superseded, DC-MNT-06) or re-enrolled after an
   * issuer change: the relying parties must accept the new credential, and refuse a superseded predecessor.
   */
  async #judgeChange(agent: DeviceAgent, held: PresentableCredential | undefined, renewed: boolean, reEnrolled: boolean, s: Simulation): Promise<void> {
    const rp = this.#relyingParties;
    if (!rp || !(renewed || reEnrolled)) return;
    if (agent.hasValidCredential) await rp.accepts(agent);
    // The old credential of a re-enrolment was judged when the issuer changed (changeIssuer in #view).
    if (renewed && agent.lastRenewal === "rekey") await rp.refuses(agent, held, s.now().getTime(), "superseded");
  }

  async #day(day: number, s: Simulation): Promise<void> {
    for (const link of this.devices.links) await link.tick();
    const byState = Object.fromEntries(AGENT_STATES.map((st) => [st, 0])) as Record<AgentState, number>;
    for (const ag of this.devices.agents) byState[ag.state]++;
    const bucket = simDay(s.now().getTime());
    for (const st of AGENT_STATES) this.#states.sample(bucket, st, byState[st]);
    this.args.onDay?.({
      day,
      days: this.#days,
      simulatedNow: s.now(),
      enrolled: byState.enrolled + byState["renewal-due"],
      renewed: byState.renewed,
      failed: byState.failed + byState.expired,
    });
    if (day < this.#days) s.schedule(this.args.start.getTime() + (day + 1) * DAY_MS, { kind: "day", subject: day + 1 });
  }
}
