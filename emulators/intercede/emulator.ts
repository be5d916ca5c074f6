import type { Clock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import type { X509Certificate } from "../../src/x509.js";
import type { ApplicantAuthenticator, DerivedIssuance } from "../derived/index.js";
import { DEFAULT_SECRET_TTL_MS, type Defects, issuerPublicOrigin, kioskRoutes, kioskSession, NO_DEFECTS, OneTimeSecrets } from "../derived/index.js";
import {
  base64Field,
  type FetchHandler,
  JsonResponse,
  networkZone,
  qrPng,
  qrSvg,
  type Route,
  readDevice,
  readJsonObject,
  requiredString,
  router,
} from "../shared/index.js";
import { AutomaticRekey, DEFAULT_REKEY_BEFORE_MS } from "./automatic-rekey.js";
import { deliveredCredential } from "./credential-response.js";
import { MOBILE_CREDENTIAL_PROFILE, MobileCredentialRequests } from "./mobile-credential-requests.js";

/**
 * The Intercede MyID emulator (docs/intune.md §2.3, §2.7; docs/anchors.md §5): MyID at the computer or self-service kiosk
 * (PKI-AUTH sign-in, "request your ID", profile "activate with a mobile credential" → a QR code, no password) and the
 * mobile Identity Agent's side (scan → certificates; automatic rekey before expiry).
 */
export interface IntercedeEmulatorOptions {
  /** The issuance core, created with name "intercede" and the tenant as approver (DC-ISS-02). */
  issuance: DerivedIssuance;
  /** The kiosk half of PKI-AUTH (DC-ISS-04). */
  authenticator: ApplicantAuthenticator;
  clock: Clock;
  /** Lifetime of a QR code (single use); default 10 minutes — the docs give none (docs/intune.md §2). */
  qrTtlMs?: number;
  /** How long before notAfter MyID requests a rekey; default 28 days (docs/anchors.md §5). */
  rekeyBeforeMs?: number;
  /** The lab's TEST root, appended to the chain handed to the device (else the chain is the issuer CA only). */
  trustAnchor?: X509Certificate;
  /**
   * The MyID URL put in QR codes (e.g. http://127.0.0.1:7800/issuers/intercede); default the base URL the issuer CA
   * publishes under (lab.json baseUrl) + /issuers/intercede. Never the request's Host header (issue 10 §9).
   */
  publicUrl?: string;
  /** Wrong QR secrets per device before it is locked out (429); default 5. */
  maxQrFailures?: number;
  /** Known non-conformances to switch on (defects.ts: "non-expiring-qr", "same-key-on-renewal"); default none. */
  defects?: Defects;
  /** Cap on remembered kiosk requests; default 50,000, the oldest forgotten beyond (issue 10 §8). */
  maxRequests?: number;
}

export interface IntercedeEmulator {
  handler: FetchHandler;
  /** What the emulator holds, and the caps: for tests and benchmarks (issue 10 §8). */
  sizes(): {
    requests: ReturnType<MobileCredentialRequests["sizes"]>;
    rekey: ReturnType<AutomaticRekey["sizes"]>;
    secrets: ReturnType<OneTimeSecrets["sizes"]>;
  };
  /** For tests and the admin API: the rekey policy in force. */
  readonly rekeyBeforeMs: number;
  readonly qrTtlMs: number;
}

export const DEFAULT_QR_TTL_MS = DEFAULT_SECRET_TTL_MS["qr-session"];
const BASE = "/issuers/intercede";
/** "Never" for the non-expiring-qr defect: a century. */
const NEVER_MS = 100 * 365 * 86_400_000;

export function createIntercedeEmulator(opts: IntercedeEmulatorOptions): IntercedeEmulator {
  const { issuance, authenticator, clock } = opts;
  if (issuance.name !== "intercede") throw new DpclabError(`the MyID emulator needs the "intercede" issuance core, got "${issuance.name}"`, "bad-issuer");
  const defects = opts.defects ?? NO_DEFECTS;
  // DEFECT non-expiring-qr — breaks DC-LNK-01: the QR code lives (practically) forever.
  const qrTtlMs = defects.has("non-expiring-qr") ? NEVER_MS : (opts.qrTtlMs ?? DEFAULT_QR_TTL_MS);
  if (!Number.isFinite(qrTtlMs) || qrTtlMs <= 0) throw new RangeError(`qrTtlMs must be a positive number of ms, got ${qrTtlMs}`);
  const secrets = new OneTimeSecrets<string>({ clock, ...(opts.maxQrFailures ? { maxFailures: opts.maxQrFailures } : {}) });
  const requests = new MobileCredentialRequests(issuance, secrets, clock, qrTtlMs, opts.maxRequests);
  const rekey = new AutomaticRekey(issuance, clock, opts.rekeyBeforeMs ?? DEFAULT_REKEY_BEFORE_MS, defects);
  const chain = [issuance.authority.certificate, ...(opts.trustAnchor ? [opts.trustAnchor] : [])];
  const myidUrl = opts.publicUrl ? issuerPublicOrigin(issuance.authority, opts.publicUrl) : `${issuerPublicOrigin(issuance.authority)}${BASE}`;

  const qrView = (kind: "svg" | "png"): Route => ({
    method: "GET",
    path: `${BASE}/kiosk/requests/:id/qr.${kind}`,
    handle: async (req, p) => {
      const payload = requests.qrPayload(p.id as string, kioskSession(req, authenticator));
      return kind === "svg"
        ? new Response(await qrSvg(payload), { headers: { "content-type": "image/svg+xml", "cache-control": "no-store" } })
        : new Response(new Uint8Array(await qrPng(payload)), { headers: { "content-type": "image/png", "cache-control": "no-store" } });
    },
  });

  const routes: Route[] = [
    ...kioskRoutes("intercede", authenticator),
    {
      // "request your ID" → profile "activate with a mobile credential" → a QR code (§2.3 step 6). No password.
      method: "POST",
      path: `${BASE}/kiosk/requests`,
      handle: async (req) => {
        const session = kioskSession(req, authenticator);
        const body = await readJsonObject(req, ["profile"]);
        const profile = requiredString(body, "profile", 64);
        if (profile !== MOBILE_CREDENTIAL_PROFILE) {
          throw new DpclabError(
            `this MyID offers the profile "${MOBILE_CREDENTIAL_PROFILE}" (activate with a mobile credential) only`,
            "unsupported-profile",
            400,
          );
        }
        const { view, qrPayload } = requests.create(session, myidUrl);
        const at = `${BASE}/kiosk/requests/${view.requestId}`;
        return JsonResponse.of({ ...view, qr: { payload: qrPayload, svg: `${at}/qr.svg`, png: `${at}/qr.png` } }, { status: 201 });
      },
    },
    {
      method: "GET",
      path: `${BASE}/kiosk/requests/:id`,
      handle: (req, p) => JsonResponse.of(requests.view(p.id as string, kioskSession(req, authenticator))),
    },
    qrView("svg"),
    qrView("png"),
    {
      // The Identity Agent's scan (§2.3 step 8, §2.7): QR secret + DeviceDescriptor + CSR(s) → certificates.
      method: "POST",
      path: `${BASE}/device/activations`,
      handle: async (req) => {
        networkZone(req);
        const body = await readJsonObject(req, ["qrSession", "device", "csr", "smimeSigningCsr"]);
        const qrSession = requiredString(body, "qrSession", 128);
        const device = readDevice(body.device);
        const csr = base64Field(body, "csr") as Uint8Array;
        const smimeSigningCsr = base64Field(body, "smimeSigningCsr", { optional: true });
        const { result, session } = await requests.activate({ qrSession, device, csr, ...(smimeSigningCsr ? { smimeSigningCsr } : {}) });
        rekey.track(result.record, session);
        return JsonResponse.of(deliveredCredential(result, chain, rekey.dueAt(result.record)), { status: 201 });
      },
    },
    {
      method: "GET",
      path: `${BASE}/device/credentials/:id/rekey`,
      handle: (req, p) => {
        networkZone(req);
        return JsonResponse.of(rekey.poll(p.id as string));
      },
    },
    {
      method: "POST",
      path: `${BASE}/device/credentials/:id/rekey`,
      handle: async (req, p) => {
        networkZone(req);
        const body = await readJsonObject(req, ["rekeyId", "signature", "device", "csr", "smimeSigningCsr"]);
        const rekeyId = requiredString(body, "rekeyId", 128);
        const signature = base64Field(body, "signature") as Uint8Array;
        const device = readDevice(body.device);
        const csr = base64Field(body, "csr") as Uint8Array;
        const smimeSigningCsr = base64Field(body, "smimeSigningCsr", { optional: true });
        const result = await rekey.rekey(p.id as string, { rekeyId, signature, device, csr, ...(smimeSigningCsr ? { smimeSigningCsr } : {}) });
        return JsonResponse.of(deliveredCredential(result, chain, rekey.dueAt(result.record), p.id), { status: 201 });
      },
    },
  ];
  return {
    handler: router(routes),
    rekeyBeforeMs: rekey.rekeyBeforeMs,
    qrTtlMs,
    sizes: () => ({ requests: requests.sizes(), rekey: rekey.sizes(), secrets: secrets.sizes() }),
  };
}
