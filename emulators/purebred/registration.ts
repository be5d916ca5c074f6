import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import type { ApplicantSession, OneTimeSecrets, Platform } from "../derived/index.js";
import { ExpiringMap } from "../derived/index.js";
import { readDeviceId } from "../shared/index.js";

/**
 * A Purebred registration: the agent-supervised first enrolment of one device for one cardholder (docs/intune.md §1.7
 * "live agent … time-limited one-time passcodes", §2.1 steps 6–11, §2.5; docs/anchors.md §5).
 *
 *   awaiting-otp1 ──(iOS: pre-enrolment profile installed, §2.1 step 7)
 *        │  device enters OTP-1 read out by the agent (stage 1) → the app shows OTP-2, the device gets its token
 *        ▼
 *   awaiting-agent-confirmation
 *        │  the user reads OTP-2 back; the agent confirms it on the console (stage 2)
 *        ▼
 *   confirmed ──(device sends its CSRs; refused → back to confirmed)──▶ issuing ──▶ issued
 *
 * Any open registration becomes `cancelled` when the agent registers the same device again (the way out of an
 * expired or locked passcode). A confirmed registration must be used within the OTP lifetime (else 410).
 * Passcodes are OneTimeSecrets "otp", scoped to their registration and stage: single use, expiring, wrong guesses
 * rate-limited per registration (a replay of a spent passcode is refused but not counted: one-time-secrets.ts).
 *
 * Bounds (issue 10 §8): a registration is kept two days after it was opened — far beyond its three passcode
 * lifetimes — then forgotten; at most `maxRegistrations` are kept (the oldest dropped). Every operation is O(1): the
 * latest registration of each device is indexed, so registering a device again does not scan the others.
 */
export type RegistrationState = "awaiting-otp1" | "awaiting-agent-confirmation" | "confirmed" | "issuing" | "issued" | "cancelled";

export interface Registration {
  id: string;
  state: RegistrationState;
  agentCardIndex: number;
  applicant: ApplicantSession;
  deviceId: string;
  platform: Platform;
  createdAt: string;
  preEnrolmentProfileAt?: string;
  otp1EnteredAt?: string;
  confirmedAt?: string;
  /** Until when a confirmed registration may fetch its credential. */
  expiresAt?: string;
  issuedAt?: string;
  credentialId?: string;
  cancelledAt?: string;
}

/** What the agent console shows: no passcodes, no device token, no applicant session. */
export type RegistrationView = Omit<Registration, "id" | "agentCardIndex" | "applicant"> & {
  registrationId: string;
  cardIndex: number;
  cardholder: string;
};

export interface OtpPayload {
  registrationId: string;
  stage: 1 | 2;
}

interface Entry {
  registration: Registration;
  deviceTokenSha256?: Buffer;
  liveOtp?: { secret: string; scope: string };
}

/**
 * How long a registration is remembered after it was opened (its passcodes live otpTtlMs each): a passcode typed a
 * day late is still answered "expired", not "unknown".
 */
export const REGISTRATION_KEEP_MS = 48 * 3_600_000;
const KEEP_MS = REGISTRATION_KEEP_MS;
const MAX_REGISTRATIONS = 50_000;

export class PurebredRegistrations {
  readonly #entries: ExpiringMap<string, Entry>;
  /** deviceId → its latest registration id (the one a new registration of the device supersedes). */
  readonly #latestOfDevice: ExpiringMap<string, string>;

  constructor(
    private readonly clock: Clock,
    private readonly otps: OneTimeSecrets<OtpPayload>,
    private readonly otpTtlMs: number,
    /** DEFECT reusable-otp (defects.ts); default false. The OneTimeSecrets must be made `reusable` too. */
    private readonly reusableOtp = false,
    maxRegistrations = MAX_REGISTRATIONS,
  ) {
    if (otpTtlMs * 3 >= KEEP_MS) throw new RangeError("otpTtlMs must be under 16 hours: a registration is remembered 48 hours");
    this.#entries = new ExpiringMap({ maxEntries: maxRegistrations });
    this.#latestOfDevice = new ExpiringMap({ maxEntries: maxRegistrations });
  }

  /** The agent registers the applicant who just did PKI-AUTH in front of them; returns OTP-1 for the agent to read out. */
  create(
    agent: ApplicantSession,
    applicant: ApplicantSession,
    deviceIdField: unknown,
    platform: unknown,
  ): { registration: Registration; otp1: string; otp1ExpiresAt: Date } {
    const deviceId = readDeviceId(deviceIdField);
    if (platform !== "ios" && platform !== "android") {
      throw new DpclabError(
        'platform must be "ios" or "android" (Purebred supports both; the "(iOS only)" label is a doc inconsistency, docs/intune.md §0)',
        "bad-platform",
        400,
      );
    }
    if (applicant.cardIndex === agent.cardIndex) {
      throw new DpclabError("a registration agent cannot register their own card: another agent must supervise", "agent-cannot-supervise-self", 403);
    }
    if (applicant.account.status !== "active") {
      throw new DpclabError(`the PIV identity account of card ${applicant.cardIndex} is ${applicant.account.status} (DC-LNK-02)`, "account-terminated", 403);
    }
    const now = this.clock.now();
    const t = now.getTime();
    // A new registration of the same device supersedes the open one (and burns its passcodes). Only the latest can
    // be open: each registration of the device cancelled the one before.
    const previousId = this.#latestOfDevice.get(deviceId, t);
    const previous = previousId === undefined ? undefined : this.#entries.get(previousId, t);
    if (previous && isOpen(previous.registration.state)) this.#cancel(previous, now);
    const id = randomBytes(16).toString("base64url");
    const registration: Registration = {
      id,
      state: "awaiting-otp1",
      agentCardIndex: agent.cardIndex,
      applicant,
      deviceId,
      platform,
      createdAt: now.toISOString(),
    };
    const otp1 = this.otps.issue("otp", { registrationId: id, stage: 1 }, { ttlMs: this.otpTtlMs, scope: otpScope(id, 1) });
    this.#entries.set(id, { registration, liveOtp: { secret: otp1.secret, scope: otpScope(id, 1) } }, t + KEEP_MS, t);
    this.#latestOfDevice.set(deviceId, id, t + KEEP_MS, t);
    return { registration, otp1: otp1.secret, otp1ExpiresAt: otp1.expiresAt };
  }

  get(id: string): Registration {
    return this.#entry(id).registration;
  }

  view(id: string): RegistrationView {
    const r = this.get(id);
    return {
      registrationId: r.id,
      state: r.state,
      deviceId: r.deviceId,
      platform: r.platform,
      cardIndex: r.applicant.cardIndex,
      cardholder: r.applicant.account.cardholder.commonName,
      createdAt: r.createdAt,
      ...pick(r, ["preEnrolmentProfileAt", "otp1EnteredAt", "confirmedAt", "expiresAt", "issuedAt", "credentialId", "cancelledAt"]),
    };
  }

  /** Only the agent who opened the registration supervises it. */
  supervisedBy(id: string, agentCardIndex: number): Registration {
    const r = this.get(id);
    if (r.agentCardIndex !== agentCardIndex)
      throw new DpclabError("this registration is supervised by another registration agent", "not-your-registration", 403);
    return r;
  }

  /** §2.1 step 7 (iOS): the device downloads the pre-enrolment configuration profile. */
  preEnrolmentProfile(id: string, deviceId: unknown): Registration {
    const entry = this.#entry(id);
    const r = entry.registration;
    this.#sameDevice(r, deviceId);
    if (r.platform !== "ios") {
      throw new DpclabError(
        "the pre-enrolment configuration profile is part of the iOS flow (§2.1 step 7); on Android the Purebred app downloads the certificates (§2.5)",
        "ios-only",
        409,
      );
    }
    if (!isOpen(r.state)) throw this.#stateError(r);
    r.preEnrolmentProfileAt ??= this.clock.now().toISOString();
    return r;
  }

  /** Stage 1 (§2.1 step 8): the user types OTP-1 into the Purebred app. Returns OTP-2 for the app to show, and the device token. */
  enterOtp1(id: string, deviceId: unknown, otp: unknown): { otp2: string; otp2ExpiresAt: Date; deviceToken: string } {
    const entry = this.#entry(id);
    const r = entry.registration;
    this.#sameDevice(r, deviceId);
    // DEFECT reusable-otp — breaks DC-LNK-01: a used OTP-1 is accepted again and reopens stage 1 (new OTP-2, new token).
    const replay = this.reusableOtp && r.state !== "awaiting-otp1" && r.state !== "cancelled";
    if (r.state !== "awaiting-otp1" && !replay) throw this.#lateOtp(r, otp, 1);
    if (r.platform === "ios" && !r.preEnrolmentProfileAt) {
      throw new DpclabError(
        "install the Purebred pre-enrolment configuration profile first (§2.1 step 7: Settings > General > Profiles & Device Management), then enter OTP-1",
        "pre-enrolment-profile-not-installed",
        409,
      );
    }
    this.#redeem(id, otp, 1);
    const now = this.clock.now();
    const otp2 = this.otps.issue("otp", { registrationId: id, stage: 2 }, { ttlMs: this.otpTtlMs, scope: otpScope(id, 2) });
    const deviceToken = randomBytes(32).toString("base64url");
    entry.deviceTokenSha256 = sha256(deviceToken);
    entry.liveOtp = { secret: otp2.secret, scope: otpScope(id, 2) };
    r.state = "awaiting-agent-confirmation";
    r.otp1EnteredAt = now.toISOString();
    return { otp2: otp2.secret, otp2ExpiresAt: otp2.expiresAt, deviceToken };
  }

  /** Stage 2: the user reads OTP-2 from the app; the supervising agent confirms it on the console. */
  confirmOtp2(id: string, agentCardIndex: number, otp: unknown): Registration {
    const entry = this.#entry(id);
    const r = this.supervisedBy(id, agentCardIndex);
    if (r.state === "awaiting-otp1") throw this.#stateError(r);
    if (r.state !== "awaiting-agent-confirmation") throw this.#lateOtp(r, otp, 2);
    this.#redeem(id, otp, 2);
    const now = this.clock.now();
    entry.liveOtp = undefined;
    r.state = "confirmed";
    r.confirmedAt = now.toISOString();
    r.expiresAt = new Date(now.getTime() + this.otpTtlMs).toISOString();
    return r;
  }

  /** The device asks for its credential: only with its token, only after stage 2. Marks the registration as issuing. */
  beginIssuance(id: string, deviceToken: string | undefined): Registration {
    const entry = this.#entry(id);
    const r = entry.registration;
    if (r.state === "awaiting-otp1") throw this.#stateError(r);
    if (!deviceToken || !entry.deviceTokenSha256 || !timingSafeEqual(sha256(deviceToken), entry.deviceTokenSha256)) {
      throw new DpclabError("the device token from stage 1 is missing or wrong (Authorization: Bearer <deviceToken>)", "bad-device-token", 401);
    }
    if (r.state !== "confirmed") throw this.#stateError(r);
    if (r.expiresAt && this.clock.now().getTime() >= Date.parse(r.expiresAt)) {
      throw new DpclabError(`this registration expired at ${r.expiresAt}: ask the agent to register the device again`, "registration-expired", 410);
    }
    r.state = "issuing";
    return r;
  }

  finishIssuance(id: string, credentialId: string): void {
    const r = this.get(id);
    r.state = "issued";
    r.issuedAt = this.clock.now().toISOString();
    r.credentialId = credentialId;
  }

  /** The issuance was refused (nothing was issued): the device may try again while the registration lives. */
  abortIssuance(id: string): void {
    const r = this.get(id);
    if (r.state === "issuing") r.state = "confirmed";
  }

  #redeem(id: string, otp: unknown, stage: 1 | 2): void {
    // Wrong guesses count per registration, across both stages (OneTimeSecrets: 404, then 429); replays of a spent
    // passcode (409) or an expired one (410) are refused without counting, so they cannot lock the user out.
    const payload = this.otps.redeem("otp", otp as string, { attemptKey: `purebred-registration:${id}`, scope: otpScope(id, stage) });
    if (payload.registrationId !== id || payload.stage !== stage) {
      throw new DpclabError(`that is not OTP-${stage} of this registration`, "secret-unknown", 404);
    }
  }

  /** A passcode for a stage already passed: the secrets say why (reused → 409 "secret-used", not counted; a guess → 404, counted). */
  #lateOtp(r: Registration, otp: unknown, stage: 1 | 2): DpclabError {
    if (r.state === "cancelled") return this.#stateError(r);
    try {
      this.#redeem(r.id, otp, stage);
    } catch (error) {
      if (error instanceof DpclabError) return error;
      throw error;
    }
    return this.#stateError(r);
  }

  #sameDevice(r: Registration, deviceIdField: unknown): void {
    const deviceId = readDeviceId(deviceIdField);
    if (deviceId !== r.deviceId) throw new DpclabError(`this registration is for device ${r.deviceId}, not ${deviceId}`, "wrong-device", 403);
  }

  #stateError(r: Registration): DpclabError {
    switch (r.state) {
      case "awaiting-otp1":
        return new DpclabError("stage 1 is not done: enter the OTP-1 the agent reads out into the Purebred app first", "otp1-not-entered", 409);
      case "awaiting-agent-confirmation":
        return new DpclabError(
          "stage 2 is not done: read the OTP-2 the Purebred app shows to the agent, who confirms it on the console; only then can the device fetch its configuration and credentials",
          "otp2-not-confirmed",
          409,
        );
      case "confirmed":
        return new DpclabError("both passcodes were exchanged: the device fetches its credential now", "registration-confirmed", 409);
      case "issuing":
        return new DpclabError("the credential of this registration is being issued right now", "issuance-in-progress", 409);
      case "issued":
        return new DpclabError(
          `this registration already delivered credential ${r.credentialId}: register the device again for a new one`,
          "already-issued",
          409,
        );
      case "cancelled":
        return new DpclabError("this registration was superseded by a newer registration of the same device", "registration-cancelled", 410);
    }
  }

  #cancel(entry: Entry, now: Date): void {
    if (entry.liveOtp) this.otps.revoke("otp", entry.liveOtp.secret, { scope: entry.liveOtp.scope });
    entry.liveOtp = undefined;
    entry.deviceTokenSha256 = undefined;
    entry.registration.state = "cancelled";
    entry.registration.cancelledAt = now.toISOString();
  }

  #entry(id: string): Entry {
    const entry = typeof id === "string" ? this.#entries.get(id, this.clock.now().getTime()) : undefined;
    if (!entry) throw new DpclabError(`no Purebred registration "${String(id)}"`, "registration-unknown", 404);
    return entry;
  }

  /** Registrations held and the cap: for tests and benchmarks. */
  sizes(): { registrations: number; devices: number; maxRegistrations: number } {
    return { registrations: this.#entries.size, devices: this.#latestOfDevice.size, maxRegistrations: this.#entries.maxEntries };
  }
}

/** A passcode is found only under its own registration and stage. */
function otpScope(id: string, stage: 1 | 2): string {
  return `purebred:${id}:${stage}`;
}

function isOpen(state: RegistrationState): boolean {
  return state === "awaiting-otp1" || state === "awaiting-agent-confirmation" || state === "confirmed";
}

function pick<K extends keyof Registration>(r: Registration, keys: K[]): Partial<Pick<Registration, K>> {
  const out: Partial<Pick<Registration, K>> = {};
  for (const k of keys) if (r[k] !== undefined) out[k] = r[k];
  return out;
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
