import type { CertificateFacts } from "./certificate-facts.js";
import { type CrlLookup, type CrlProcessingOptions, type CrlSource, crlStatus } from "./crl-checker.js";
import { CrlFacts } from "./crl-facts.js";
import { certificateFreshestCrl, type DistributionPoint } from "./distribution-point.js";
import { type CertStatus, createOcspRequest, newOcspNonce, readOcspResponse } from "./ocsp.js";
import type { PathValidationResult } from "./path-validation.js";

export type RevocationCheck = { status: CertStatus; source: "ocsp" | "crl" } | { error: string };

/**
 * What the path validator knows when it asks about one certificate of a path: enough for RFC 5280 §6.3.3(f) (a CRL
 * signed by another key of the CA or by a separate CRL issuer, whose certificate must validate to the same anchor).
 */
export interface RevocationContext {
  /** The validated path, leaf first, trust anchor last. */
  path: readonly CertificateFacts[];
  /** Every certificate given to the validator (intermediates and anchors): candidate CRL signers. */
  certificates: readonly CertificateFacts[];
  trustAnchors: readonly CertificateFacts[];
  /** Validates a CRL signer's certificate to the same anchors with the same options (recursion bounded by the validator). */
  validate(cert: CertificateFacts): Promise<PathValidationResult>;
}

/**
 * Answers "is this certificate revoked at `at`?" for path validation (certificates as CertificateFacts.of gives them).
 * An `{ error }` answer is UNDETERMINED (RFC 5280 §6.3.3, last step: not all reasons covered and not revoked): the validator refuses the path with reason
 * "revocation-unavailable" and the error as its detail; it is never taken as "good".
 */
export interface RevocationChecker {
  check(cert: CertificateFacts, issuer: CertificateFacts, at: Date, context?: RevocationContext): Promise<RevocationCheck>;
}

export interface HttpRevocationOptions extends CrlProcessingOptions {
  /** Per-request timeout; default 5 s. */
  timeoutMs?: number;
  /** Send an OCSP nonce (RFC 8954) and require it echoed; default true. */
  nonce?: boolean;
  /** Skip OCSP and go to the CRL directly. */
  crlOnly?: boolean;
  /**
   * Where "good" OCSP answers about *CA* certificates are kept until their nextUpdate (RFC 5019 §6 caching), so a
   * busy relying party does not ask about the same intermediate for every applicant. Leaf status is always fresh.
   */
  caStatusCache?: CaStatusCache;
}

/** Good OCSP answers about CA certificates, reusable until their nextUpdate; share one across checkers. */
export class CaStatusCache {
  readonly #entries = new Map<string, { answer: RevocationCheck; until: number }>();

  get(facts: CertificateFacts, at: Date): RevocationCheck | undefined {
    const hit = this.#entries.get(caKey(facts));
    return hit && at.getTime() <= hit.until ? hit.answer : undefined;
  }

  set(facts: CertificateFacts, answer: RevocationCheck, until: Date): void {
    this.#entries.set(caKey(facts), { answer, until: until.getTime() });
  }
}

const NO_ERRORS: readonly string[] = [];
const NONE: CrlLookup = { crls: [], errors: NO_ERRORS };
const NO_DP: CrlLookup = { crls: [], errors: ["no http CRL distribution point in the certificate"] };

/** CRLs fetched, by URL (most recently fetched kept). */
const MAX_CACHED_CRLS = 256;

/**
 * Revocation over HTTP, the way a relying party does it for PKI-AUTH: OCSP at the certificate's AIA id-ad-ocsp URL
 * (RFC 6960 App. A.1 POST, application/ocsp-request), and when that fails for any reason (network, non-200, bad or
 * unknown answer) the CRLs at its cRLDistributionPoints http URLs, processed as RFC 5280 §6.3 says (crl-checker.ts:
 * scope, reasons, signer, delta CRLs through freshestCRL). CRLs are parsed once and cached per URL until their
 * nextUpdate. Neither answering is undetermined: an `{ error }` with both reasons, never "good".
 */
export function createHttpRevocationChecker(fetchFn: typeof fetch, options: HttpRevocationOptions = {}): RevocationChecker {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const crlCache = new Map<string, CrlFacts>();
  const inFlight = new Map<string, Promise<CrlFacts>>();
  const caStatusCache = options.caStatusCache;

  async function viaOcsp(facts: CertificateFacts, issuer: CertificateFacts, at: Date): Promise<RevocationCheck> {
    const url = facts.ocspUrls.find((u) => /^http:/i.test(u));
    if (!url) return { error: "no http OCSP URL in the certificate's AIA" };
    try {
      const nonce = options.nonce === false ? undefined : newOcspNonce();
      const res = await fetchFn(url, {
        method: "POST",
        headers: { "content-type": "application/ocsp-request", accept: "application/ocsp-response" },
        body: new Uint8Array(createOcspRequest(facts, issuer, nonce ? { nonce } : {})),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.status !== 200) return { error: `OCSP ${url} answered HTTP ${res.status}` };
      const result = readOcspResponse(new Uint8Array(await res.arrayBuffer()), { cert: facts, issuer, now: at, ...(nonce ? { nonce } : {}) });
      if (result.status.status === "unknown") return { error: `OCSP ${url} does not know this certificate` };
      const answer: RevocationCheck = { status: result.status, source: "ocsp" };
      if (caStatusCache && facts.isCa && result.status.status === "good" && result.nextUpdate) caStatusCache.set(facts, answer, result.nextUpdate);
      return answer;
    } catch (e) {
      return { error: `OCSP ${url}: ${(e as Error).message}` };
    }
  }

  /** A CRL by URL: cached until its nextUpdate, one fetch in flight per URL (the path's checks run concurrently). */
  async function fetchCrl(url: string, at: Date): Promise<CrlFacts> {
    const hit = cached(url, at);
    if (hit) return hit;
    let pending = inFlight.get(url);
    if (!pending) {
      pending = (async () => {
        const res = await fetchFn(url, { signal: AbortSignal.timeout(timeoutMs) });
        if (res.status !== 200) throw new Error(`answered HTTP ${res.status}`);
        const crl = CrlFacts.of(new Uint8Array(await res.arrayBuffer()));
        crlCache.delete(url);
        if (crlCache.size >= MAX_CACHED_CRLS) crlCache.delete(crlCache.keys().next().value as string);
        crlCache.set(url, crl);
        return crl;
      })().finally(() => inFlight.delete(url));
      inFlight.set(url, pending);
    }
    return pending;
  }

  /** The first of these URLs that gives a CRL; each failure is said. */
  async function firstCrl(urls: readonly string[], at: Date): Promise<CrlLookup> {
    const errors: string[] = [];
    for (const url of urls) {
      try {
        return { crls: [await fetchCrl(url, at)], errors };
      } catch (e) {
        errors.push(`CRL ${url}: ${(e as Error).message}`);
      }
    }
    return { crls: [], errors };
  }

  /** A CRL of the cache still current at `at`, without a promise. */
  function cached(url: string, at: Date): CrlFacts | undefined {
    const hit = crlCache.get(url);
    return hit && !(hit.nextUpdate && hit.nextUpdate.getTime() < at.getTime()) ? hit : undefined;
  }

  function crlSource(at: Date): CrlSource {
    return {
      crls: (_cert, dp) => {
        if (!dp?.urls.length) return NO_DP;
        const hit = cached(dp.urls[0] as string, at);
        return hit ? { crls: [hit], errors: NO_ERRORS } : firstCrl(dp.urls, at);
      },
      deltas: (cert, complete) => {
        // §5.2.6 / §4.2.1.15: delta CRLs are found through freshestCRL, in the certificate or the complete CRL.
        const fromCert = certificateFreshestCrl(cert);
        if (!fromCert.length && !complete.freshestCrl.length) return NONE;
        return deltasAt([...fromCert, ...complete.freshestCrl], at);
      },
    };
  }

  /** The delta CRLs at these freshestCRL distribution points (the first URL of each that answers). */
  async function deltasAt(all: readonly DistributionPoint[], at: Date): Promise<CrlLookup> {
    const out: CrlFacts[] = [];
    const errors: string[] = [];
    for (const dp of all) {
      if (!dp.urls.length) continue;
      const found = await firstCrl(dp.urls, at);
      out.push(...found.crls);
      errors.push(...found.errors);
    }
    return { crls: out, errors };
  }

  async function viaCrl(facts: CertificateFacts, issuer: CertificateFacts, at: Date, context?: RevocationContext): Promise<RevocationCheck> {
    try {
      const answer = await crlStatus(facts, issuer, at, context, crlSource(at), options);
      return "error" in answer ? { error: `CRL ${answer.error}` } : answer;
    } catch (e) {
      return { error: `CRL: ${(e as Error).message}` };
    }
  }

  return {
    async check(facts, issuerFacts, at, context) {
      const cached = facts.isCa ? caStatusCache?.get(facts, at) : undefined;
      if (cached) return cached;
      const ocsp = options.crlOnly ? { error: "OCSP skipped" } : await viaOcsp(facts, issuerFacts, at);
      if (!("error" in ocsp)) return ocsp;
      const crl = await viaCrl(facts, issuerFacts, at, context);
      if (!("error" in crl)) return crl;
      return { error: `${ocsp.error}; ${crl.error}` };
    },
  };
}

function caKey(facts: CertificateFacts): string {
  return `${facts.authorityKeyId ?? facts.issuerHex} ${facts.serialHex}`;
}
