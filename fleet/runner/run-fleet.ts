import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GRAPH_ISSUER, type IssuerName } from "../../emulators/derived/types.js";
import { CardIssuer, createCards } from "../../emulators/piv-ca/index.js";
import { inProcessFetch } from "../../emulators/shared/index.js";
import { createLabStack, ISSUERS, type LabStack } from "../../emulators/stack/index.js";
import { DAY_MS, VirtualClock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import { LabDir, openLabCard } from "../../src/lab/index.js";
import type { PivCard } from "../../src/piv/index.js";
import { SeededRandom } from "../../src/random.js";
import { AGENT_STATES, type AgentEnvironment, type AgentState, DeviceAgent, pickPlatform } from "../agent/index.js";
import { JsonClient } from "../clients/index.js";
import { evaluateThresholds, FleetMetrics, SERIES, simDay } from "../metrics/index.js";
import type { RunOutcome, RunResult } from "../report/index.js";
import { constantArrivals, deviceRandom, Simulation } from "../sim/index.js";
import { type FleetOptions, type FleetPlan, planFleet } from "./fleet-options.js";

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
}

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
      devices.push({ user: u, issuer, platform });
    }
  }
  return { users, devices };
}

/**
 * One fleet run, in-process: a lab with a card per user, one lab stack (tenant + issuers + PKI) per issuer in use on a
 * shared VirtualClock, arrivals at the given rate, a check-in per device per simulated day, the stacks' due checks
 * once a day, faults from the spec. Returns the RunResult the reports take; `outcome` depends only on seed + options.
 */
export async function runFleet(options: FleetOptions): Promise<RunResult> {
  const plan = planFleet(options);
  const wallStart = new Date();
  const { users, devices } = planDevices(plan);
  const temp = options.dir === undefined;
  const root = options.dir ?? mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "dpclab-fleet-"));
  const lab = new LabDir(root);
  if (!temp && existsSync(lab.configPath)) throw new DpclabError(`${lab.root} already holds a lab: give --dir a new directory`, "usage");
  const clock = new VirtualClock(plan.start);
  const metrics = new FleetMetrics();
  const cards: PivCard[] = [];
  try {
    const cardIssuer = await CardIssuer.create(
      lab,
      { version: 1, alg: "p256", seed: plan.seed, baseUrl: BASE_URL, createdAt: plan.start.toISOString() },
      clock,
    );
    await createCards(lab, cardIssuer, { count: users.length + 1, seed: plan.seed, clock });
    const records = cardIssuer.cards();
    const open = (index: number) => {
      const record = records[index];
      if (!record) throw new Error(`card ${index} is missing from the deck`);
      const card = openLabCard(lab, record.tokenLabel);
      cards.push(card);
      return { card, record };
    };
    const agentCard = open(0);
    const purebredAgent = { card: agentCard.card, pin: agentCard.record.pin };

    // One stack (so one tenant, one issuer) per issuer in use (intune.md §1.2: one issuer per tenant).
    const used = ISSUERS.filter((name) => users.some((u) => u.issuer === name));
    const envs = new Map<IssuerName, AgentEnvironment>();
    const stacks: LabStack[] = [];
    for (const name of used) {
      const stack = await createLabStack(lab, { clock, purebredAgents: [0], validityDays: plan.lifetimeDays });
      stacks.push(stack);
      const groupId = await configureTenant(stack, name);
      if (Object.keys(plan.faults).length) stack.faults.set({ ...plan.faults, seed: `${plan.faults.seed}/${name}` });
      envs.set(name, {
        fetch: inProcessFetch(stack.handler, BASE_URL),
        baseUrl: BASE_URL,
        clock,
        metrics,
        trustedRoot: new Uint8Array(stack.cardIssuer.root.certificate.rawData),
        ...(name === "purebred" ? { purebredAgent } : {}),
        assign: (deviceId) => {
          stack.tenant.addGroupMember(groupId, { deviceId });
        },
      });
    }

    const userCards = users.map((u) => {
      const { card, record } = open(u.cardIndex);
      return { cardIndex: u.cardIndex, card, pin: record.pin, email: record.cardholder.email };
    });
    const agents = devices.map(
      (d, index) =>
        new DeviceAgent({
          index,
          issuer: d.issuer,
          platform: d.platform,
          user: userCards[d.user]!,
          random: deviceRandom(plan.seed, index).fork("retry"),
          env: envs.get(d.issuer)!,
        }),
    );
    metrics.increment("devices", agents.length);

    const sim = new Simulation({
      clock,
      onError: (error, event) => {
        metrics.increment(`handler-error:${event.kind}`);
        const agent = agents[event.subject];
        if (agent && event.kind !== "day") agent.fail(`internal:${error instanceof Error ? error.message.slice(0, 80) : String(error)}`);
      },
    });
    const end = new Date(plan.start.getTime() + plan.durationMs);
    const days = Math.ceil(plan.durationMs / DAY_MS);
    const renewalsSeries = metrics.series(SERIES.renewalsPerSimDay);
    const stateSeries = metrics.series(SERIES.fleetStatePerSimDay);
    const enrolAttempts = new Uint8Array(agents.length);

    sim.on("enrol", async (event, s) => {
      const agent = agents[event.subject]!;
      enrolAttempts[event.subject]! += 1;
      const r = await agent.enrol();
      if (r.ok) s.schedule({ after: DAY_MS }, { kind: "check-in", subject: event.subject });
      else if (r.retryable && enrolAttempts[event.subject]! < ENROL_ATTEMPTS)
        s.schedule({ after: ENROL_RETRY_MS * enrolAttempts[event.subject]! }, { kind: "enrol", subject: event.subject });
      else agent.fail(`enrol:${r.reason}`);
    });
    sim.on("check-in", async (event, s) => {
      const agent = agents[event.subject]!;
      const before = agent.renewals;
      await agent.checkIn();
      if (agent.renewals > before) renewalsSeries.tally(simDay(s.now().getTime()), "renewals", agent.renewals - before);
      if (agent.state !== "failed") s.schedule({ after: DAY_MS }, { kind: "check-in", subject: event.subject });
    });
    const census = () => {
      const byState = Object.fromEntries(AGENT_STATES.map((st) => [st, 0])) as Record<AgentState, number>;
      for (const a of agents) byState[a.state]++;
      return byState;
    };
    sim.on("day", (event, s) => {
      for (const stack of stacks) stack.tick();
      const byState = census();
      const day = simDay(s.now().getTime());
      for (const st of AGENT_STATES) stateSeries.sample(day, st, byState[st]);
      options.onProgress?.({
        day: event.subject,
        days,
        simulatedNow: s.now(),
        enrolled: byState.enrolled + byState["renewal-due"],
        renewed: byState.renewed,
        failed: byState.failed + byState.expired,
      });
      if (event.subject < days) s.schedule(plan.start.getTime() + (event.subject + 1) * DAY_MS, { kind: "day", subject: event.subject + 1 });
    });

    sim.schedule(plan.start, { kind: "day", subject: 0 });
    const arrivals = constantArrivals(
      { start: plan.start.getTime() + 60_000, ratePerSecond: plan.arrivalRate, count: agents.length },
      new SeededRandom(`${plan.seed}/arrivals`),
    );
    for (const [subject, at] of arrivals.entries()) sim.schedule(at, { kind: "enrol", subject });
    await sim.run({ until: end });

    const outcome = outcomeOf(agents, end, stacks);
    for (const [reason, n] of Object.entries(outcome.failed)) metrics.increment(`failed:${reason}`, n);
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
        faults: plan.faultSpec ?? "none",
        transport: "inprocess",
        workers: 1,
      },
      wall: { startedAt: wallStart.toISOString(), finishedAt: wallEnd.toISOString() },
      simulated: { start: plan.start.toISOString(), end: end.toISOString() },
      outcome,
      metrics: metrics.snapshot(),
      thresholds: evaluateThresholds(plan.thresholds, metrics),
    };
  } finally {
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

/** Counts only (issue 4 §4): the same for every run with the same seed and options. */
function outcomeOf(agents: DeviceAgent[], end: Date, stacks: LabStack[]): RunOutcome {
  const failed: Record<string, number> = {};
  const counts: Record<string, number> = {};
  const add = (rec: Record<string, number>, key: string, by = 1) => {
    rec[key] = (rec[key] ?? 0) + by;
  };
  let enrolled = 0;
  let renewed = 0;
  for (const a of agents) {
    const e = a.end(end);
    if (e.category === "enrolled") enrolled++;
    else if (e.category === "renewed") renewed++;
    else add(failed, e.reason ?? "unknown");
    add(counts, a.platform);
    add(counts, `issuer:${a.issuer}`);
    add(counts, "renewals", a.renewals);
    for (const p of a.profiles.values()) add(counts, p.ok ? "profiles:ok" : "profiles:failed");
  }
  for (const stack of stacks) for (const [kind, n] of Object.entries(stack.faults.injected)) if (n) add(counts, `faults:${kind}`, n);
  return { devices: agents.length, enrolled, renewed, failed, counts };
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
    `--arrival-rate ${plan.arrivalRate}`,
    ...(plan.faultSpec ? [`--faults ${plan.faultSpec}`] : []),
    ...plan.thresholds.map((t) => `--threshold '${t}'`),
  ];
  return parts.join(" ");
}

/** The tenant of one stack: its issuer, a fleet group, and the profiles that use the derived credential (intune.md §1.6). */
async function configureTenant(stack: LabStack, issuer: IssuerName): Promise<string> {
  const api = new JsonClient(inProcessFetch(stack.handler, BASE_URL), BASE_URL);
  const DM = "/tenant/beta/deviceManagement";
  await api.post(`${DM}/derivedCredentials`, { displayName: "TEST fleet issuer", issuer: GRAPH_ISSUER[issuer], notificationType: "companyPortal" });
  const group = await api.post<{ id: string }>("/tenant/beta/groups", { displayName: "TEST fleet devices" });
  const root = Buffer.from(stack.cardIssuer.root.certificate.rawData).toString("base64");
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
