import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import type { X509Certificate } from "../../src/x509.js";
import {
  type ApplicantAuthenticator,
  type Defects,
  type DerivedIssuance,
  ExpiringMap,
  issuerPublicOrigin,
  kioskRoutes,
  kioskSession,
  NO_DEFECTS,
  OneTimeSecrets,
} from "../derived/index.js";
import { type FetchHandler, JsonResponse, problem, qrPng, qrSvg, type Route, readJsonObject, router } from "../shared/index.js";
import { readActivationRequest } from "./activation-request.js";
import type { Enrolment } from "./enrolment.js";
import { encodeEntrustQr } from "./qr-payload.js";

/**
 * The Entrust (Datacard) issuer: IdentityGuard self-service portal at a kiosk + Mobile Smart Credential activation on
 * the phone (docs/intune.md §2.2 steps 6–8, §2.6 steps 3–6), over the shared issuance core. See enrolment.ts for the
 * state machine.
 *
 *   POST /issuers/entrust/kiosk/challenge, /kiosk/login              PKI-AUTH sign-in with card + PIN (DC-ISS-04)
 *   POST /issuers/entrust/kiosk/enrolments                           bearer; → 201 QR payload + numeric password
 *   GET  /issuers/entrust/kiosk/enrolments/{id}                      bearer; the portal's view of the enrolment
 *   GET  /issuers/entrust/kiosk/enrolments/{id}/qr.svg | qr.png      bearer; the QR code as an image
 *   POST /issuers/entrust/mobile/activate                            the phone: QR secret + password + device + CSR(s)
 */
export interface EntrustEmulatorOptions {
  /** The issuance core, named "entrust", with the tenant as its DeviceApprover (DC-ISS-02). */
  issuance: DerivedIssuance;
  authenticator: ApplicantAuthenticator;
  clock: Clock;
  /** Lifetime of the QR code and of the password shown under it (they expire together); default 10 minutes. */
  qrTtlMs?: number;
  /** Wrong passwords before the enrolment is cancelled; default 5. */
  passwordAttempts?: number;
  /** How long a cancelled enrolment answers 429; default 15 minutes. */
  lockoutMs?: number;
  /** The root the issuer CA chains to, returned in `chain` after the issuer CA; without it the chain is the issuer CA only. */
  trustAnchor?: X509Certificate;
  /**
   * Base URL the phone reaches the portal at (put in the QR code); default the base URL the issuer CA publishes
   * under (lab.json baseUrl). Never the request's Host header (issue 10 §9).
   */
  portalBaseUrl?: string;
  /** Cap on remembered enrolments; default 50,000, the oldest forgotten beyond (issue 10 §8). */
  maxEnrolments?: number;
  /** Known non-conformances to switch on (defects.ts: "non-expiring-qr"); default none. */
  defects?: Defects;
}

export interface EntrustEmulator {
  handler: FetchHandler;
  /** What the emulator holds, and its cap: for tests and benchmarks (issue 10 §8). */
  sizes(): { enrolments: number; qrSessions: number; maxEnrolments: number; secrets: ReturnType<OneTimeSecrets["sizes"]> };
}

/** The kiosk's choices (docs/intune.md §2.2 step 6). */
export const ENROL_ACTION = "enroll-derived-mobile-smart-credential";
export const ENTRUST_CREDENTIAL_TYPE = "Entrust IdentityGuard Mobile Smart Credential";
export const DEFAULT_QR_TTL_MS = 10 * 60_000;
export const DEFAULT_PASSWORD_ATTEMPTS = 5;
const DEFAULT_LOCKOUT_MS = 15 * 60_000;
/** "Never" for the non-expiring-qr defect: a century. */
const NEVER_MS = 100 * 365 * 86_400_000;
/** Closed enrolments are remembered about a day after they close (every enrolment closes by its expiresAt). */
const KEEP_CLOSED_MS = 24 * 3_600_000;
const MAX_ENROLMENTS = 50_000;
const IDENTITY_NAME = /^\P{Cc}{1,64}$/u;
const BASE = "/issuers/entrust";

/** A problem with extension members and headers (attemptsLeft, retryAfterSeconds / Retry-After). */
class EntrustProblem extends DpclabError {
  constructor(
    message: string,
    code: string,
    status: number,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message, code, status);
  }
}

export function createEntrustEmulator(opts: EntrustEmulatorOptions): EntrustEmulator {
  const { issuance, authenticator, clock } = opts;
  if (issuance.name !== "entrust") throw new DpclabError(`the Entrust emulator needs an issuance core named "entrust", got "${issuance.name}"`, "bad-issuer");
  // DEFECT non-expiring-qr — breaks DC-LNK-01: the QR code and its password live (practically) forever.
  const ttl = (opts.defects ?? NO_DEFECTS).has("non-expiring-qr") ? NEVER_MS : (opts.qrTtlMs ?? DEFAULT_QR_TTL_MS);
  const maxWrong = opts.passwordAttempts ?? DEFAULT_PASSWORD_ATTEMPTS;
  const lockoutMs = opts.lockoutMs ?? DEFAULT_LOCKOUT_MS;
  if (!Number.isFinite(ttl) || ttl <= 0) throw new RangeError("qrTtlMs must be positive");
  if (!Number.isInteger(maxWrong) || maxWrong < 1) throw new RangeError("passwordAttempts must be a positive integer");
  if (!Number.isFinite(lockoutMs) || lockoutMs <= 0) throw new RangeError("lockoutMs must be positive");

  // The password is 8 digits; both secrets are single-use and expire together. OneTimeSecrets answers for
  // unknown / used / expired QR codes and locks a device that keeps presenting them.
  const secrets = new OneTimeSecrets<string>({ clock, digits: 8, lockoutMs });
  // Every enrolment closes by its expiresAt (completed, cancelled or expired) and is kept a constant time after: the
  // maps expire from the front in O(1) and never hold more than maxEnrolments (issue 10 §8).
  const keepMs = ttl + Math.max(KEEP_CLOSED_MS, lockoutMs);
  const maxEnrolments = opts.maxEnrolments ?? MAX_ENROLMENTS;
  const enrolments = new ExpiringMap<string, Enrolment>({ maxEntries: maxEnrolments });
  const byQrSession = new ExpiringMap<string, string>({ maxEntries: maxEnrolments });
  const now = () => clock.now().getTime();
  const portalBase = issuerPublicOrigin(issuance.authority, opts.portalBaseUrl);

  /** An awaiting enrolment past its TTL is "expired" (evaluated lazily on the injected clock). */
  const current = (e: Enrolment): Enrolment => {
    if (e.state === "awaiting-device" && now() >= e.expiresAt) {
      e.state = "expired";
      e.closedAt = e.expiresAt;
    }
    return e;
  };

  const ownEnrolment = (req: Request, id: string): Enrolment => {
    const session = kioskSession(req, authenticator);
    const e = enrolments.get(id, now());
    // Another cardholder's enrolment is as good as absent.
    if (!e || e.cardIndex !== session.cardIndex) throw new DpclabError(`no enrolment "${id}" for this cardholder`, "enrolment-unknown", 404);
    return current(e);
  };

  const view = (e: Enrolment) => ({
    id: e.id,
    state: e.state,
    identityName: e.identityName,
    credentialType: ENTRUST_CREDENTIAL_TYPE,
    createdAt: new Date(e.createdAt).toISOString(),
    expiresAt: new Date(e.expiresAt).toISOString(),
    passwordAttemptsLeft: Math.max(0, maxWrong - e.failedPasswords),
    ...(e.state === "awaiting-device"
      ? {
          password: e.password,
          qr: { payload: e.qrPayload, svg: `${BASE}/kiosk/enrolments/${e.id}/qr.svg`, png: `${BASE}/kiosk/enrolments/${e.id}/qr.png` },
        }
      : {}),
    ...(e.credentialId ? { credentialId: e.credentialId } : {}),
  });

  const showableQr = (e: Enrolment): string => {
    if (e.state !== "awaiting-device") throw new DpclabError(`the enrolment is ${e.state}: its QR code is no longer shown`, `enrolment-${e.state}`, 410);
    return e.qrPayload;
  };

  /** Step 6 at the kiosk: the choices, then a QR code with a numeric password under it. */
  const enrol = async (req: Request): Promise<Response> => {
    const session = kioskSession(req, authenticator);
    const body = await readJsonObject(req, ["action", "smartCredentialAppInstalled", "identityName", "credentialType"]);
    if (body.action !== ENROL_ACTION) throw new DpclabError(`action must be "${ENROL_ACTION}"`, "bad-action", 400);
    if (body.smartCredentialAppInstalled !== true) {
      throw new DpclabError("confirm that the smart-credential app (Company Portal / Intune app) is installed on the phone", "app-not-confirmed", 400);
    }
    const identityName = typeof body.identityName === "string" ? body.identityName.trim() : "";
    if (!IDENTITY_NAME.test(identityName)) throw new DpclabError("identityName must be 1..64 printable characters", "bad-identity-name", 400);
    if (body.credentialType !== ENTRUST_CREDENTIAL_TYPE)
      throw new DpclabError(`credentialType must be "${ENTRUST_CREDENTIAL_TYPE}"`, "bad-credential-type", 400);
    const t = now();
    const id = randomBytes(12).toString("base64url");
    const qr = secrets.issue("qr-session", id, { ttlMs: ttl });
    const password = secrets.issue("password", id, { ttlMs: ttl });
    const portal = `${portalBase}${BASE}/mobile/activate`;
    const e: Enrolment = {
      id,
      session,
      cardIndex: session.cardIndex,
      identityName,
      state: "awaiting-device",
      createdAt: t,
      expiresAt: t + ttl,
      qrPayload: encodeEntrustQr({ portal, enrolmentId: id, qrSession: qr.secret }),
      qrSession: qr.secret,
      password: password.secret,
      failedPasswords: 0,
    };
    enrolments.set(id, e, t + keepMs, t);
    byQrSession.set(qr.secret, id, t + keepMs, t);
    return JsonResponse.of(view(e), { status: 201, headers: { location: `${BASE}/kiosk/enrolments/${id}`, "cache-control": "no-store" } });
  };

  /** Steps 7–8 on the phone: scanned QR + "Password required" → certificates. */
  const activate = async (req: Request): Promise<Response> => {
    const input = await readActivationRequest(req);
    const attemptKey = `device:${input.device.deviceId}`;
    const locked = secrets.lockedFor(attemptKey);
    if (locked > 0) throw lockout(`device ${input.device.deviceId} presented too many dead QR codes`, locked);
    const id = byQrSession.get(input.qrSession, now());
    const e = id ? enrolments.get(id, now()) : undefined;
    // Unknown, used or expired QR: OneTimeSecrets says which; only an unknown one counts against the device (a
    // replay of a spent or expired QR is refused for free: it can never succeed, one-time-secrets.ts).
    if (!e) return deadQr(input.qrSession, attemptKey);
    current(e);
    if (e.state === "cancelled") {
      const left = Math.ceil(((e.lockedUntil ?? 0) - now()) / 1000);
      if (left > 0) throw lockout(`${maxWrong} wrong passwords cancelled this enrolment; start a new one at the kiosk`, left);
      throw new DpclabError("this enrolment was cancelled after too many wrong passwords; start a new one at the kiosk", "enrolment-cancelled", 410);
    }
    if (e.state === "completed" || e.state === "expired") return deadQr(input.qrSession, attemptKey);
    if (e.state === "activating") throw new DpclabError("this QR code is being activated by another request", "enrolment-in-progress", 409);
    if (!sameSecret(input.password, e.password)) return wrongPassword(e);

    // The right QR and password: issue (the core checks approval DC-ISS-02, the account DC-LNK-02, PoP DC-ISS-12 …).
    e.state = "activating";
    let issued: Awaited<ReturnType<DerivedIssuance["issue"]>>;
    try {
      issued = await issuance.issue({ session: e.session, device: input.device, csr: input.csr, ...(input.smime ? { smime: input.smime } : {}) });
    } catch (error) {
      e.state = "awaiting-device"; // nothing was issued: the QR and password stay live until they expire
      throw error;
    }
    // Single use: both secrets are spent now (their expiry was checked when the phone presented them).
    secrets.revoke("qr-session", e.qrSession);
    secrets.revoke("password", e.password);
    e.state = "completed";
    e.closedAt = now();
    e.credentialId = issued.record.id;
    issued.record.transcript.push({
      at: clock.now().toISOString(),
      event: "entrust.activated",
      rules: ["DC-ISS-03"],
      detail: { enrolmentId: e.id, identityName: e.identityName, failedPasswords: e.failedPasswords, networkZone: input.networkZone ?? "unspecified" },
    });
    const b64 = (der: Uint8Array) => Buffer.from(der).toString("base64");
    const { certificates: c } = issued;
    return JsonResponse.of(
      {
        credentialId: issued.record.id,
        identityName: e.identityName,
        credentialType: ENTRUST_CREDENTIAL_TYPE,
        certificates: {
          pivAuth: b64(c.pivAuth),
          ...(c.signing ? { signing: b64(c.signing) } : {}),
          ...(c.encryption ? { encryption: b64(c.encryption) } : {}),
        },
        ...(issued.escrowedEncryptionKey ? { encryptionKeyPkcs8: b64(issued.escrowedEncryptionKey) } : {}),
        chain: [b64(new Uint8Array(issuance.authority.certificate.rawData)), ...(opts.trustAnchor ? [b64(new Uint8Array(opts.trustAnchor.rawData))] : [])],
      },
      { status: 201, headers: { "cache-control": "no-store" } },
    );
  };

  const deadQr = (qrSession: string, attemptKey: string): never => {
    secrets.redeem("qr-session", qrSession, { attemptKey }); // throws secret-unknown / secret-used / secret-expired
    throw new DpclabError("this QR code cannot be used", "secret-used", 409); // unreachable: a live QR has an enrolment
  };

  const wrongPassword = (e: Enrolment): never => {
    e.failedPasswords++;
    const left = maxWrong - e.failedPasswords;
    if (left > 0) throw new EntrustProblem(`wrong password; ${left} attempt${left > 1 ? "s" : ""} left`, "password-incorrect", 401, { attemptsLeft: left });
    // Too many: the enrolment is cancelled and its QR code dies with it.
    secrets.revoke("qr-session", e.qrSession);
    secrets.revoke("password", e.password);
    e.state = "cancelled";
    e.closedAt = now();
    e.lockedUntil = now() + lockoutMs;
    throw new EntrustProblem(`wrong password; ${maxWrong} wrong passwords cancelled this enrolment — start a new one at the kiosk`, "password-incorrect", 401, {
      attemptsLeft: 0,
      enrolmentState: "cancelled",
    });
  };

  const routes: Route[] = [
    ...kioskRoutes("entrust", authenticator),
    { method: "POST", path: `${BASE}/kiosk/enrolments`, handle: enrol },
    {
      method: "GET",
      path: `${BASE}/kiosk/enrolments/:id`,
      handle: (req, p) => JsonResponse.of(view(ownEnrolment(req, p.id as string)), { headers: { "cache-control": "no-store" } }),
    },
    {
      method: "GET",
      path: `${BASE}/kiosk/enrolments/:id/qr.svg`,
      handle: async (req, p) => new Response(await qrSvg(showableQr(ownEnrolment(req, p.id as string))), { headers: imageHeaders("image/svg+xml") }),
    },
    {
      method: "GET",
      path: `${BASE}/kiosk/enrolments/:id/qr.png`,
      handle: async (req, p) =>
        new Response(new Uint8Array(await qrPng(showableQr(ownEnrolment(req, p.id as string)))), { headers: imageHeaders("image/png") }),
    },
    { method: "POST", path: `${BASE}/mobile/activate`, handle: activate },
  ];
  const inner = router(routes.map(withProblems));
  return {
    handler: inner,
    sizes: () => ({ enrolments: enrolments.size, qrSessions: byQrSession.size, maxEnrolments, secrets: secrets.sizes() }),
  };
}

function imageHeaders(type: string): Record<string, string> {
  return { "content-type": type, "cache-control": "no-store" };
}

function lockout(why: string, seconds: number): EntrustProblem {
  return new EntrustProblem(
    `too many attempts: ${why}; try again in ${seconds} s`,
    "too-many-attempts",
    429,
    { retryAfterSeconds: seconds },
    { "retry-after": String(seconds) },
  );
}

/** Problems with extension members and headers (the shared router keeps only code and status). */
function withProblems(route: Route): Route {
  return {
    ...route,
    handle: async (req, params, url) => {
      try {
        return await route.handle(req, params, url);
      } catch (error) {
        if (error instanceof EntrustProblem) return problem(error.status, error.message, { code: error.code, ...error.extra }, error.headers);
        throw error;
      }
    },
  };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
