import { GRAPH_ISSUER, type IssuerName, type Platform } from "../../emulators/derived/index.js";
import { type CheckInResult, LAB_TENANT } from "../../emulators/tenant/index.js";
import type { AdjustableClock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import type { PivCard } from "../../src/piv/index.js";
import { CertificateFacts, OIDS } from "../../src/pki/index.js";
import type { SeededRandom } from "../../src/random.js";
import { JsonClient, type SimulatedDevice } from "../clients/index.js";
import { type IssuedCredential, issuerWorkflow } from "../issuers/index.js";
import { type DeviceKey, type Keystore, SoftwareKeystore } from "../keystore/index.js";
import type { FleetMetrics } from "../metrics/index.js";
import { namedClientFetch } from "./client-identity.js";
import { applyProfiles, type HeldCredential, type ProfileResult } from "./profile-apply.js";
import { RecordingKeystore } from "./recording-keystore.js";
import { AGENT_RETRY_POLICY, retryingFetch } from "./retrying-fetch.js";
import { stepTimingFetch } from "./step-timing.js";
import { isUserRecoverable, type UserSlips } from "./user-slips.js";

/**
 * none → enrolled → renewal-due → renewed (→ renewal-due → renewed …); expired when the credential lapsed; failed with
 * a reason when the device gave up; lost (reported, credentials revoked) or unenrolled (retired by its user) when it
 * left the fleet. After an issuer change the device is back to none until it enrols with the new issuer.
 */
export type AgentState = "none" | "enrolled" | "renewal-due" | "renewed" | "expired" | "failed" | "lost" | "unenrolled";

export const AGENT_STATES: readonly AgentState[] = ["none", "enrolled", "renewal-due", "renewed", "expired", "failed", "lost", "unenrolled"];

/** States in which a device has left the fleet on purpose (not a failure). */
const RETIRED: ReadonlySet<AgentState> = new Set(["lost", "unenrolled"]);

/** The cardholder: a card of the deck with its PIN. Several devices may share one user (and card). */
export interface DeviceUser {
  cardIndex: number;
  card: PivCard;
  pin: string;
  email: string;
}

/** What every agent of one lab stack shares. */
export interface AgentEnvironment {
  /** Reaches the stack: in-process, or over HTTP (faults included either way). */
  fetch: typeof fetch;
  baseUrl: string;
  clock: AdjustableClock;
  metrics: FleetMetrics;
  /** The lab's root (DER), the trust anchor when no trusted root profile is deployed. */
  trustedRoot: Uint8Array;
  /** Purebred's registration agent. */
  purebredAgent?: { card: PivCard; pin: string };
  /** The admin puts a freshly enrolled managed device in the fleet's group, so the fleet's policies target it. */
  assign(managedDeviceId: string): void | Promise<void>;
}

export interface DeviceAgentOptions {
  index: number;
  issuer: IssuerName;
  platform: Platform;
  user: DeviceUser;
  /** This device's own random stream (retry jitter). */
  random: SeededRandom;
  env: AgentEnvironment;
  keystore?: Keystore;
  /** The user's slips (mistyped PIN, card errors, slow with a one-time secret); default none. */
  slips?: UserSlips;
  /** What the phone is like; default a current OS, camera allowed, on the on-premises network. */
  traits?: Partial<DeviceTraits>;
}

/** A simulated phone's properties that change what its workflows can do (docs/intune.md §1.7, §1.8, §3). */
export interface DeviceTraits {
  osVersion: string;
  cameraAllowed: boolean;
  onPremisesNetwork: boolean;
  /** The MDM's compliance verdict: a non-compliant device is not approved for a derived credential (DC-ISS-02). */
  compliant: boolean;
}

export function defaultTraits(platform: Platform): DeviceTraits {
  return { osVersion: platform === "ios" ? "17.5" : "14", cameraAllowed: true, onPremisesNetwork: true, compliant: true };
}

/** What a step did; `retryable` failures are worth another attempt later (the network or the server was busy). */
export type StepOutcome = { ok: true } | { ok: false; reason: string; retryable: boolean };

interface Credential extends HeldCredential {
  credentialId: string;
  notAfter: number;
  /** When the tenant says renewal is due (its answer to the registration: the formula lives in the tenant only). */
  tenantDueAt: number;
  /** When the issuer renews by itself (Intercede's Identity Agent); −∞ for the others. */
  rekeyDueAt: number;
  /** The current derived PIV Authentication key (Intercede's rekey proof). */
  key?: DeviceKey;
  /** The S/MIME signing key, when the device made it (iOS). */
  signingKey?: DeviceKey;
}

/**
 * A credential as a relying party's client presents it: certificates (DER) and the device's keys, which only an
 * exportable software keystore lets out (DeviceKey.exportPkcs8, called when the client's files are written).
 */
export interface PresentableCredential {
  pivAuth: Uint8Array;
  signing?: Uint8Array;
  /** Issuer CA certificate, then the root. */
  chain: readonly Uint8Array[];
  pivAuthKey?: DeviceKey;
  signingKey?: DeviceKey;
}

/** Where a device ended, for the run's outcome: `retired` with reason lost or unenrolled. */
export interface AgentEnd {
  category: "enrolled" | "renewed" | "failed" | "retired";
  reason?: string;
}

/** The tenant's answer to a credential registration: the part the agent reads. */
interface Registered {
  device: { derivedCredential?: { renewalDueAt?: string } };
}

/** A user starts the issuer's workflow over at most this often within one step (expired secret, card error). */
const USER_ATTEMPTS = 3;

/** Graph issuer value → our issuer name; a Map because the value comes from the server's answer. */
const ISSUER_OF_GRAPH = new Map<string, IssuerName>(Object.entries(GRAPH_ISSUER).map(([name, graph]) => [graph, name as IssuerName]));

/**
 * One simulated phone's life against the lab: MDM enrolment and the issuer workflow (enrolDevice), daily check-ins,
 * profile apply, and renewal when the tenant says it is due (docs/intune.md §1.4: a new enrolment through the issuer's
 * workflow, with a new key; Intercede's Identity Agent rekeys instead).
 */
export class DeviceAgent {
  readonly index: number;
  /** The issuer the device enrols with: the tenant's, so it changes when the tenant's issuer does. */
  issuer: IssuerName;
  readonly platform: Platform;
  state: AgentState = "none";
  failure: string | undefined;
  managedDeviceId: string | undefined;
  renewals = 0;
  /**
   * How the last renewal went: Intercede's Identity Agent rekeys (the predecessor revoked as superseded, DC-MNT-06);
   * the others enrol again, and the predecessor stays valid until it expires (docs/intune.md §1.4).
   */
  lastRenewal: "rekey" | "re-enrolment" | undefined;
  /** Enrolments after an issuer change (docs/intune.md §1.3: credentials of a deleted issuer are invalid). */
  reEnrolments = 0;
  /** The latest result per profile. */
  readonly profiles = new Map<string, ProfileResult>();
  /** When the first enrolment attempt started (wall ms), for end-to-end latency. */
  #firstAttemptWallMs: number | undefined;
  #endToEndPending = false;
  #credential: Credential | undefined;
  #lastRenewError: string | undefined;
  /** Why the last check-in failed (cleared by one that worked). */
  #lastCheckInError: string | undefined;
  readonly #applied = new Map<string, number>();
  readonly #keystore: RecordingKeystore;
  readonly #fetch: typeof fetch;
  readonly #user: DeviceUser;
  readonly #env: AgentEnvironment;
  readonly #slips: UserSlips | undefined;
  readonly #traits: DeviceTraits;

  constructor(opts: DeviceAgentOptions) {
    this.index = opts.index;
    this.issuer = opts.issuer;
    this.platform = opts.platform;
    this.#user = opts.user;
    this.#env = opts.env;
    this.#keystore = new RecordingKeystore(opts.keystore ?? new SoftwareKeystore());
    this.#slips = opts.slips?.any ? opts.slips : undefined;
    this.#traits = { ...defaultTraits(opts.platform), ...opts.traits };
    this.#fetch = retryingFetch(namedClientFetch(stepTimingFetch(opts.env.fetch, opts.env.metrics), `device-${opts.index}`), {
      clock: opts.env.clock,
      random: opts.random,
      policy: AGENT_RETRY_POLICY,
      onRetry: (n) => opts.env.metrics.increment(`retry:${n.reason}`),
    });
  }

  /** When the current credential's renewal is due on every side (the tenant's answer, and Intercede's rekey time); undefined without one. */
  get renewalDueAt(): number | undefined {
    const c = this.#credential;
    return c && Math.max(c.tenantDueAt, c.rekeyDueAt);
  }

  get hasValidCredential(): boolean {
    return this.#credential !== undefined && this.#credential.notAfter > this.#env.clock.now().getTime();
  }

  /**
   * MDM enrolment (once) and group assignment, then the issuer workflow, registration of the credential with the
   * tenant, a check-in and profile apply (docs/intune.md §2). A retry after a failed attempt keeps the managed device.
   */
  async enrol(): Promise<StepOutcome> {
    if (this.state !== "none") return { ok: true };
    this.#firstAttemptWallMs ??= wallNow();
    const started = performance.now();
    let credential: Credential;
    try {
      if (!this.managedDeviceId) {
        const ios = this.platform === "ios";
        const managed = await this.#tenant().post<{ id: string }>("/tenant/beta/deviceManagement/managedDevices", {
          platform: this.platform,
          osVersion: this.#traits.osVersion,
          ownership: ios ? "corporate" : "fullyManaged",
          userPrincipalName: this.#user.email,
          cardIndex: this.#user.cardIndex,
          compliant: this.#traits.compliant,
        });
        this.managedDeviceId = managed.id;
        await this.#env.assign(managed.id);
      }
      const held = this.#held(await this.#withUserRetries(() => this.#enrolWithIssuer(this.#device())));
      credential = { ...held, tenantDueAt: await this.#register(held.pivAuth) };
    } catch (error) {
      return this.#stepFailed("enrol", error);
    }
    this.#record("enrol", started);
    this.#credential = credential;
    this.state = "enrolled";
    this.#env.metrics.increment("enrolled");
    this.#endToEndPending = true;
    await this.checkIn();
    return { ok: true };
  }

  /** The user removed the device from management (Company Portal / Intune app): Graph retire, credential gone. */
  async unenrol(): Promise<StepOutcome> {
    if (!this.managedDeviceId || RETIRED.has(this.state)) return { ok: true };
    try {
      await this.#tenant().post(`/tenant/beta/deviceManagement/managedDevices/${this.managedDeviceId}/retire`, {});
    } catch (error) {
      return this.#stepFailed("unenrol", error);
    }
    this.#retire("unenrolled");
    return { ok: true };
  }

  /** The device was reported lost (the operator revoked its credentials and retired it): it is out of the fleet. */
  markLost(): void {
    this.#retire("lost");
  }

  /**
   * A daily check-in: policies to apply, and the tenant's view of the credential (renewal due at 80 % of its life;
   * invalid once the tenant's issuer was deleted, when the device enrols again with the tenant's new issuer).
   */
  async checkIn(): Promise<void> {
    if (!this.managedDeviceId || this.state === "failed" || RETIRED.has(this.state)) return;
    const started = performance.now();
    let result: CheckInResult;
    try {
      result = await this.#tenant().post<CheckInResult>(`${LAB_TENANT}/managedDevices/${this.managedDeviceId}/checkIn`, {});
    } catch (error) {
      this.#stepFailed("check-in", error);
      this.#lastCheckInError = reasonOf(error);
      return;
    }
    this.#lastCheckInError = undefined;
    this.#record("check-in", started);
    // The device's inbox (Company Portal / Intune app, email): what the tenant told the user, and whether it arrived.
    for (const n of result.notifications) this.#env.metrics.increment(`notifications:${n.kind}:${n.channel}${n.delivered ? "" : ":undelivered"}`);
    const credentialState = result.derivedCredential.state;
    if (credentialState === "invalid-issuer-deleted" && this.state !== "none") {
      await this.#followIssuerChange();
      return;
    }
    if (credentialState === "renewal-due" || credentialState === "expired") {
      this.state = credentialState;
      await this.renew(credentialState === "expired");
    }
    await this.#applyProfiles(result);
  }

  /** The tenant's issuer changed (docs/intune.md §1.3): drop the invalid credential and enrol with the new issuer. */
  async #followIssuerChange(): Promise<void> {
    let current: string | undefined;
    try {
      const settings = await this.#tenant().get<{ value: { issuer: string }[] }>("/tenant/beta/deviceManagement/derivedCredentials");
      current = settings.value[0]?.issuer;
    } catch (error) {
      this.#stepFailed("issuer-change", error);
      return; // tomorrow's check-in tries again
    }
    const next = current === undefined ? undefined : ISSUER_OF_GRAPH.get(current);
    if (!next) return; // no issuer configured (yet): nothing to enrol with
    this.issuer = next;
    this.#credential = undefined;
    this.#applied.clear();
    this.state = "none";
    this.reEnrolments++;
    this.#env.metrics.increment("re-enrolments");
    const r = await this.enrol();
    if (!r.ok && !r.retryable) this.fail(`re-enrol:${r.reason}`);
  }

  /** Renewal: a new credential through the same issuer workflow, a new key, registered with the tenant (§1.4). */
  async renew(expired: boolean): Promise<StepOutcome> {
    const credential = this.#credential;
    const device = this.#device();
    const started = performance.now();
    let renewed: Credential | undefined;
    try {
      const workflow = issuerWorkflow(this.issuer);
      let held: Omit<Credential, "tenantDueAt">;
      if (workflow.rekey && credential?.key && !expired) {
        const rekey = await workflow.rekey({
          client: new JsonClient(this.#fetch, this.#env.baseUrl),
          device,
          credential: { credentialId: credential.credentialId, key: credential.key },
        });
        if (!rekey.due) {
          this.#env.metrics.increment("rekey-not-yet-due");
          return { ok: false, reason: "rekey-not-yet-due", retryable: true };
        }
        held = this.#held(rekey);
        this.lastRenewal = "rekey";
      } else {
        held = this.#held(await this.#withUserRetries(() => this.#enrolWithIssuer(device)));
        this.lastRenewal = "re-enrolment";
      }
      renewed = { ...held, tenantDueAt: await this.#register(held.pivAuth) };
    } catch (error) {
      const failed = this.#stepFailed("renew", error);
      if (!failed.ok) this.#lastRenewError = failed.reason;
      return failed;
    }
    this.#lastRenewError = undefined;
    this.#record("renew", started);
    this.#credential = renewed;
    this.renewals++;
    this.state = "renewed";
    this.#env.metrics.increment("renewed");
    return { ok: true };
  }

  /** Gives up: the reason is kept for the outcome. */
  fail(reason: string): void {
    this.state = "failed";
    this.failure = reason;
  }

  /** Where this device ended at `at`: a valid credential (enrolled or renewed), retired, or a failure reason. */
  end(at: Date): AgentEnd {
    if (RETIRED.has(this.state)) return { category: "retired", reason: this.state };
    if (this.state === "failed") return { category: "failed", reason: this.failure ?? "unknown" };
    if (this.state === "none") return { category: "failed", reason: "never-enrolled" };
    if (!this.#credential || this.#credential.notAfter <= at.getTime())
      return {
        category: "failed",
        // A credential that lapsed while check-ins failed never heard it was due: say why, not just "expired".
        reason: this.#lastRenewError ? `renew:${this.#lastRenewError}` : this.#lastCheckInError ? `check-in:${this.#lastCheckInError}` : "expired",
      };
    return { category: this.renewals > 0 ? "renewed" : "enrolled" };
  }

  async #applyProfiles(result: CheckInResult): Promise<void> {
    const fresh = result.policies.filter((p) => this.#applied.get(p.id) !== p.deployment);
    if (fresh.length === 0) return;
    const started = performance.now();
    const results = await applyProfiles(fresh, this.hasValidCredential ? this.#credential : undefined, this.#env.trustedRoot, this.#env.clock.now());
    this.#record("profile-apply", started);
    for (const r of results) {
      this.profiles.set(r.policyId, r);
      this.#env.metrics.check(`profile ${r.family}`, r.ok);
    }
    for (const p of fresh) this.#applied.set(p.id, p.deployment);
    if (this.#endToEndPending && this.#firstAttemptWallMs !== undefined) {
      this.#endToEndPending = false;
      const now = wallNow();
      this.#env.metrics.recordLatency("end-to-end", now - this.#firstAttemptWallMs, now);
    }
  }

  #enrolWithIssuer(device: SimulatedDevice): Promise<IssuedCredential> {
    const slips = this.#slips;
    const card = slips ? slips.card(this.#user.card) : this.#user.card;
    const onSecretShown = slips ? (expiresAt: string) => slips.secretShown(expiresAt, this.#env.clock) : undefined;
    const agent = this.#env.purebredAgent;
    return issuerWorkflow(this.issuer).enrol({
      client: new JsonClient(this.#fetch, this.#env.baseUrl),
      card,
      pin: this.#user.pin,
      device,
      ...(agent ? { agent } : {}),
      ...(onSecretShown ? { onSecretShown } : {}),
    });
  }

  /** The user starts the workflow over after a slip they can recover from (an expired secret, a card error). */
  async #withUserRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (n >= USER_ATTEMPTS || !(error instanceof DpclabError) || !isUserRecoverable(error.code)) throw error;
        this.#env.metrics.increment(`user-retry:${error.code}`);
      }
    }
  }

  #retire(state: "lost" | "unenrolled"): void {
    this.state = state;
    this.#credential = undefined;
    this.#env.metrics.increment(state);
  }

  /** Hands the credential to the tenant; its answer says when renewal is due (ms). */
  async #register(pivAuth: Uint8Array): Promise<number> {
    const cert = CertificateFacts.fromDer(pivAuth);
    const registered = await this.#tenant().post<Registered>(`${LAB_TENANT}/managedDevices/${this.managedDeviceId}/derivedCredential`, {
      issuer: GRAPH_ISSUER[this.issuer],
      certificate: Buffer.from(pivAuth).toString("base64"),
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      serialNumber: cert.serialNumber,
    });
    const dueAt = Date.parse(registered.device.derivedCredential?.renewalDueAt ?? "");
    if (Number.isNaN(dueAt)) throw new DpclabError("the tenant registered the credential but said no renewalDueAt", "no-renewal-due");
    return dueAt;
  }

  #held(r: IssuedCredential): Omit<Credential, "tenantDueAt"> {
    const cert = CertificateFacts.fromDer(r.certificates.pivAuth); // cached by content: #register reads it again for free
    const [key, signingKey] = this.#keystore.take(cert.spki, ...(r.certificates.signing ? [CertificateFacts.fromDer(r.certificates.signing).spki] : []));
    return {
      rekeyDueAt: r.rekeyDueAt !== undefined ? Date.parse(r.rekeyDueAt) : Number.NEGATIVE_INFINITY,
      pivAuth: r.certificates.pivAuth,
      ...(r.certificates.signing ? { signing: r.certificates.signing } : {}),
      chain: r.chain,
      credentialId: r.credentialId,
      notAfter: cert.notAfter.getTime(),
      ...(key ? { key } : {}),
      ...(signingKey ? { signingKey } : {}),
    };
  }

  /** The credential held now as a relying party's client would present it; undefined without one. */
  presentable(): PresentableCredential | undefined {
    const c = this.#credential;
    if (!c) return undefined;
    return {
      pivAuth: c.pivAuth,
      chain: c.chain,
      ...(c.signing ? { signing: c.signing } : {}),
      ...(c.key ? { pivAuthKey: c.key } : {}),
      ...(c.signingKey ? { signingKey: c.signingKey } : {}),
    };
  }

  #device(): SimulatedDevice {
    const { compliant: _, ...traits } = this.#traits;
    return { deviceId: this.managedDeviceId ?? `device-${this.index}`, platform: this.platform, keystore: this.#keystore, ...traits };
  }

  /** The kind of credential held now: -hardware when its policy is id-fpki-common-derived-pivAuth-hardware (.41). */
  get credentialKind(): "software" | "hardware" | undefined {
    if (!this.#credential) return undefined;
    return CertificateFacts.fromDer(this.#credential.pivAuth).policies?.has(OIDS.commonDerivedPivAuthHardware) ? "hardware" : "software";
  }

  /** The keystore's kind: hardware-backed keys make the credential the -hardware (.41) kind. */
  get keystoreKind(): "software" | "hardware" {
    return this.#keystore.kind;
  }

  #tenant(): JsonClient {
    return new JsonClient(this.#fetch, this.#env.baseUrl);
  }

  #record(step: string, started: number): void {
    this.#env.metrics.recordLatency(step, performance.now() - started, wallNow());
  }

  #stepFailed(step: string, error: unknown): StepOutcome {
    const reason = reasonOf(error);
    this.#env.metrics.increment(`step-error:${step}:${reason}`);
    return { ok: false, reason, retryable: isTransient(error) };
  }
}

/** A stable reason code for an error: the server's problem code, or what the network did. */
export function reasonOf(error: unknown): string {
  if (error instanceof DpclabError) return error.code;
  if (error instanceof TypeError && error.message === "fetch failed") {
    // Nothing listening (a served lab that went away) reads differently from a dropped connection (a fault).
    const cause = error.cause as { code?: unknown } | undefined;
    return cause?.code === "ECONNREFUSED" ? "connection-refused" : "connection-dropped";
  }
  return error instanceof Error ? error.name || "error" : "error";
}

function isTransient(error: unknown): boolean {
  if (error instanceof DpclabError) return error.status === 408 || error.status === 429 || error.status >= 500;
  return error instanceof TypeError && error.message === "fetch failed";
}

function wallNow(): number {
  return performance.timeOrigin + performance.now();
}
