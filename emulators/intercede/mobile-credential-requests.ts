import { randomBytes } from "node:crypto";
import type { Clock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import { verifyCsr } from "../../src/pki/index.js";
import type { ApplicantSession, DerivedIssuance, DeviceDescriptor, IssueResult, OneTimeSecrets } from "../derived/index.js";
import { ExpiringMap } from "../derived/index.js";
import { encodeQrPayload } from "./qr-payload.js";

/**
 * MyID "request your ID" with the profile "activate with a mobile credential" (docs/intune.md §2.3 step 6, §2.7): the
 * cardholder, signed in at the computer or kiosk with PKI-AUTH (DC-ISS-04), gets a QR code and nothing else — no
 * password. The Identity Agent on the phone scans it and sends the QR secret, its DeviceDescriptor and CSR(s); the
 * credential is issued to the applicant of the kiosk session (DC-ISS-12: keys made on the device).
 *
 * State machine of a request:
 *   awaiting-scan ──scan + issuance ok──▶ activated
 *        │  └─────scan, issuance refused──▶ failed   (the QR code is spent: request a new one at the kiosk)
 *        └──TTL passes──────────────────▶ expired
 * The QR secret is single-use: it is spent by the first scan that passes the body checks (malformed bodies, bad CSRs
 * and a camera-less device never reach it), whatever the issuance then says.
 */
export type MobileRequestState = "awaiting-scan" | "activating" | "activated" | "failed" | "expired";

/** The one profile this MyID emulator offers on the "request your ID" screen. */
export const MOBILE_CREDENTIAL_PROFILE = "mobile-credential";

export interface MobileCredentialRequestView {
  requestId: string;
  profile: typeof MOBILE_CREDENTIAL_PROFILE;
  state: MobileRequestState;
  createdAt: string;
  expiresAt: string;
  credentialId?: string;
  failure?: { code: string; detail: string };
}

interface MobileRequest {
  id: string;
  session: ApplicantSession;
  secret: string;
  payload: string;
  createdAt: number;
  expiresAt: number;
  state: MobileRequestState;
  credentialId?: string;
  failure?: { code: string; detail: string };
}

export interface ActivationInput {
  qrSession: string;
  device: DeviceDescriptor;
  csr: Uint8Array;
  smimeSigningCsr?: Uint8Array;
}

/** Requests are forgotten this long after they expire. */
const KEEP_MS = 24 * 3_600_000;
const MAX_REQUESTS = 50_000;

export class MobileCredentialRequests {
  /** Every request lives qrTtlMs + KEEP_MS: expiry from the front, O(1); the oldest dropped beyond the cap (issue 10 §8). */
  readonly #requests: ExpiringMap<string, MobileRequest>;

  constructor(
    private readonly issuance: DerivedIssuance,
    private readonly secrets: OneTimeSecrets<string>,
    private readonly clock: Clock,
    private readonly qrTtlMs: number,
    maxRequests = MAX_REQUESTS,
  ) {
    this.#requests = new ExpiringMap({ maxEntries: maxRequests });
  }

  /** The kiosk's "activate with a mobile credential": a fresh single-use QR code for the signed-in cardholder. */
  create(session: ApplicantSession, myidUrl: string): { view: MobileCredentialRequestView; qrPayload: string } {
    const now = this.clock.now().getTime();
    const id = randomBytes(12).toString("base64url");
    const issued = this.secrets.issue("qr-session", id, { ttlMs: this.qrTtlMs });
    const payload = encodeQrPayload({ issuer: "intercede", url: myidUrl, "qr-session": issued.secret });
    const request: MobileRequest = {
      id,
      session,
      secret: issued.secret,
      payload,
      createdAt: now,
      expiresAt: issued.expiresAt.getTime(),
      state: "awaiting-scan",
    };
    this.#requests.set(id, request, request.expiresAt + KEEP_MS, now);
    return { view: this.#view(request), qrPayload: payload };
  }

  /** A request as the kiosk screen shows it; only to the cardholder who made it (others get 404). */
  view(id: string, session: ApplicantSession): MobileCredentialRequestView {
    return this.#view(this.#own(id, session));
  }

  /** The QR payload, while the code can still be scanned: 410 once it was scanned or expired. */
  qrPayload(id: string, session: ApplicantSession): string {
    const request = this.#own(id, session);
    const state = this.#state(request);
    if (state === "expired") throw new DpclabError("this QR code has expired: request a new one", "qr-expired", 410);
    if (state !== "awaiting-scan") throw new DpclabError("this QR code was already scanned: request a new one", "qr-used", 410);
    return request.payload;
  }

  /** The Identity Agent's scan (docs/intune.md §2.3 step 8): no password step. */
  async activate(input: ActivationInput): Promise<{ result: IssueResult; session: ApplicantSession }> {
    // Checks that need no secret come first, so a malformed scan does not spend the QR code.
    verifyCsr(input.csr);
    if (input.smimeSigningCsr) {
      if (input.device.platform !== "ios") {
        throw new DpclabError("S/MIME certificates are issued to iOS devices only (docs/intune.md §1.6)", "smime-ios-only", 400);
      }
      verifyCsr(input.smimeSigningCsr);
    }
    // Single use, expiring, rate-limited per device (wrong guesses lock the device out: 429).
    const id = this.secrets.redeem("qr-session", input.qrSession, { attemptKey: `intercede-device:${input.device.deviceId}` });
    const request = this.#requests.get(id, this.clock.now().getTime());
    if (!request) throw new DpclabError("this QR code belongs to no open request", "secret-unknown", 404);
    request.state = "activating";
    try {
      const result = await this.issuance.issue({
        session: request.session,
        device: input.device,
        csr: input.csr,
        ...(input.smimeSigningCsr ? { smime: { signingCsr: input.smimeSigningCsr } } : {}),
      });
      request.state = "activated";
      request.credentialId = result.record.id;
      return { result, session: request.session };
    } catch (error) {
      request.state = "failed";
      request.failure = error instanceof DpclabError ? { code: error.code, detail: error.message } : { code: "issuance-failed", detail: "issuance failed" };
      throw error;
    }
  }

  #own(id: string, session: ApplicantSession): MobileRequest {
    const request = typeof id === "string" ? this.#requests.get(id, this.clock.now().getTime()) : undefined;
    if (!request || request.session.cardIndex !== session.cardIndex) throw new DpclabError(`no request "${id}" for this cardholder`, "no-request", 404);
    return request;
  }

  #state(request: MobileRequest): MobileRequestState {
    if (request.state === "awaiting-scan" && this.clock.now().getTime() >= request.expiresAt) request.state = "expired";
    return request.state;
  }

  #view(request: MobileRequest): MobileCredentialRequestView {
    return {
      requestId: request.id,
      profile: MOBILE_CREDENTIAL_PROFILE,
      state: this.#state(request),
      createdAt: new Date(request.createdAt).toISOString(),
      expiresAt: new Date(request.expiresAt).toISOString(),
      ...(request.credentialId ? { credentialId: request.credentialId } : {}),
      ...(request.failure ? { failure: request.failure } : {}),
    };
  }

  /** Requests held and the cap: for tests and benchmarks. */
  sizes(): { requests: number; maxRequests: number } {
    return { requests: this.#requests.size, maxRequests: this.#requests.maxEntries };
  }
}
