import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "@peculiar/x509";
import { GRAPH_ISSUER, type IssuerName } from "../../emulators/derived/types.js";
import { CardIssuer, createCards } from "../../emulators/piv-ca/index.js";
import { inProcessFetch, serve } from "../../emulators/shared/index.js";
import { createLabStack, ISSUERS } from "../../emulators/stack/index.js";
import { DAY_MS, VirtualClock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import { LabDir, openLabCard } from "../../src/lab/index.js";
import type { PivCard } from "../../src/piv/index.js";
import { Pkcs11Library } from "../../src/pkcs11/index.js";
import { SeededRandom } from "../../src/random.js";
import {
  AGENT_STATES,
  type AgentEnvironment,
  type AgentState,
  DeviceAgent,
  type DeviceTraits,
  pickPlatform,
  retryingFetch,
  type SlipKind,
  UserSlips,
} from "../agent/index.js";
import { JsonClient, keepAliveFetch } from "../clients/index.js";
import { HardwareKeystore } from "../keystore/index.js";
import { evaluateThresholds, FleetMetrics, SERIES, simDay } from "../metrics/index.js";
import type { RunOutcome, RunResult } from "../report/index.js";
import { constantArrivals, type DeviceRange, deviceRandom, renewalStorm, Simulation } from "../sim/index.js";
import { adminFetch } from "./admin-fetch.js";
import { type FleetOptions, type FleetPlan, type FleetProgress, planFleet } from "./fleet-options.js";
import { runWorkers } from "./parallel.js";
import { ServerWatch } from "./server-watch.js";

const BASE_URL = "http://127.0.0.1:7800";
/** Whole-workflow attempts for a first enrolment whose requests kept failing (each attempt retries its requests too). */
const ENROL_ATTEMPTS = 3;
const ENROL_RETRY_MS = 3_600_000;

interface UserPlan {
  /** Deck index of the user's card (card 0 is Purebred's registration agent). */
  cardIndex: number;
  issuer: IssuerName;
}

interface DevicePlan {
  user: number;
  issuer: IssuerName;
  platform: "ios" | "android";
  /** Drawn from the device's own stream (--population); absent: a current phone with a software keystore. */
  hardware?: true;
  traits?: Partial<DeviceTraits>;
}

/** Below the tenant's minimum OS versions (emulators/tenant/managed-device.ts MIN_OS_VERSION). */
const OLD_OS = { ios: "12.4", android: "7.1" } as const;

/**
 * Users and their devices, a pure function of the plan: one card per user, one or two devices per user, the user's
 * issuer fixed (round robin over the three for "mixed"), each device's platform drawn from its own stream.
 */
export function planDevices(plan: FleetPlan): { users: UserPlan[]; devices: DevicePlan[] } {
  const random = new SeededRandom(`${plan.seed}/users`);
  const users: UserPlan[] = [];
  const devices: DevicePlan[] = [];
  while (devices.length < plan.devices) {
    const u = users.length;
    const issuer = plan.issuer === "mixed" ? (ISSUERS[u % ISSUERS.length] as IssuerName) : plan.issuer;
    users.push({ cardIndex: u + 1, issuer });
    const count = Math.min(random.next() < 0.5 ? 1 : 2, plan.devices - devices.length);
    for (let k = 0; k < count; k++) {
      const platform = pickPlatform(plan.mix, deviceRandom(plan.seed, devices.length).fork("platform"));
      devices.push({ user: u, issuer, platform, ...deviceTraits(plan, devices.length, platform) });
    }
  }
  return { users, devices };
}

/** A device's traits from --population: independent draws from its own stream, so they do not depend on other devices. */
function deviceTraits(plan: FleetPlan, device: number, platform: "ios" | "android"): Pick<DevicePlan, "hardware" | "traits"> {
  const p = plan.population;
  if (p.hardware + p.cameraBlocked + p.oldOs + p.offNetwork + p.nonCompliant === 0) return {};
  const random = deviceRandom(plan.seed, device).fork("traits");
  const hardware = random.next() < p.hardware;
  const traits: Partial<DeviceTraits> = {};
  if (random.next() < p.cameraBlocked) traits.cameraAllowed = false;
  if (random.next() < p.oldOs) traits.osVersion = OLD_OS[platform];
  if (random.next() < p.offNetwork) traits.onPremisesNetwork = false;
  if (random.next() < p.nonCompliant) traits.compliant = false;
  return { ...(hardware ? { hardware: true as const } : {}), ...(Object.keys(traits).length ? { traits } : {}) };
}

/**
 * One fleet run, in-process: a lab with a card per user, one lab stack (tenant + issuers + PKI) per issuer in use on a
 * shared VirtualClock, arrivals at the given rate, a check-in per device per simulated day, the stacks' due checks
 * once a day, faults from the spec. Returns the RunResult the reports take; `outcome` depends only on seed + options.
 * With `workers` > 1 the devices are split over worker threads (contiguous ranges), each with its own stacks and
 * VirtualClock over the same simulated timeline; their metrics and outcome counts are merged here.
 */
export async function runFleet(options: FleetOptions): Promise<RunResult> {
  const plan = planFleet(options);
  const wallStart = new Date();
  const { users } = planDevices(plan);
  const remote = plan.transport === "http" && plan.url !== undefined;
  const temp = options.dir === undefined;
  const root = options.dir ?? mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "dpclab-fleet-"));
  const lab = new LabDir(root);
  if (remote && !existsSync(lab.configPath))
    throw new DpclabError(`${lab.root} holds no lab: with --url, --dir must be the lab that dpclab serve serves`, "usage");
  // A lab from an earlier run (or `cards create`) is reused with its deck: SoftHSM cards are the slow part to make.
  const reuse = !remote && !temp && existsSync(lab.configPath);
  // Against a served lab the run starts at the next midnight of the server's clock (it only moves forward).
  const start = remote ? await servedStart(plan.url!, plan.start) : plan.start;
  const clock = new VirtualClock(start);
  const cards: PivCard[] = [];
  const links: IssuerLink[] = [];
  try {
    const cardIssuer =
      remote || reuse
        ? await CardIssuer.open(lab, clock)
        : await CardIssuer.create(lab, { version: 1, alg: "p256", seed: plan.seed, baseUrl: BASE_URL, createdAt: start.toISOString() }, clock);
    const needed = cardsNeeded(users.length, plan.workers);
    const missing = needed - cardIssuer.cards().length;
    if (!remote && missing > 0) await createCards(lab, cardIssuer, { count: missing, seed: plan.seed, clock });
    const records = cardIssuer.cards();
    if (records.length < needed)
      throw new DpclabError(
        `the lab at ${lab.root} has ${records.length} cards; this fleet needs ${needed} (one per user and a Purebred registration agent per worker)`,
        "usage",
      );
    const end = new Date(start.getTime() + plan.durationMs);
    let shard: ShardRun;
    if (plan.workers > 1) {
      shard = await runWorkers(plan, options, lab, start, options.onProgress);
    } else {
      shard = await runShard({
        plan,
        lab,
        cardIssuer,
        start,
        clock,
        range: { worker: 0, start: 0, end: plan.devices },
        remote,
        cards,
        links,
        onDay: options.onProgress,
      });
    }
    const { metrics } = shard;
    // mergeOutcomes also sorts the keys, so one thread's outcome and many threads' read alike.
    const outcome = plan.preset === "renewal-storm" ? withStormDay(shard.outcome, shard.stormAt, start) : mergeOutcomes([shard.outcome]);
    const wallEnd = new Date();
    return {
      seed: plan.seed,
      command: replayCommand(plan, options.dir),
      options: {
        devices: plan.devices,
        mix: plan.mix.map((m) => `${m.platform}:${m.weight}`).join(","),
        issuer: plan.issuer,
        lifetime: `${plan.lifetimeDays}d`,
        duration: `${plan.durationMs / DAY_MS}d`,
        arrivalRate: plan.arrivalRate,
        preset: plan.preset,
        ...(plan.preset === "renewal-storm" ? { stormRate: plan.stormRate } : {}),
        faults: plan.faultSpec ?? "none",
        ...(plan.churnSpec ? { churn: plan.churnSpec } : {}),
        ...(plan.populationSpec ? { population: plan.populationSpec } : {}),
        ...(plan.issuerChangeSpec ? { issuerChange: plan.issuerChangeSpec } : {}),
        transport: plan.transport,
        ...(plan.url ? { url: plan.url } : {}),
        workers: plan.workers,
      },
      wall: { startedAt: wallStart.toISOString(), finishedAt: wallEnd.toISOString() },
      simulated: { start: start.toISOString(), end: end.toISOString() },
      outcome,
      metrics: metrics.snapshot(),
      thresholds: evaluateThresholds(plan.thresholds, metrics),
      ...(shard.stormAt !== undefined && shard.stormWall ? { storm: stormSummary(shard.stormAt, shard.stormWall, outcome) } : {}),
      ...(shard.incidents?.length ? { incidents: shard.incidents } : {}),
    };
  } finally {
    for (const link of links) await link.close().catch(() => undefined);
    for (const card of cards) {
      try {
        card.close();
      } catch {
        // already closed
      }
    }
    if (temp) rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Purebred's registration agent card for a worker: card 0 for the first, one past the users' cards for the others.
 * PKCS#11 login state is per token and process, so two threads signing with one card would log each other out.
 */
export function purebredAgentCard(worker: number, users: number): number {
  return worker === 0 ? 0 : users + worker;
}

/** Cards a fleet needs: one per user (cards 1…users) and one registration agent per worker. */
export function cardsNeeded(users: number, workers: number): number {
  return users + workers;
}

/** One shard's (or the whole fleet's) result: outcome counts and metrics, both mergeable by addition. */
export interface ShardRun {
  outcome: RunOutcome;
  metrics: FleetMetrics;
  /** The renewal storm's instant (epoch ms), when one was scheduled. */
  stormAt?: number;
  /** Wall clock (epoch ms) from the first storm renewal's start to the last one's end. */
  stormWall?: StormWall;
  /** What went wrong with a served lab itself (restarted, unreachable): never silent, and the run fails. */
  incidents?: string[];
}

export interface StormWall {
  first: number;
  last: number;
}

/** A simulated day's census of one shard (or, summed, of the fleet). */
export type DayCensus = FleetProgress;

export interface ShardArgs {
  plan: FleetPlan;
  lab: LabDir;
  cardIssuer: CardIssuer;
  start: Date;
  clock: VirtualClock;
  /** The devices [start, end) this shard simulates (global indices). */
  range: DeviceRange;
  remote: boolean;
  /** Filled with what the caller must close (cards, links), even if the run throws. */
  cards: PivCard[];
  links: IssuerLink[];
  /**
   * The renewal storm's coordinator (several workers): takes this shard's latest due time once all its devices
   * settled (undefined: none settled before the run ended) and resolves to the fleet-wide storm instant.
   */
  stormAt?: (localDue: number | undefined) => Promise<number>;
  /** Called once the stacks are built and before the simulation starts. */
  onReady?: () => void;
  onDay?: ((census: DayCensus) => void) | undefined;
}

/**
 * Simulates devices [range.start, range.end) of the plan on `clock`, with this shard's own stacks. Every device's
 * randomness comes from (seed, device index) and the arrival schedule is the fleet's, so a device's fate does not
 * depend on which shard runs it.
 */
export async function runShard(a: ShardArgs): Promise<ShardRun> {
  const { plan, lab, cardIssuer, start, clock, range, cards, links } = a;
  const { users, devices } = planDevices(plan);
  const metrics = new FleetMetrics();
  const records = cardIssuer.cards();
  const open = (index: number) => {
    const record = records[index];
    if (!record) throw new Error(`card ${index} is missing from the deck`);
    const card = openLabCard(lab, record.tokenLabel);
    cards.push(card);
    return { card, record };
  };
  const mine = devices.slice(range.start, range.end);
  const trustedRoot = new Uint8Array(cardIssuer.root.certificate.rawData);

  // One stack (so one tenant, one issuer) per issuer in use (intune.md §1.2: one issuer per tenant).
  const used = ISSUERS.filter((name) => mine.some((d) => d.issuer === name));
  const purebredAgent =
    used.includes("purebred") || plan.issuerChange?.to === "purebred"
      ? (() => {
          const agentCard = open(purebredAgentCard(range.worker, users.length));
          return { card: agentCard.card, pin: agentCard.record.pin };
        })()
      : undefined;
  const envs = new Map<IssuerName, AgentEnvironment>();
  const linkByIssuer = new Map<IssuerName, IssuerLink>();
  for (const name of used) {
    const link = a.remote
      ? await remoteLink(plan.url!, name, clock, plan)
      : await localLink(lab, name, clock, plan, plan.transport === "http", purebredAgentCard(range.worker, users.length));
    links.push(link);
    linkByIssuer.set(name, link);
    envs.set(name, {
      fetch: link.fetch,
      baseUrl: link.baseUrl,
      clock,
      metrics,
      trustedRoot,
      ...(name === "purebred" && purebredAgent ? { purebredAgent } : {}),
      assign: link.assign,
    });
  }

  const userCards = new Map<number, { cardIndex: number; card: PivCard; pin: string; email: string }>();
  const userCard = (u: number) => {
    let c = userCards.get(u);
    if (!c) {
      const plan = users[u]!;
      const { card, record } = open(plan.cardIndex);
      c = { cardIndex: plan.cardIndex, card, pin: record.pin, email: record.cardholder.email };
      userCards.set(u, c);
    }
    return c;
  };
  // Hardware keystores are SoftHSM tokens of their own in the lab, labelled per run (a reused lab keeps old ones).
  const runTag = Date.now().toString(36);
  let library: Pkcs11Library | undefined;
  const secureElements = () => {
    library ??= Pkcs11Library.open({ softhsmConf: lab.ensureSoftHsmConf() });
    return library;
  };
  const slipCounts: Record<string, number> = {};
  const onSlip = (kind: SlipKind) => {
    slipCounts[`faults:${kind}`] = (slipCounts[`faults:${kind}`] ?? 0) + 1;
  };
  const local = mine.map(
    (d, i) =>
      new DeviceAgent({
        index: range.start + i,
        issuer: d.issuer,
        platform: d.platform,
        user: userCard(d.user),
        random: deviceRandom(plan.seed, range.start + i).fork("retry"),
        env: envs.get(d.issuer)!,
        slips: new UserSlips(plan.slips, deviceRandom(plan.seed, range.start + i).fork("slips"), onSlip),
        ...(d.traits ? { traits: d.traits } : {}),
        ...(d.hardware ? { keystore: HardwareKeystore.provision(secureElements(), `${runTag}-${range.start + i}`) } : {}),
      }),
  );
  /** Events carry global device indices. */
  const agentOf = (subject: number) => local[subject - range.start];
  /** The stack (tenant) a device is managed by: its first issuer's, whatever issuer the tenant has now. */
  const linkOf = (agent: DeviceAgent) => linkByIssuer.get(mine[agent.index - range.start]!.issuer)!;
  metrics.increment("devices", local.length);
  a.onReady?.();

  const sim = new Simulation({
    clock,
    onError: (error, event) => {
      metrics.increment(`handler-error:${event.kind}`);
      const agent = agentOf(event.subject);
      if (agent && event.kind !== "day") agent.fail(`internal:${error instanceof Error ? error.message.slice(0, 80) : String(error)}`);
    },
  });
  const end = new Date(start.getTime() + plan.durationMs);
  const days = Math.ceil(plan.durationMs / DAY_MS);
  const renewalsSeries = metrics.series(SERIES.renewalsPerSimDay);
  const stateSeries = metrics.series(SERIES.fleetStatePerSimDay);
  const enrolAttempts = new Uint8Array(local.length);

  const storm = plan.preset === "renewal-storm";
  let unsettled = local.length; // devices whose first enrolment has not yet succeeded or given up
  let stormAt: number | undefined;
  const settled = async (s: Simulation) => {
    if (--unsettled === 0 && storm) await scheduleStorm(s);
  };
  sim.on("enrol", async (event, s) => {
    const agent = agentOf(event.subject)!;
    const k = event.subject - range.start;
    enrolAttempts[k]! += 1;
    const r = await agent.enrol();
    if (r.ok) {
      // In a storm the devices stay quiet until the storm (each day's check-in would renew them one by one).
      if (!storm) s.schedule({ after: DAY_MS }, { kind: "check-in", subject: event.subject });
      await settled(s);
    } else if (r.retryable && enrolAttempts[k]! < ENROL_ATTEMPTS)
      s.schedule({ after: ENROL_RETRY_MS * enrolAttempts[k]! }, { kind: "enrol", subject: event.subject });
    else {
      agent.fail(`enrol:${r.reason}`);
      await settled(s);
    }
  });
  // renewal-storm: once the whole fleet is enrolled, every device is due by the next simulated midnight after the
  // last one's threshold (fleet-wide: with several workers the coordinator takes the latest of theirs); from that
  // instant the renewals start at the storm's rate (open model: whatever latency), in an order drawn for the whole
  // fleet, so a device's slot does not depend on the worker that simulates it.
  const stormAttempts = new Uint8Array(local.length);
  const scheduleStorm = async (s: Simulation) => {
    let due = s.now().getTime();
    for (const ag of local) if (ag.state !== "failed" && ag.renewalDueAt !== undefined) due = Math.max(due, ag.renewalDueAt);
    const at = a.stormAt ? await a.stormAt(due) : stormInstant([due]);
    stormAt = at;
    const arrivals = renewalStorm({ at, count: plan.devices, ratePerSecond: plan.stormRate }, new SeededRandom(`${plan.seed}/storm`));
    let scheduled = 0;
    for (const { subject, at: when } of arrivals) {
      const agent = agentOf(subject);
      if (subject < range.start || subject >= range.end || !agent || agent.state === "failed") continue;
      s.schedule(Math.max(when, s.now().getTime()), { kind: "storm-renew", subject });
      scheduled++;
    }
    metrics.increment("storm:devices", scheduled);
  };
  let stormWall: StormWall | undefined;
  sim.on("storm-renew", async (event, s) => {
    const agent = agentOf(event.subject)!;
    const k = event.subject - range.start;
    stormAttempts[k]! += 1;
    const before = agent.renewals;
    const wallStart = performance.timeOrigin + performance.now();
    await agent.checkIn(); // the tenant says renewal is due → the device renews
    stormWall = { first: Math.min(stormWall?.first ?? wallStart, wallStart), last: performance.timeOrigin + performance.now() };
    const renewed = agent.renewals - before;
    if (renewed > 0) renewalsSeries.tally(simDay(s.now().getTime()), "renewals", renewed);
    else if (agent.state !== "failed" && stormAttempts[k]! < ENROL_ATTEMPTS)
      s.schedule({ after: ENROL_RETRY_MS * stormAttempts[k]! }, { kind: "storm-renew", subject: event.subject });
  });
  sim.on("check-in", async (event, s) => {
    const agent = agentOf(event.subject)!;
    const before = agent.renewals;
    await agent.checkIn();
    if (agent.renewals > before) renewalsSeries.tally(simDay(s.now().getTime()), "renewals", agent.renewals - before);
    if (agent.state !== "failed") s.schedule({ after: DAY_MS }, { kind: "check-in", subject: event.subject });
  });
  const census = () => {
    const byState = Object.fromEntries(AGENT_STATES.map((st) => [st, 0])) as Record<AgentState, number>;
    for (const ag of local) byState[ag.state]++;
    return byState;
  };
  sim.on("day", async (event, s) => {
    for (const link of links) await link.tick();
    const byState = census();
    const day = simDay(s.now().getTime());
    for (const st of AGENT_STATES) stateSeries.sample(day, st, byState[st]);
    a.onDay?.({
      day: event.subject,
      days,
      simulatedNow: s.now(),
      enrolled: byState.enrolled + byState["renewal-due"],
      renewed: byState.renewed,
      failed: byState.failed + byState.expired,
    });
    if (event.subject < days) s.schedule(start.getTime() + (event.subject + 1) * DAY_MS, { kind: "day", subject: event.subject + 1 });
  });

  // Churn: a device lost (the operator reports it: DC-TRM-01 revocation at the issuer, retired in the tenant) or
  // unenrolled by its user, on a day drawn from the device's own stream.
  sim.on("lost", async (event) => {
    const agent = agentOf(event.subject)!;
    if (!agent.managedDeviceId || agent.state === "failed" || agent.state === "lost" || agent.state === "unenrolled") return;
    const hadCredential = agent.hasValidCredential;
    const { revoked } = await linkOf(agent).reportLost(agent.managedDeviceId);
    if (hadCredential) metrics.check("lost device: credential revoked (DC-TRM-01)", revoked.length > 0);
    agent.markLost();
  });
  sim.on("unenrol", async (event) => {
    const agent = agentOf(event.subject)!;
    if (!agent.managedDeviceId || agent.state === "failed") return;
    const r = await agent.unenrol();
    if (!r.ok) agent.fail(`unenrol:${r.reason}`);
  });
  for (const agent of local) {
    const churn = churnOf(plan, agent.index);
    if (churn) sim.schedule(start.getTime() + churn.afterMs, { kind: churn.kind, subject: agent.index });
  }
  // Issuer change (intune.md §1.3): the admin deletes the tenant's issuer, adds the new one and edits the profiles
  // that use the derived credential; devices find their credential invalid at check-in and enrol again.
  sim.on("issuer-change", async () => {
    for (const link of links) await link.changeIssuer(plan.issuerChange!.to);
  });
  if (plan.issuerChange) sim.schedule(start.getTime() + plan.issuerChange.afterMs, { kind: "issuer-change", subject: 0 });

  sim.schedule(start, { kind: "day", subject: 0 });
  // The fleet's arrival schedule (all devices), of which this shard takes its own.
  const arrivals = constantArrivals(
    { start: start.getTime() + 60_000, ratePerSecond: plan.arrivalRate, count: plan.devices },
    new SeededRandom(`${plan.seed}/arrivals`),
  );
  for (let subject = range.start; subject < range.end; subject++) sim.schedule(arrivals[subject]!, { kind: "enrol", subject });
  await sim.run({ until: end });
  // A shard that never settled (a run too short for its arrivals) still answers the storm's coordinator.
  if (storm && stormAt === undefined) await a.stormAt?.(undefined);

  const injected: Record<string, number>[] = [];
  for (const link of links) injected.push(await link.injected());
  injected.push(slipCounts);
  const outcome = outcomeOf(local, end, injected);
  // Counts only, so the outcome stays comparable: the storm's renewals (its day is set once, fleet-wide: stormOutcome).
  if (storm) outcome.counts["storm:renewals"] = stormAt === undefined ? 0 : renewalsSeries.value(simDay(stormAt), "renewals");
  for (const [reason, n] of Object.entries(outcome.failed)) metrics.increment(`failed:${reason}`, n);
  const incidents = [...new Set(links.flatMap((l) => l.incidents()))];
  return {
    outcome,
    metrics,
    ...(stormAt !== undefined ? { stormAt } : {}),
    ...(stormWall ? { stormWall } : {}),
    ...(incidents.length ? { incidents } : {}),
  };
}

/** The storm's instant from the shards' latest due times: the first simulated midnight at or after all of them. */
export function stormInstant(dues: readonly number[]): number {
  return Math.ceil(Math.max(...dues) / DAY_MS) * DAY_MS;
}

/** The storm's throughput: renewals it completed per wall-clock second, from its first renewal to its last. */
function stormSummary(at: number, wall: StormWall, outcome: RunOutcome): NonNullable<RunResult["storm"]> {
  const renewals = outcome.counts["storm:renewals"] ?? 0;
  const wallSeconds = Math.max(0.001, (wall.last - wall.first) / 1000);
  return {
    at: new Date(at).toISOString(),
    renewals,
    wallSeconds: Math.round(wallSeconds * 1000) / 1000,
    renewalsPerSecond: Math.round((renewals / wallSeconds) * 100) / 100,
  };
}

/** The storm's simulated day, counted from the start (-1: no storm happened), among the sorted counts. */
function withStormDay(outcome: RunOutcome, stormAt: number | undefined, start: Date): RunOutcome {
  const day = stormAt === undefined ? -1 : simDay(stormAt) - simDay(start.getTime());
  return mergeOutcomes([outcome, { devices: 0, enrolled: 0, renewed: 0, failed: {}, retired: {}, counts: { "storm:day": day } }]);
}

/** Outcome counts of several shards, added up (every field is a count). */
export function mergeOutcomes(parts: readonly RunOutcome[]): RunOutcome {
  const failed = new Tally();
  const retired = new Tally();
  const counts = new Tally();
  let devices = 0;
  let enrolled = 0;
  let renewed = 0;
  for (const p of parts) {
    devices += p.devices;
    enrolled += p.enrolled;
    renewed += p.renewed;
    for (const [k, n] of Object.entries(p.failed)) failed.add(k, n);
    for (const [k, n] of Object.entries(p.retired)) retired.add(k, n);
    for (const [k, n] of Object.entries(p.counts)) counts.add(k, n);
  }
  return { devices, enrolled, renewed, failed: failed.toJSON(true), retired: retired.toJSON(true), counts: counts.toJSON(true) };
}

/**
 * Counts by name. A Map, not an object literal: names include failure reasons that come from a server's answer, and
 * an outside string never becomes a plain-object key ("constructor" would read Object's own constructor).
 */
class Tally {
  readonly #counts = new Map<string, number>();
  add(key: string, by = 1): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + by);
  }
  /** As JSON (own properties only), optionally sorted by name. */
  toJSON(sorted = false): Record<string, number> {
    const entries = [...this.#counts];
    if (sorted) entries.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return Object.fromEntries(entries);
  }
}

/** When (after the start) and how a device leaves the fleet, if it does: a pure function of (seed, device). */
export function churnOf(plan: FleetPlan, device: number): { kind: "lost" | "unenrol"; afterMs: number } | undefined {
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

/** Counts only (issue 4 §4): the same for every run with the same seed and options. */
function outcomeOf(agents: DeviceAgent[], end: Date, injected: Record<string, number>[]): RunOutcome {
  const failed = new Tally();
  const counts = new Tally();
  const add = (tally: Tally, key: string, by = 1) => tally.add(key, by);
  const retired = new Tally();
  let enrolled = 0;
  let renewed = 0;
  for (const a of agents) {
    const e = a.end(end);
    if (e.category === "enrolled") enrolled++;
    else if (e.category === "renewed") renewed++;
    else if (e.category === "retired") add(retired, e.reason ?? "unknown");
    else add(failed, e.reason ?? "unknown");
    if (a.reEnrolments) add(counts, "re-enrolments", a.reEnrolments);
    add(counts, a.platform);
    if (a.keystoreKind === "hardware") add(counts, "keystore:hardware");
    const kind = a.credentialKind;
    if (kind === "hardware") add(counts, "credentials:hardware");
    if (kind !== undefined && kind !== a.keystoreKind) add(counts, "credentials:keystore-mismatch"); // never, if issuers are right
    add(counts, `issuer:${a.issuer}`);
    add(counts, "renewals", a.renewals);
    for (const p of a.profiles.values()) add(counts, p.ok ? "profiles:ok" : "profiles:failed");
  }
  for (const faults of injected) for (const [kind, n] of Object.entries(faults)) if (n) add(counts, kind.startsWith("faults:") ? kind : `faults:${kind}`, n);
  return { devices: agents.length, enrolled, renewed, failed: failed.toJSON(), retired: retired.toJSON(), counts: counts.toJSON() };
}

function replayCommand(plan: FleetPlan, dir: string | undefined): string {
  const parts = [
    "dpclab fleet run",
    ...(dir ? [`--dir ${dir}`] : []),
    `--devices ${plan.devices}`,
    `--mix ${plan.mix.map((m) => `${m.platform}:${m.weight}`).join(",")}`,
    `--issuer ${plan.issuer}`,
    `--lifetime ${plan.lifetimeDays}d`,
    `--duration ${plan.durationMs / DAY_MS}d`,
    `--seed ${plan.seed}`,
    ...(plan.preset !== "none" ? [`--preset ${plan.preset}`] : []),
    ...(plan.transport !== "inprocess" ? [`--transport ${plan.transport}`] : []),
    ...(plan.url ? [`--url ${plan.url}`] : []),
    `--arrival-rate ${plan.preset === "renewal-storm" ? plan.stormRate : plan.arrivalRate}`,
    ...(plan.faultSpec ? [`--faults ${plan.faultSpec}`] : []),
    ...(plan.churnSpec ? [`--churn ${plan.churnSpec}`] : []),
    ...(plan.populationSpec ? [`--population ${plan.populationSpec}`] : []),
    ...(plan.issuerChangeSpec ? [`--issuer-change ${plan.issuerChangeSpec}`] : []),
    ...plan.thresholds.map((t) => `--threshold '${t}'`),
  ];
  return parts.join(" ");
}

/** How the runner reaches one issuer's stack (tenant + issuer): in-process, self-served over HTTP, or a served lab. */
export interface IssuerLink {
  fetch: typeof fetch;
  baseUrl: string;
  /** The admin puts a freshly enrolled device in the fleet's group. */
  assign(deviceId: string): void | Promise<void>;
  /** The day's due checks (seven-day rechecks, identity-account monitoring) at the clock's time. */
  tick(): Promise<void>;
  /** Faults injected so far in this run, by kind. */
  injected(): Promise<Record<string, number>>;
  /** The operator reports a device lost: its credentials revoked at the issuer (DC-TRM-01), retired in the tenant. */
  reportLost(deviceId: string): Promise<{ revoked: unknown[] }>;
  /** The admin switches the tenant to another issuer (delete, add, edit the derived-credential profiles). */
  changeIssuer(to: IssuerName): Promise<void>;
  /** What went wrong with the server itself (a served lab that restarted or refused connections); none in-process. */
  incidents(): string[];
  close(): Promise<void>;
}

/** A stack built here on the run's clock; with `http`, mounted on a loopback socket the agents reach by real HTTP. */
async function localLink(lab: LabDir, name: IssuerName, clock: VirtualClock, plan: FleetPlan, http: boolean, agentCard: number): Promise<IssuerLink> {
  const stack = await createLabStack(lab, { clock, purebredAgents: [agentCard], validityDays: plan.lifetimeDays });
  const groupId = await configureTenant(new JsonClient(inProcessFetch(stack.handler, BASE_URL), BASE_URL), stack.cardIssuer.root.certificate.rawData, name);
  if (Object.keys(plan.faults).length) stack.faults.set({ ...plan.faults, seed: `${plan.faults.seed}/${name}` });
  const server = http ? await serve(stack.handler, { host: "127.0.0.1", port: 0 }) : undefined;
  const client = server ? keepAliveFetch() : undefined;
  return {
    fetch: client ?? inProcessFetch(stack.handler, BASE_URL),
    baseUrl: server ? server.url : BASE_URL,
    assign: (deviceId) => {
      stack.tenant.addGroupMember(groupId, { deviceId });
    },
    tick: async () => stack.tick(),
    injected: async () => ({ ...stack.faults.injected }),
    reportLost: async (deviceId) => stack.reportLost(deviceId),
    changeIssuer: (to) => changeTenantIssuer(new JsonClient(inProcessFetch(stack.handler, BASE_URL), BASE_URL), to),
    incidents: () => [],
    close: async () => {
      client?.close();
      await server?.close();
    },
  };
}

/**
 * A running `dpclab serve`: its clock follows the run's VirtualClock (PUT /__admin/clock before any request once the
 * local clock moved, so both agree whenever the server looks), its due checks run server-side on each clock change
 * (the admin clock hook), faults go through /__admin/faults and are restored afterwards.
 */
async function remoteLink(url: string, name: IssuerName, clock: VirtualClock, plan: FleetPlan): Promise<IssuerLink> {
  const watch = new ServerWatch(url, () => clock.now());
  // Every request to the server, the admin's included, is watched: a refused connection is an incident of the run.
  const watched = (inner: typeof fetch) =>
    (async (input: RequestInfo | URL, init?: RequestInit) => {
      try {
        return await inner(input, init);
      } catch (error) {
        watch.failed(error);
        throw error;
      }
    }) as typeof fetch;
  const toAdmin = watched(adminFetch());
  const admin = new JsonClient(toAdmin, url);
  const put = async (path: string, body: unknown): Promise<unknown> => {
    const res = await toAdmin(new URL(path, url), { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new DpclabError(`PUT ${path}: ${res.status} ${text.slice(0, 200)}`, `http-${res.status}`, res.status);
    return text ? JSON.parse(text) : undefined;
  };
  let synced = -1;
  const sync = async () => {
    const now = clock.now().getTime();
    if (now === synced) return;
    watch.observe(await put("/__admin/clock", { now: new Date(now).toISOString() }));
    synced = now;
  };
  const client = keepAliveFetch();
  const devicesFetch = watched(client);
  const agentFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    await sync();
    return devicesFetch(input, init);
  }) as typeof fetch;
  await sync();
  const pki = await admin.get<{ roots: { pem: string }[] }>("/__admin/pki");
  const rootPem = pki.roots[0]?.pem;
  if (!rootPem) throw new DpclabError(`${url} publishes no root (GET /__admin/pki)`, "bad-server");
  const groupId = await configureTenant(admin, new X509Certificate(rootPem).rawData, name);
  const knobsBefore = await admin.get<Record<string, unknown> & { injected: Record<string, number> }>("/__admin/faults");
  const { injected: injectedBefore, ...restore } = knobsBefore;
  if (Object.keys(plan.faults).length) await put("/__admin/faults", { ...plan.faults, seed: `${plan.faults.seed}/${name}` });
  // Group assignment is the admin's call: retried on injected faults with its own random stream (not a device's).
  const adminRetrying = new JsonClient(retryingFetch(agentFetch, { clock, random: new SeededRandom(`${plan.seed}/admin/${name}`) }), url);
  return {
    fetch: agentFetch,
    baseUrl: url,
    assign: async (deviceId) => {
      await adminRetrying.post(`/tenant/beta/groups/${groupId}/members`, { deviceId });
    },
    tick: async () => {
      await sync();
      // The clock hook runs the server's due checks; the answer names the server's instance (a restart shows here).
      watch.observe(await admin.post("/__admin/clock/advance", { by: 0 }));
    },
    reportLost: async (deviceId) => {
      await sync();
      return admin.post<{ revoked: unknown[] }>(`/__admin/devices/${encodeURIComponent(deviceId)}/lost`, {});
    },
    changeIssuer: async (to) => {
      await sync();
      await changeTenantIssuer(admin, to);
    },
    injected: async () => {
      let now: { injected: Record<string, number> };
      try {
        now = await admin.get<{ injected: Record<string, number> }>("/__admin/faults");
      } catch (error) {
        if (watch.incidents().length > 0) return {}; // the server went away: its counts went with it (reported)
        throw error;
      }
      return Object.fromEntries(Object.entries(now.injected).map(([k, n]) => [k, n - (injectedBefore[k] ?? 0)]));
    },
    incidents: () => watch.incidents(),
    close: async () => {
      client.close();
      if (Object.keys(plan.faults).length) await put("/__admin/faults", restore);
    },
  };
}

/** The first midnight (UTC) at or after both the served clock and the fleet's nominal start. */
async function servedStart(url: string, nominal: Date): Promise<Date> {
  let now: string;
  try {
    ({ now } = await new JsonClient(adminFetch(), url).get<{ now: string }>("/__admin/clock"));
  } catch (error) {
    throw new DpclabError(`cannot reach the lab at ${url} (GET /__admin/clock): ${(error as Error).message}`, "unreachable");
  }
  const at = Math.max(Date.parse(now), nominal.getTime());
  return new Date(Math.ceil(at / DAY_MS) * DAY_MS);
}

/**
 * The admin's issuer change (intune.md §1.3): delete the tenant's issuer (every credential under it becomes invalid,
 * even if it is re-added), add the new one, and edit each profile that uses the derived credential, which waits for
 * that edit before it is deployed again. A tenant already on `to` is left alone.
 */
async function changeTenantIssuer(api: JsonClient, to: IssuerName): Promise<void> {
  const DM = "/tenant/beta/deviceManagement";
  const existing = await api.get<{ value: { id: string; issuer: string }[] }>(`${DM}/derivedCredentials`);
  const current = existing.value[0];
  if (current?.issuer === GRAPH_ISSUER[to]) return;
  if (current) await api.delete(`${DM}/derivedCredentials/${current.id}`);
  await api.post(`${DM}/derivedCredentials`, { displayName: `TEST fleet issuer (${to})`, issuer: GRAPH_ISSUER[to], notificationType: "companyPortal" });
  const profiles = await api.get<{ value: { id: string; displayName: string; needsEdit?: boolean }[] }>(`${DM}/deviceConfigurations`);
  for (const p of profiles.value) if (p.needsEdit) await api.patch(`${DM}/deviceConfigurations/${p.id}`, { displayName: p.displayName });
}

/** The tenant of one stack: its issuer, a fleet group, and the profiles that use the derived credential (intune.md §1.6). */
async function configureTenant(api: JsonClient, rootDer: ArrayBuffer, issuer: IssuerName): Promise<string> {
  const DM = "/tenant/beta/deviceManagement";
  const existing = await api.get<{ value: { issuer: string }[] }>(`${DM}/derivedCredentials`);
  const current = existing.value[0]?.issuer;
  if (current === undefined)
    await api.post(`${DM}/derivedCredentials`, { displayName: "TEST fleet issuer", issuer: GRAPH_ISSUER[issuer], notificationType: "companyPortal" });
  else if (current !== GRAPH_ISSUER[issuer])
    throw new DpclabError(`the tenant's derived credential issuer is ${current}, not ${GRAPH_ISSUER[issuer]}: run the fleet with that --issuer`, "usage");
  const group = await api.post<{ id: string }>("/tenant/beta/groups", { displayName: "TEST fleet devices" });
  const root = Buffer.from(rootDer).toString("base64");
  const profiles: Record<string, unknown>[] = [
    { type: "iosTrustedRootCertificate", trustedRootCertificate: root, certFileName: "dpclab-test-root.cer" },
    { type: "androidDeviceOwnerTrustedRootCertificate", trustedRootCertificate: root, certFileName: "dpclab-test-root.cer" },
    { type: "iosDerivedCredentialAuthenticationConfiguration" },
    { type: "androidDeviceOwnerDerivedCredentialAuthenticationConfiguration" },
    { type: "iosEnterpriseWiFiConfiguration", ssid: "TEST-corp", eapType: "eapTls", authenticationMethod: "derivedCredential" },
    { type: "androidDeviceOwnerEnterpriseWiFiConfiguration", ssid: "TEST-corp", eapType: "eapTls", authenticationMethod: "derivedCredential" },
    {
      type: "iosEasEmailProfileConfiguration",
      hostName: "mail.test.example",
      authenticationMethod: "derivedCredential",
      signingCertificateType: "derivedCredential",
    },
  ];
  for (const { type, ...settings } of profiles) {
    const created = await api.post<{ id: string }>(`${DM}/deviceConfigurations`, {
      "@odata.type": `#microsoft.graph.${type}`,
      displayName: `TEST fleet ${type}`,
      ...settings,
    });
    await api.post(`${DM}/deviceConfigurations/${created.id}/assign`, { assignments: [{ target: { groupId: group.id } }] });
  }
  return group.id;
}
