import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CardIssuer, createCards } from "../../emulators/piv-ca/index.js";
import type { RunningServer } from "../../emulators/shared/index.js";
import { ISSUERS } from "../../emulators/stack/index.js";
import { DAY_MS, VirtualClock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import { LabDir } from "../../src/lab/index.js";
import type { PivCard } from "../../src/piv/index.js";
import { evaluateThresholds } from "../metrics/index.js";
import { RelyingPartyPool, serveStatus } from "../relying-parties/index.js";
import type { RunResult } from "../report/index.js";
import { isRenewalStorm, stormDayCounts, stormSummary } from "../workloads/index.js";
import { cardsNeeded, planDevices } from "./device-plan.js";
import { type FleetOptions, type FleetPlan, planFleet } from "./fleet-options.js";
import type { IssuerLink } from "./issuer-link.js";
import { BASE_URL } from "./local-link.js";
import { countsOutcome, mergeOutcomes } from "./outcome.js";
import { runWorkers } from "./parallel.js";
import { servedStart } from "./remote-link.js";
import { replayCommand } from "./replay-command.js";
import { runShard, type ShardRun } from "./shard.js";

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
  let status: RunningServer | undefined;
  let pool: RelyingPartyPool | undefined;
  try {
    // Real relying parties fetch CRLs and ask OCSP at the URLs the certificates name: the lab's status endpoints are
    // served there for the run (a new lab names the status server's own port; the links answer once they exist).
    if (plan.relyingParties) {
      pool = RelyingPartyPool.open(lab, [...plan.relyingParties.keys()], plan.issuer === "mixed" ? ISSUERS : [plan.issuer], start);
      if (!remote) {
        const authority = (caName: string) => links.map((link) => link.statusAuthority?.(caName)).find((a) => a !== undefined);
        status = await serveStatus(authority, reuse ? lab.readConfig().baseUrl : undefined);
      }
    }
    const cardIssuer =
      remote || reuse
        ? await CardIssuer.open(lab, clock)
        : await CardIssuer.create(lab, { version: 1, alg: "p256", seed: plan.seed, baseUrl: status?.url ?? BASE_URL, createdAt: start.toISOString() }, clock);
    const needed = cardsNeeded(users.length, plan.workers);
    const missing = needed - cardIssuer.cards().length;
    if (!remote && missing > 0) await createCards(lab, cardIssuer, { count: missing, seed: plan.seed, clock });
    const records = cardIssuer.cards();
    if (records.length < needed)
      throw new DpclabError(
        `the lab at ${lab.root} has ${records.length} cards; this fleet needs ${needed} (one per user and a Purebred registration agent per worker)`,
        "usage",
      );
    const shard: ShardRun =
      plan.workers > 1
        ? await runWorkers(plan, options, lab, start, options.onProgress)
        : await runShard({
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
            ...(pool && plan.relyingParties ? { relyingParties: { pool, shares: plan.relyingParties } } : {}),
          });
    return fleetResult(plan, options.dir, shard, start, wallStart, pool?.describe());
  } finally {
    await pool?.close();
    await status?.close();
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

/** The RunResult of a fleet from its (merged) shard run. */
function fleetResult(
  plan: FleetPlan,
  dir: string | undefined,
  shard: ShardRun,
  start: Date,
  wallStart: Date,
  described: Record<string, string> | undefined,
): RunResult {
  const relyingParties = described
    ? Object.fromEntries(Object.entries(described).map(([kind, relyingParty]) => [kind, { relyingParty, lines: shard.relyingPartyLines?.[kind] ?? {} }]))
    : undefined;
  const { metrics } = shard;
  const end = new Date(start.getTime() + plan.durationMs);
  const storm = isRenewalStorm(plan);
  // mergeOutcomes also sorts the keys, so one thread's outcome and many threads' read alike.
  const outcome = mergeOutcomes([shard.outcome, ...(storm ? [countsOutcome(stormDayCounts(shard.stormAt, start))] : [])]);
  const wallEnd = new Date();
  return {
    seed: plan.seed,
    command: replayCommand(plan, dir),
    options: {
      devices: plan.devices,
      mix: plan.mix.map((m) => `${m.platform}:${m.weight}`).join(","),
      issuer: plan.issuer,
      lifetime: `${plan.lifetimeDays}d`,
      duration: `${plan.durationMs / DAY_MS}d`,
      arrivalRate: plan.arrivalRate,
      preset: plan.preset,
      ...(storm ? { stormRate: plan.stormRate } : {}),
      faults: plan.faultSpec ?? "none",
      ...(plan.churnSpec ? { churn: plan.churnSpec } : {}),
      ...(plan.populationSpec ? { population: plan.populationSpec } : {}),
      ...(plan.issuerChangeSpec ? { issuerChange: plan.issuerChangeSpec } : {}),
      transport: plan.transport,
      ...(plan.url ? { url: plan.url } : {}),
      workers: plan.workers,
      ...(plan.relyingPartiesSpec ? { relyingParties: plan.relyingPartiesSpec } : {}),
    },
    wall: { startedAt: wallStart.toISOString(), finishedAt: wallEnd.toISOString() },
    simulated: { start: start.toISOString(), end: end.toISOString() },
    outcome,
    metrics: metrics.snapshot(),
    thresholds: evaluateThresholds(plan.thresholds, metrics),
    ...(shard.stormAt !== undefined && shard.stormWall ? { storm: stormSummary(shard.stormAt, shard.stormWall, outcome) } : {}),
    ...(shard.incidents?.length ? { incidents: shard.incidents } : {}),
    ...(shard.notes?.length ? { notes: shard.notes } : {}),
    ...(relyingParties ? { relyingParties } : {}),
  };
}
