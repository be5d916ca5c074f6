import type { RelyingPartyKind, Verdict } from "../../emulators/relying-party/index.js";
import type { DeviceAgent, PresentableCredential } from "../agent/index.js";
import { type FleetMetrics, RELYING_PARTY_METRICS as M } from "../metrics/index.js";
import type { Simulation } from "../sim/index.js";
import type { RelyingPartyPool } from "./pool.js";
import { type RelyingPartyShares, relyingPartiesOf } from "./spec.js";

/** A revoked credential a relying party still accepted: tried again this often (simulated) … */
const RECHECK_MS = 3_600_000;
/** … at most this many times (two simulated days), then counted as never refused. */
const MAX_ATTEMPTS = 48;
/** Revoked credentials waiting for a recheck, at most: a bounded store (each holds a device's keys). */
const MAX_PENDING = 10_000;

/** Why a credential stopped being valid: renewal (superseded), a lost-device report, or an issuer change. */
export type RevocationCause = "superseded" | "lost" | "issuer-change";

interface Pending {
  kind: RelyingPartyKind;
  credential: PresentableCredential;
  revokedAt: number;
  cause: RevocationCause;
  attempts: number;
}

/**
 * The real authentications of a fleet's sampled devices: after each enrolment and renewal the device's credential
 * must be accepted (a refusal while the tenant holds it valid is an error with the relying party's reason); after a
 * revocation — its predecessor superseded by a renewal, a lost device, an issuer change — it must be refused, and the
 * simulated time from the revocation to the first refusal is the relying party's revocation-to-refusal latency
 * (CRL caching and OCSP answers decide it). A relying party that still accepts is asked again every simulated hour.
 */
export class RelyingPartyChecks {
  readonly #kinds = new Map<number, RelyingPartyKind[]>();
  readonly #pending = new Map<number, Pending>();
  #nextPending = 0;
  /** Relying parties that could not run an exchange (did not start, crashed): the run's measurement is broken. */
  readonly #broken = new Map<RelyingPartyKind, string>();
  /** The relying party's own line for its first verdict of each kind (accepted, revoked, untrusted, …): a bounded sample. */
  readonly #lines = new Map<RelyingPartyKind, Map<string, string>>();

  constructor(
    private readonly pool: RelyingPartyPool,
    private readonly shares: RelyingPartyShares,
    private readonly seed: string,
    private readonly metrics: FleetMetrics,
    private readonly sim: Simulation,
  ) {
    sim.on("relying-party-recheck", async (event) => this.#recheck(event.subject));
  }

  /** The relying parties this device authenticates at (none for most devices). */
  kindsOf(agent: DeviceAgent): RelyingPartyKind[] {
    let kinds = this.#kinds.get(agent.index);
    if (!kinds) {
      kinds = relyingPartiesOf(this.shares, this.seed, agent.index, agent.platform);
      this.#kinds.set(agent.index, kinds);
    }
    return kinds;
  }

  /** The device's credential now, if it is in the sample: what a later revocation check presents. */
  capture(agent: DeviceAgent): PresentableCredential | undefined {
    return this.kindsOf(agent).length > 0 ? agent.presentable() : undefined;
  }

  /** After an enrolment or a renewal: every sampled relying party must accept the new credential. */
  async accepts(agent: DeviceAgent): Promise<void> {
    const credential = this.capture(agent);
    if (!credential) return;
    for (const kind of this.#applicable(agent, credential)) {
      const verdict = await this.#authenticate(kind, credential);
      if (!verdict) continue;
      this.metrics.check(`relying party ${kind}: accepts a valid credential`, verdict.accepted);
      if (!verdict.accepted && agent.hasValidCredential) this.metrics.increment(M.refusedValid(kind, verdict.reason));
    }
  }

  /** After `credential` was revoked (or made invalid) at `revokedAt`: every sampled relying party must refuse it. */
  async refuses(agent: DeviceAgent, credential: PresentableCredential | undefined, revokedAt: number, cause: RevocationCause): Promise<void> {
    if (!credential) return;
    for (const kind of this.#applicable(agent, credential)) await this.#expectRefusal({ kind, credential, revokedAt, cause, attempts: 0 });
  }

  /**
   * At the run's end: revoked credentials still accepted and not yet asked again count as never refused. Returns
   * what kept a relying party from judging at all (one line per kind), for the run's incidents.
   */
  ended(): string[] {
    for (const p of this.#pending.values()) this.#neverRefused(p);
    this.#pending.clear();
    return [...this.#broken].map(([kind, why]) => `relying party ${kind} could not judge credentials: ${why}`);
  }

  /** S/MIME needs the signing certificate and its key (iOS); every kind needs keys the client can read (not hardware). */
  #applicable(agent: DeviceAgent, credential: PresentableCredential): RelyingPartyKind[] {
    const kinds = this.kindsOf(agent);
    if (!credential.pivAuthKey?.exportPkcs8) {
      for (const kind of kinds) this.metrics.increment(M.notApplicable(kind, "hardware-keystore"));
      return [];
    }
    return kinds.filter((kind) => kind !== "smime" || (credential.signing !== undefined && credential.signingKey?.exportPkcs8 !== undefined));
  }

  /** One exchange; undefined when the relying party itself failed (counted, and kept for the incidents). */
  async #authenticate(kind: RelyingPartyKind, credential: PresentableCredential): Promise<Verdict | undefined> {
    let verdict: Verdict;
    try {
      verdict = await this.pool.authenticate(kind, credential, this.sim.now());
    } catch (error) {
      this.metrics.increment(M.unavailable(kind));
      if (!this.#broken.has(kind)) this.#broken.set(kind, error instanceof Error ? error.message.slice(0, 300) : String(error));
      return undefined;
    }
    this.metrics.recordLatency(M.latency(kind), verdict.latencyMs, performance.timeOrigin + performance.now());
    this.metrics.increment(verdict.accepted ? M.accepted(kind) : M.refused(kind, verdict.reason));
    const lines = this.#lines.get(kind) ?? this.#lines.set(kind, new Map()).get(kind)!;
    if (!lines.has(verdict.reason)) lines.set(verdict.reason, verdict.line.slice(0, 500));
    return verdict;
  }

  /** Per kind, the relying party's line for the first verdict of each reason. */
  lines(): Record<string, Record<string, string>> {
    return Object.fromEntries([...this.#lines].map(([kind, lines]) => [kind, Object.fromEntries(lines)]));
  }

  async #expectRefusal(p: Pending): Promise<void> {
    p.attempts++;
    const verdict = await this.#authenticate(p.kind, p.credential);
    if (!verdict) return;
    if (!verdict.accepted) {
      this.metrics.check(`relying party ${p.kind}: refuses a revoked credential`, true);
      this.metrics.recordLatency(M.revocationToRefusal(p.kind), Math.max(0, this.sim.now().getTime() - p.revokedAt));
      this.metrics.increment(M.refusedAfter(p.kind, p.cause));
      return;
    }
    if (p.attempts >= MAX_ATTEMPTS || this.#pending.size >= MAX_PENDING) {
      this.#neverRefused(p);
      return;
    }
    const id = this.#nextPending++;
    this.#pending.set(id, p);
    this.sim.schedule({ after: RECHECK_MS }, { kind: "relying-party-recheck", subject: id });
  }

  async #recheck(id: number): Promise<void> {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    await this.#expectRefusal(p);
  }

  #neverRefused(p: Pending): void {
    this.metrics.check(`relying party ${p.kind}: refuses a revoked credential`, false);
    this.metrics.increment(M.acceptedRevoked(p.kind, p.cause));
  }
}
