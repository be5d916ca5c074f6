import { DpclabError } from "../../src/errors.js";
import type { IssuingAuthority } from "../shared/index.js";

/**
 * Where an issuer tells devices to go (the Entrust portal and the MyID URL in QR codes, Purebred's enrolment URLs):
 * the lab's configured base URL, never anything from the request — `Host: attacker.example` must not put
 * attacker.example into a QR code (issue 10 §9).
 *
 * `configured` wins when given (what the stack was told it is served at); otherwise the base URL the issuer's CA
 * publishes under, which the stack took from lab.json's baseUrl: the same origin stamped into every certificate's
 * AIA and CRL distribution point.
 */
export function issuerPublicOrigin(authority: IssuingAuthority, configured?: string): string {
  const raw = configured ?? publicationBase(authority);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RangeError(`the issuer's public URL must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new RangeError(`the issuer's public URL must be http(s), got "${raw}"`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}

/** The base of the CA's caIssuers URL (…/pki/aia/<ca>.p7c, publication-routes.ts). */
function publicationBase(authority: IssuingAuthority): string {
  const caIssuers = authority.ca.publication?.caIssuersUrl;
  const m = caIssuers ? /^(.*)\/pki\/aia\/[^/]+\.p7c$/.exec(caIssuers) : null;
  if (!m?.[1]) {
    throw new DpclabError(`${authority.name} publishes nowhere the lab's base URL can be read from: configure the issuer's public URL`, "no-public-url");
  }
  return m[1];
}
