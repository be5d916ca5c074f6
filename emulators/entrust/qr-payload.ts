import { DpclabError } from "../../src/errors.js";

/**
 * What the IdentityGuard portal's QR code encodes (docs/intune.md §2.2 step 6, §2.6 step 3): where the phone activates
 * (the portal URL), the enrolment it belongs to, and the single-use "qr-session" secret. The numeric password is
 * printed under the QR code, never inside it, so a photographed QR alone is not enough. The docs give no format;
 * this one is ours: a small JSON object.
 */
export interface EntrustQrPayload {
  type: typeof QR_TYPE;
  version: 1;
  /** Absolute URL the phone posts its activation to, e.g. http://127.0.0.1:7802/issuers/entrust/mobile/activate. */
  portal: string;
  enrolmentId: string;
  /** The single-use secret of kind "qr-session" (OneTimeSecrets). */
  qrSession: string;
}

export const QR_TYPE = "entrust-identityguard-mobile-smart-credential";
const MAX_PAYLOAD = 1024;
const QR_SESSION = /^[A-Za-z0-9_-]{16,64}$/;
const ENROLMENT_ID = /^[A-Za-z0-9_-]{8,64}$/;

export function encodeEntrustQr(payload: Omit<EntrustQrPayload, "type" | "version">): string {
  return JSON.stringify({ type: QR_TYPE, version: 1, portal: payload.portal, enrolmentId: payload.enrolmentId, qrSession: payload.qrSession });
}

/** The phone's reading of a scanned QR code; anything else is "not an Entrust QR code" (400 "bad-qr-code"). */
export function parseEntrustQr(text: string): EntrustQrPayload {
  const bad = (why: string) => new DpclabError(`not an Entrust IdentityGuard QR code: ${why}`, "bad-qr-code", 400);
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_PAYLOAD) throw bad("empty or too long");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad("not JSON");
  }
  const p = (value ?? {}) as Partial<EntrustQrPayload>;
  if (p.type !== QR_TYPE || p.version !== 1) throw bad("wrong type or version");
  if (typeof p.enrolmentId !== "string" || !ENROLMENT_ID.test(p.enrolmentId)) throw bad("no enrolment id");
  if (typeof p.qrSession !== "string" || !QR_SESSION.test(p.qrSession)) throw bad("no QR session secret");
  let portal: URL;
  try {
    portal = new URL(String(p.portal));
  } catch {
    throw bad("the portal is not a URL");
  }
  if (portal.protocol !== "http:" && portal.protocol !== "https:") throw bad("the portal is not an http(s) URL");
  return { type: QR_TYPE, version: 1, portal: portal.toString(), enrolmentId: p.enrolmentId, qrSession: p.qrSession };
}
