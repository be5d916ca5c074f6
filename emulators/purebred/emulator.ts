import type { Clock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import type { X509Certificate } from "../../src/x509.js";
import type { ApplicantAuthenticator, ApplicantSession, DerivedIssuance } from "../derived/index.js";
import { type Defects, issuerPublicOrigin, kioskRoutes, kioskSession, NO_DEFECTS, OneTimeSecrets } from "../derived/index.js";
import { type FetchHandler, JsonResponse, type Route, readJsonObject, readKeystoreKind, readOsVersion, router } from "../shared/index.js";
import { credentialProfile, MOBILECONFIG_CONTENT_TYPE, preEnrolmentProfile } from "./mobileconfig.js";
import { requireOnPremises } from "./network-zone.js";
import { type OtpPayload, PurebredRegistrations, REGISTRATION_KEEP_MS } from "./registration.js";

/**
 * The DISA Purebred emulator (docs/intune.md §1.7, §1.8, §2.1 iOS, §2.5 Android; docs/anchors.md §5): agent-supervised first
 * enrolment with one-time passcodes exchanged in two stages, then over-the-air issuance to the device, and
 * agent-supervised recovery of the escrowed key-management key. Purebred serves iOS *and* Android Enterprise fully
 * managed/COPE: the "DISA Purebred (iOS only)" drop-down label is a doc inconsistency (docs/intune.md §0).
 *
 * Routes, all under /issuers/purebred:
 * - kiosk (PKI-AUTH, DC-ISS-04): POST kiosk/challenge, POST kiosk/login → { sessionId } (agents and applicants alike);
 * - agent console (Authorization: Bearer <agent's kiosk sessionId>; the card must be a designated registration agent):
 *   POST registrations { applicantSessionId, deviceId, platform } → 201 { registrationId, otp1, otp1ExpiresAt, … },
 *   GET registrations/:id, POST registrations/:id/confirm { otp } (OTP-2),
 *   POST key-recovery { applicantSessionId, credentialId } → { encryptionKeyPkcs8, … } (DC-KEY-03);
 * - device (x-dpclab-network-zone: on-premises, §1.8):
 *   GET registrations/:id/pre-enrolment-profile?deviceId= (iOS, .mobileconfig),
 *   POST registrations/:id/otp1 { deviceId, otp } → { otp2, otp2ExpiresAt, deviceToken },
 *   POST registrations/:id/credentials (Authorization: Bearer <deviceToken>) { csr, signingCsr?, keystore, osVersion }
 *   → iOS: 201 credential configuration profile (.mobileconfig); Android: 201 { credentialId, certificates, chain }.
 */
export interface PurebredEmulatorOptions {
  /** The issuance core, built with name "purebred" and the tenant as approver (DC-ISS-02). */
  issuance: DerivedIssuance;
  authenticator: ApplicantAuthenticator;
  clock: Clock;
  /** Cards (deck indices) of the designated registration agents. */
  agentCardIndices: number[];
  /** The lab's TEST root: the pre-enrolment profile's trusted root (§1.7) and the top of the delivered chain. */
  trustAnchor: X509Certificate;
  /** Lifetime of each one-time passcode, and of a confirmed registration; default 15 minutes. */
  otpTtlMs?: number;
  /** Wrong passcodes allowed per registration before it is locked for `otpLockoutMs`; default 5. */
  otpMaxFailures?: number;
  /** Default 15 minutes. */
  otpLockoutMs?: number;
  /** Known non-conformances to switch on (defects.ts: "reusable-otp"); default none. */
  defects?: Defects;
  /**
   * The lab's base URL the enrolment URLs are built on (e.g. http://127.0.0.1:7800); default the base URL the
   * issuer CA publishes under (lab.json baseUrl). Never the request's Host (issue 10 §9).
   */
  publicUrl?: string;
}

export interface PurebredEmulator {
  handler: FetchHandler;
  /** The same routes, to mount beside others (e.g. publicationRoutes) in one router. */
  routes: Route[];
  registrations: PurebredRegistrations;
}

/** Passcodes are 8 digits and live 15 minutes (the docs only say "time-limited", docs/intune.md §1.7, §2). */
export const PUREBRED_OTP_DIGITS = 8;
export const DEFAULT_PUREBRED_OTP_TTL_MS = 15 * 60_000;

const BASE = "/issuers/purebred";
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_CSR_BASE64 = 22_000;

export function createPurebredEmulator(opts: PurebredEmulatorOptions): PurebredEmulator {
  const { issuance, authenticator, clock, trustAnchor } = opts;
  if (issuance.name !== "purebred") throw new RangeError(`the Purebred emulator needs the "purebred" issuance core, not "${issuance.name}"`);
  if (!Array.isArray(opts.agentCardIndices) || opts.agentCardIndices.length === 0 || !opts.agentCardIndices.every((i) => Number.isInteger(i) && i >= 0)) {
    throw new RangeError("agentCardIndices must list at least one card index (non-negative integers)");
  }
  const otpTtlMs = opts.otpTtlMs ?? DEFAULT_PUREBRED_OTP_TTL_MS;
  if (!Number.isFinite(otpTtlMs) || otpTtlMs <= 0) throw new RangeError("otpTtlMs must be positive");
  const agents = new Set(opts.agentCardIndices);
  // DEFECT reusable-otp — breaks DC-LNK-01: passcodes stay redeemable after use.
  const reusable = (opts.defects ?? NO_DEFECTS).has("reusable-otp");
  const otps = new OneTimeSecrets<OtpPayload>({
    clock,
    digits: PUREBRED_OTP_DIGITS,
    maxFailures: opts.otpMaxFailures,
    lockoutMs: opts.otpLockoutMs,
    reusable,
    // As long as the registration: a passcode typed late is "expired" (free), never "unknown" (a counted guess).
    tombstoneMs: REGISTRATION_KEEP_MS,
  });
  const registrations = new PurebredRegistrations(clock, otps, otpTtlMs, reusable);
  const origin = issuerPublicOrigin(issuance.authority, opts.publicUrl);
  const chain = [new Uint8Array(issuance.authority.certificate.rawData), new Uint8Array(trustAnchor.rawData)];

  /** The supervising registration agent: PKI-AUTH at the kiosk with their own PIV Card, and designated (§1.7). */
  const agentOf = (req: Request): ApplicantSession => {
    const session = kioskSession(req, authenticator);
    if (!agents.has(session.cardIndex)) {
      throw new DpclabError(`card ${session.cardIndex} is not a designated Purebred registration agent`, "not-a-registration-agent", 403);
    }
    return session;
  };
  /** The applicant who did PKI-AUTH in front of the agent (DC-ISS-04); the session serves one registration or recovery. */
  const applicantOf = (agent: ApplicantSession, id: unknown): ApplicantSession => {
    if (typeof id !== "string" || id.length === 0 || id.length > 128)
      throw new DpclabError("applicantSessionId must be the applicant's kiosk sessionId", "bad-request", 400);
    let applicant: ApplicantSession;
    try {
      applicant = authenticator.session(id);
    } catch (error) {
      if (error instanceof DpclabError) {
        throw new DpclabError(`the applicant must authenticate with their PIV Card at the kiosk first: ${error.message}`, "applicant-not-authenticated", 403);
      }
      throw error;
    }
    if (applicant.cardIndex === agent.cardIndex) {
      throw new DpclabError("a registration agent cannot supervise their own card: another agent must", "agent-cannot-supervise-self", 403);
    }
    return applicant;
  };

  const workflow: Route[] = [
    // ── agent console ──────────────────────────────────────────────────────────────────────────────────────
    {
      method: "POST",
      path: `${BASE}/registrations`,
      handle: async (req) => {
        const agent = agentOf(req);
        const body = await readJsonObject(req, ["applicantSessionId", "deviceId", "platform"]);
        const applicant = applicantOf(agent, body.applicantSessionId);
        const { registration, otp1, otp1ExpiresAt } = registrations.create(agent, applicant, body.deviceId, body.platform);
        authenticator.endSession(applicant.id);
        return JsonResponse.of(
          {
            ...registrations.view(registration.id),
            // Stage 1: the agent reads this to the user, who types it into the Purebred app.
            otp1,
            otp1ExpiresAt: otp1ExpiresAt.toISOString(),
            ...(registration.platform === "ios"
              ? {
                  preEnrolmentProfileUrl: `${origin}${BASE}/registrations/${registration.id}/pre-enrolment-profile?deviceId=${encodeURIComponent(registration.deviceId)}`,
                }
              : {}),
          },
          { status: 201 },
        );
      },
    },
    {
      method: "GET",
      path: `${BASE}/registrations/:id`,
      handle: (req, p) => {
        const agent = agentOf(req);
        registrations.supervisedBy(p.id as string, agent.cardIndex);
        return JsonResponse.of(registrations.view(p.id as string));
      },
    },
    {
      method: "POST",
      path: `${BASE}/registrations/:id/confirm`,
      handle: async (req, p) => {
        const agent = agentOf(req);
        const body = await readJsonObject(req, ["otp"]);
        registrations.confirmOtp2(p.id as string, agent.cardIndex, body.otp);
        return JsonResponse.of(registrations.view(p.id as string));
      },
    },
    {
      method: "POST",
      path: `${BASE}/key-recovery`,
      handle: async (req) => {
        const agent = agentOf(req);
        const body = await readJsonObject(req, ["applicantSessionId", "credentialId"]);
        if (typeof body.credentialId !== "string") throw new DpclabError("credentialId must be a string", "bad-request", 400);
        const applicant = applicantOf(agent, body.applicantSessionId);
        // DC-KEY-03: only to the cardholder the key was escrowed for (the core refuses anyone else, 403).
        const key = issuance.recoverEscrowedKey(body.credentialId, applicant);
        authenticator.endSession(applicant.id);
        const record = issuance.credential(body.credentialId);
        return JsonResponse.of({
          credentialId: record.id,
          encryptionCertificate: record.smime?.encryption.certificate,
          encryptionKeyPkcs8: b64(key),
        });
      },
    },

    // ── device (Purebred app / Purebred Registration) ─────────────────────────────────────────────────────
    {
      method: "GET",
      path: `${BASE}/registrations/:id/pre-enrolment-profile`,
      handle: (req, p, url) => {
        requireOnPremises(req);
        const r = registrations.preEnrolmentProfile(p.id as string, url.searchParams.get("deviceId") ?? undefined);
        const plist = preEnrolmentProfile({
          registrationId: r.id,
          deviceId: r.deviceId,
          enrolmentUrl: `${origin}${BASE}/registrations/${r.id}`,
          trustAnchor,
        });
        return new Response(plist, {
          headers: { "content-type": MOBILECONFIG_CONTENT_TYPE, "content-disposition": 'attachment; filename="purebred-pre-enrolment-TEST.mobileconfig"' },
        });
      },
    },
    {
      method: "POST",
      path: `${BASE}/registrations/:id/otp1`,
      handle: async (req, p) => {
        requireOnPremises(req);
        const body = await readJsonObject(req, ["deviceId", "otp"]);
        const { otp2, otp2ExpiresAt, deviceToken } = registrations.enterOtp1(p.id as string, body.deviceId, body.otp);
        return JsonResponse.of({
          ...registrations.view(p.id as string),
          // Stage 2: the app shows OTP-2; the user reads it to the agent.
          otp2,
          otp2ExpiresAt: otp2ExpiresAt.toISOString(),
          deviceToken,
        });
      },
    },
    {
      method: "POST",
      path: `${BASE}/registrations/:id/credentials`,
      handle: async (req, p) => {
        requireOnPremises(req);
        const body = await readJsonObject(req, ["csr", "signingCsr", "keystore", "osVersion"]);
        const csr = csrBytes(body.csr, "csr");
        const signingCsr = body.signingCsr === undefined ? undefined : csrBytes(body.signingCsr, "signingCsr");
        const keystore = readKeystoreKind(body.keystore);
        const osVersion = readOsVersion(body.osVersion);
        const registration = registrations.beginIssuance(p.id as string, bearer(req));
        let result: Awaited<ReturnType<DerivedIssuance["issue"]>>;
        try {
          result = await issuance.issue({
            session: registration.applicant,
            device: { deviceId: registration.deviceId, platform: registration.platform, osVersion, keystore },
            csr,
            ...(signingCsr ? { smime: { signingCsr } } : {}),
          });
        } catch (error) {
          registrations.abortIssuance(registration.id);
          throw error;
        }
        registrations.finishIssuance(registration.id, result.record.id);
        if (registration.platform === "ios") {
          // §2.1 step 9: the credential configuration profile, holding the Purebred Credential Package (step 11).
          const plist = credentialProfile({
            credentialId: result.record.id,
            certificates: result.certificates,
            encryptionKeyPkcs8: result.escrowedEncryptionKey,
            issuerCa: issuance.authority.certificate,
            trustAnchor,
          });
          return new Response(plist, {
            status: 201,
            headers: { "content-type": MOBILECONFIG_CONTENT_TYPE, "content-disposition": 'attachment; filename="purebred-credential-TEST.mobileconfig"' },
          });
        }
        // §2.5 step 5: the Purebred app downloads and installs the certificates.
        return JsonResponse.of(
          { credentialId: result.record.id, certificates: { pivAuth: b64(result.certificates.pivAuth) }, chain: chain.map(b64) },
          { status: 201 },
        );
      },
    },
  ];
  const routes = [...kioskRoutes("purebred", authenticator), ...workflow];

  return { handler: router(routes), routes, registrations };
}

function bearer(req: Request): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "")?.[1];
}

function csrBytes(value: unknown, what: string): Uint8Array {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_CSR_BASE64 || !B64.test(value)) {
    throw new DpclabError(`${what} must be a base64 DER PKCS#10 request`, "bad-csr", 400);
  }
  return new Uint8Array(Buffer.from(value, "base64"));
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}
