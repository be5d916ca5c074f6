import { DpclabError } from "../../src/errors.js";

/**
 * What the MyID QR code encodes (docs/intune.md §2.3 step 6, §2.7): the MyID URL the Identity Agent talks to and the
 * single-use "qr-session" secret. There is no password: the QR code alone activates (§2.3 step 8).
 */
export interface IntercedeQrPayload {
  issuer: "intercede";
  /** The MyID base URL, e.g. http://127.0.0.1:7803/issuers/intercede. */
  url: string;
  "qr-session": string;
}

const MAX_PAYLOAD = 1024;

export function encodeQrPayload(payload: IntercedeQrPayload): string {
  return JSON.stringify({ issuer: payload.issuer, url: payload.url, "qr-session": payload["qr-session"] });
}

/** What the Identity Agent reads from the scanned symbol; anything else is not a MyID QR code ("bad-qr-code"). */
export function parseQrPayload(text: string): IntercedeQrPayload {
  const bad = (why: string) => new DpclabError(`not a MyID mobile-credential QR code: ${why}`, "bad-qr-code", 400);
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_PAYLOAD) throw bad("empty or oversized");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad("not JSON");
  }
  const v = value as Partial<Record<string, unknown>>;
  if (typeof v !== "object" || v === null || v.issuer !== "intercede") throw bad('issuer is not "intercede"');
  if (typeof v.url !== "string" || !/^https?:\/\/[^\s]+$/.test(v.url)) throw bad("no MyID URL");
  if (typeof v["qr-session"] !== "string") throw bad("no qr-session");
  return { issuer: "intercede", url: v.url, "qr-session": v["qr-session"] };
}
