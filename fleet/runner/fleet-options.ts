import { type FaultKnobs, NO_FAULTS } from "../../emulators/admin/index.js";
import type { IssuerName } from "../../emulators/derived/index.js";
import { DAY_MS } from "../../src/clock.js";
import { DEFAULT_MIX, NO_SLIPS, type PlatformMix, parseMix, type SlipRates } from "../agent/index.js";
import { parseThreshold } from "../metrics/index.js";
import { parseRelyingParties, type RelyingPartyShares } from "../relying-parties/index.js";
import {
  arrivalRates,
  flagDuration,
  isRenewalStorm,
  parseChurn,
  parseIssuerChange,
  parsePreset,
  stormDuration,
  usage,
  type WorkloadOptions,
  type WorkloadPlan,
} from "../workloads/index.js";

export type { FleetPreset } from "../workloads/index.js";
export { PRESETS } from "../workloads/index.js";

export type IssuerChoice = IssuerName | "mixed";
export type FleetTransport = "inprocess" | "http";
/** Where a fleet's own stacks keep their state (FleetOptions.store): a postgres:// URL of an empty database, too. */
export type FleetStore = "memory" | "sqlite" | `postgres://${string}`;

/**
 * What `runFleet` takes: the CLI flags, typed. Strings are accepted where the CLI passes text. The workload shapes'
 * flags (--preset, --churn, --issuer-change) are declared by their modules in fleet/workloads.
 */
export interface FleetOptions extends WorkloadOptions {
  devices: number;
  /** `ios:60,android:40` or parsed weights (default 60/40). */
  mix?: string | PlatformMix;
  /** default "mixed": users spread over the three issuers, one stack (tenant) per issuer. */
  issuer?: IssuerChoice;
  /** Lifetime of the derived credentials, whole days from 1d to 1096d (DC-LIFE-02); default 365d. */
  lifetime?: string;
  /** Simulated duration (default "400d"). */
  duration?: string;
  seed?: string;
  /**
   * Enrolment arrivals per simulated second (default: the whole fleet over the first two days); with the
   * renewal-storm preset, renewal starts per simulated second (default: the whole fleet in ten minutes).
   */
  arrivalRate?: number;
  /** "inprocess" (default) or "http": the same agents over real sockets. */
  transport?: string;
  /**
   * Where the run's own stacks (tenant, issuers) keep their state: "memory" (default: a run's world is its own and
   * ends with it), "sqlite" (a file per stack under the lab dir, as `dpclab serve` keeps a lab) or the postgres://
   * URL of an empty database (one issuer, one worker: one stack): what the bench compares. Not with --url: the
   * served lab has its own store.
   */
  store?: string;
  /**
   * With --url: how long (real time) to wait for a served lab that went away (killed, restarting) before its refused
   * connections fail the run, e.g. "60s" (the default) or "0s" (fail at once).
   */
  rideOut?: string;
  /**
   * With transport "http": a running `dpclab serve` to drive (its clock through /__admin/clock); `dir` must then be
   * the served lab. Without it the runner serves its own stacks on loopback.
   */
  url?: string;
  /**
   * Server-side faults (rates per request) and user slips (rates per occasion), e.g.
   * "429:0.05,503:0.02,drop:0.01,slow:0.01,slow-ms:20,retry-after:1,pin:0.05,pkcs11:0.02,expired:0.05".
   */
  faults?: string;
  /**
   * What the devices are like, as shares drawn per device: "hardware:0.1,camera-blocked:0.02,old-os:0.01,off-network:0.02"
   * (hardware-backed keystore in a SoftHSM token → the -hardware credential; camera blocked by a device restriction;
   * an OS below the tenant's minimum; not on the on-premises network Purebred needs; "non-compliant" in the MDM, so
   * not approved for a derived credential). Default: none of them.
   */
  population?: string;
  thresholds?: readonly string[];
  /**
   * Lab directory: a new one, or a lab from an earlier run or `cards create`, whose deck is reused (cards are added
   * when it has too few); default a temporary one, removed afterwards.
   */
  dir?: string;
  /** Simulated start (default 2026-01-01T00:00:00Z): a fixed start keeps runs identical. */
  start?: string;
  /**
   * Worker threads (default 1: this thread). Devices are split over them in contiguous ranges (a user's devices
   * together); the outcome is the same for any count. Not with --url (one served clock).
   */
  workers?: number;
  /**
   * Real relying parties judge the credentials of a share of the devices: `wifi,vpn,app,smime[:SHARE]` (default share
   * 0.1). One worker, one issuer's tenant at a time (fleet/relying-parties).
   */
  relyingParties?: string;
  /** Called at each simulated day (with several workers: once every worker reached that day, their sum). */
  onProgress?: (progress: FleetProgress) => void;
}

export interface FleetProgress {
  day: number;
  days: number;
  simulatedNow: Date;
  enrolled: number;
  renewed: number;
  failed: number;
}

/**
 * FleetOptions checked and with defaults: what a run is a pure function of (plus the seed). The workload shapes'
 * parts (preset and storm rate, churn, issuer change) come from their modules in fleet/workloads.
 */
export interface FleetPlan extends WorkloadPlan {
  mix: PlatformMix;
  issuer: IssuerChoice;
  lifetimeDays: number;
  /** Enrolment arrivals per second. */
  arrivalRate: number;
  transport: FleetTransport;
  store: FleetStore;
  url: string | undefined;
  /** Real ms a run waits for a served lab to answer again (FleetOptions.rideOut). */
  rideOutMs: number;
  faults: Partial<FaultKnobs>;
  slips: SlipRates;
  faultSpec: string | undefined;
  population: PopulationShares;
  populationSpec: string | undefined;
  thresholds: string[];
  start: Date;
  workers: number;
  relyingParties: RelyingPartyShares | undefined;
  relyingPartiesSpec: string | undefined;
}

const ISSUER_CHOICES: readonly IssuerChoice[] = ["entrust", "purebred", "intercede", "mixed"];

export function planFleet(o: FleetOptions): FleetPlan {
  if (!Number.isInteger(o.devices) || o.devices < 1 || o.devices > 100_000) throw usage(`--devices must be a whole number from 1 to 100000 (got ${o.devices})`);
  const mix = typeof o.mix === "string" ? parseMix(o.mix) : (o.mix ?? DEFAULT_MIX);
  const issuer = o.issuer ?? "mixed";
  if (!ISSUER_CHOICES.includes(issuer)) throw usage(`--issuer must be one of ${ISSUER_CHOICES.join(", ")} (got ${JSON.stringify(issuer)})`);
  const lifetimeMs = flagDuration(o.lifetime ?? "365d", "--lifetime");
  const lifetimeDays = lifetimeMs / DAY_MS;
  if (!Number.isInteger(lifetimeDays) || lifetimeDays < 1 || lifetimeDays > 1096) {
    throw usage(`--lifetime must be whole days from 1d to 1096d (DC-LIFE-02: at most 3 years; got ${o.lifetime})`);
  }
  const preset = parsePreset(o.preset);
  const transport = (o.transport ?? "inprocess") as FleetTransport;
  if (transport !== "inprocess" && transport !== "http") throw usage(`--transport must be inprocess or http (got ${JSON.stringify(o.transport)})`);
  if (o.url !== undefined) {
    if (transport !== "http") throw usage("--url needs --transport http");
    let url: URL;
    try {
      url = new URL(o.url);
    } catch {
      throw usage(`--url must be an http:// URL (got ${JSON.stringify(o.url)})`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw usage(`--url must be an http:// URL (got ${JSON.stringify(o.url)})`);
    if (o.dir === undefined) throw usage("--url needs --dir: the lab that `dpclab serve` serves there (the fleet uses its cards)");
    if ((o.issuer ?? "mixed") === "mixed") throw usage("--url drives one served tenant, so one issuer: give --issuer entrust|purebred|intercede");
  }
  const durationMs = flagDuration(o.duration ?? (isRenewalStorm({ preset }) ? stormDuration(lifetimeDays) : "400d"), "--duration");
  if (durationMs < DAY_MS || durationMs > 1100 * DAY_MS) throw usage(`--duration must be from 1d to 1100d (got ${o.duration})`);
  const seed = o.seed ?? "dpclab-fleet";
  if (seed.length === 0) throw usage("--seed must not be empty");
  if (o.arrivalRate !== undefined && (!(o.arrivalRate > 0) || !Number.isFinite(o.arrivalRate)))
    throw usage(`--arrival-rate must be a positive number of arrivals per second (got ${o.arrivalRate})`);
  const { arrivalRate, stormRate } = arrivalRates(preset, o.devices, o.arrivalRate);
  const thresholds = [...(o.thresholds ?? [])];
  for (const t of thresholds) {
    try {
      parseThreshold(t);
    } catch (error) {
      throw usage((error as Error).message);
    }
  }
  const issuerChange = parseIssuerChange(o.issuerChange, { preset, durationMs, url: o.url, issuer });
  const workers = o.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > o.devices)
    throw usage(`--workers must be a whole number from 1 to the number of devices, ${o.devices} (got ${o.workers})`);
  if (workers > 1 && o.url !== undefined) throw usage("--workers above 1 cannot drive one served lab (--url): its clock is one timeline");
  const relyingParties = parseRelyingParties(o.relyingParties);
  if (relyingParties && workers > 1)
    throw usage("--relying-parties runs with one worker: the relying parties check status at the lab's one base URL, which one thread's stacks answer");
  if (relyingParties && issuerChange && issuer === "mixed")
    throw usage(
      "--relying-parties with --issuer-change needs one --issuer: after the change every tenant issues from the same CA, and only one can answer its status",
    );
  const store = (o.store ?? "memory") as FleetStore;
  const postgres = /^postgres(ql)?:\/\//.test(store);
  if (store !== "memory" && store !== "sqlite" && !postgres)
    throw usage(`--store must be memory, sqlite or a postgres:// URL (got ${JSON.stringify(o.store?.slice(0, 40))})`);
  if (postgres && (workers > 1 || issuer === "mixed")) throw usage("--store postgres://… holds one stack: give one --issuer and one worker");
  if (o.store !== undefined && o.url !== undefined) throw usage("--store does not go with --url: the served lab keeps its own state (dpclab serve --store)");
  const rideOutMs = flagDuration(o.rideOut ?? "60s", "--ride-out");
  if (rideOutMs > 3_600_000) throw usage(`--ride-out must be at most 1h (got ${o.rideOut})`);
  const start = new Date(o.start ?? "2026-01-01T00:00:00Z");
  if (Number.isNaN(start.getTime())) throw usage(`bad start instant ${JSON.stringify(o.start)}`);
  return {
    devices: o.devices,
    mix,
    issuer,
    lifetimeDays,
    durationMs,
    seed,
    arrivalRate,
    preset,
    transport,
    store,
    rideOutMs,
    url: o.url?.replace(/\/+$/, ""),
    stormRate,
    faults: parseFaults(o.faults, seed),
    slips: parseSlips(o.faults),
    faultSpec: o.faults,
    churn: parseChurn(o.churn),
    churnSpec: o.churn,
    population: parsePopulation(o.population),
    populationSpec: o.population,
    issuerChange,
    issuerChangeSpec: o.issuerChange,
    thresholds,
    start,
    workers,
    relyingParties,
    relyingPartiesSpec: o.relyingParties,
  };
}

/** User slips in the --faults spec (the rest are the server's fault knobs). */
// Maps, not object literals: a spec's key is the user's string ("constructor:1" must be refused, not found).
const SLIP_KEYS = new Map<string, keyof SlipRates>([
  ["pin", "pinTypo"],
  ["pkcs11", "cardError"],
  ["expired", "slowUser"],
]);

const FAULT_KEYS = new Map<string, keyof FaultKnobs>([
  ["429", "rate429"],
  ["503", "rate503"],
  ["drop", "dropRate"],
  ["slow", "slowRate"],
  ["slow-ms", "slowMs"],
  ["retry-after", "retryAfterSeconds"],
]);

/** `429:0.05,503:0.02,drop:0.01` → fault knobs (seeded from the run's seed); a bad spec is a usage error. */
export function parseFaults(spec: string | undefined, seed: string): Partial<FaultKnobs> {
  if (spec === undefined || spec.trim() === "" || spec === "none") return {};
  const knobs: Partial<FaultKnobs> = {};
  for (const part of spec.split(",")) {
    const m = /^\s*([a-z0-9-]+)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    const key = m ? FAULT_KEYS.get(m[1] as string) : undefined;
    if (m && SLIP_KEYS.has(m[1] as string)) continue; // parseSlips takes these
    if (!m || !key)
      throw usage(
        `bad --faults part ${JSON.stringify(part)} (use e.g. 429:0.05,503:0.02,drop:0.01,slow:0.01,slow-ms:20,retry-after:1,pin:0.05,pkcs11:0.02,expired:0.05)`,
      );
    (knobs as Record<string, number>)[key] = Number(m[2]);
  }
  // Checked the way the injector checks them, so a bad rate is refused before any lab is built.
  const probe = { ...NO_FAULTS, ...knobs };
  for (const k of ["rate429", "rate503", "dropRate", "slowRate"] as const)
    if (!(probe[k] >= 0 && probe[k] <= 1)) throw usage(`--faults: ${k} must be a rate between 0 and 1`);
  if (probe.rate429 + probe.rate503 + probe.dropRate > 1) throw usage("--faults: 429 + 503 + drop must not exceed 1");
  for (const k of ["slowMs", "retryAfterSeconds"] as const)
    if (!Number.isInteger(probe[k]) || probe[k] > 60_000) throw usage(`--faults: ${k} must be a whole number from 0 to 60000`);
  if (Object.keys(knobs).length === 0) return {};
  return { ...knobs, seed: `${seed}/faults` };
}

/** The user-slip part of a --faults spec: pin (mistyped PIN), pkcs11 (card error), expired (OTP/QR used too late). */
export function parseSlips(spec: string | undefined): SlipRates {
  const slips = { ...NO_SLIPS };
  if (spec === undefined || spec === "none") return slips;
  for (const part of spec.split(",")) {
    const m = /^\s*([a-z0-9-]+)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    const key = m ? SLIP_KEYS.get(m[1] as string) : undefined;
    if (!m || !key) continue;
    const rate = Number(m[2]);
    if (!(rate >= 0 && rate <= 1)) throw usage(`--faults: ${m[1]} must be a rate between 0 and 1 (got ${m[2]})`);
    slips[key] = rate;
  }
  return slips;
}

/** Shares of the fleet with each trait (independent draws per device). */
export interface PopulationShares {
  hardware: number;
  cameraBlocked: number;
  oldOs: number;
  offNetwork: number;
  nonCompliant: number;
}

const POPULATION_KEYS = new Map<string, keyof PopulationShares>([
  ["hardware", "hardware"],
  ["camera-blocked", "cameraBlocked"],
  ["old-os", "oldOs"],
  ["off-network", "offNetwork"],
  ["non-compliant", "nonCompliant"],
]);

export function parsePopulation(spec: string | undefined): PopulationShares {
  const shares: PopulationShares = { hardware: 0, cameraBlocked: 0, oldOs: 0, offNetwork: 0, nonCompliant: 0 };
  if (spec === undefined || spec.trim() === "" || spec === "none") return shares;
  for (const part of spec.split(",")) {
    const m = /^\s*([a-z-]+)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    const key = m ? POPULATION_KEYS.get(m[1] as string) : undefined;
    if (!m || !key) throw usage(`bad --population part ${JSON.stringify(part)} (use e.g. hardware:0.1,camera-blocked:0.02,old-os:0.01,off-network:0.02)`);
    const share = Number(m[2]);
    if (!(share <= 1)) throw usage(`--population: ${m[1]} must be a share between 0 and 1 (got ${m[2]})`);
    shares[key] = share;
  }
  return shares;
}
