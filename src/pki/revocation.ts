import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import type { CertificateFacts } from "./certificate-facts.js";
import { type CertStatus, createOcspRequest, newOcspNonce, readOcspResponse } from "./ocsp.js";
import { OIDS } from "./oids.js";
import type { PathValidationResult } from "./path-validation.js";
import { fromPem } from "./pem.js";
import { revocationReasonFromCode } from "./revocation-reason.js";
import { verifyData } from "./signature.js";

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
 * An `{ error }` answer is "undetermined" (RFC 5280 §6.3.3(k)): the validator refuses the path with reason
 * "revocation-unavailable" and the error as its detail; it is never taken as "good".
 */
export interface RevocationChecker {
  check(cert: CertificateFacts, issuer: CertificateFacts, at: Date, context?: RevocationContext): Promise<RevocationCheck>;
}

export interface HttpRevocationOptions {
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

interface CachedCrl {
  /** hex serial → revoked status */
  revoked: Map<string, CertStatus>;
  thisUpdate: Date;
  nextUpdate?: Date;
}

/** Tolerated clock skew on thisUpdate. */
const SKEW_MS = 5 * 60_000;

/**
 * Revocation over HTTP, the way a relying party does it for PKI-AUTH: OCSP at the certificate's AIA id-ad-ocsp URL
 * (RFC 6960 App. A.1 POST, application/ocsp-request), and when that fails for any reason (network, non-200, bad or
 * unknown answer) the CRL at its cRLDistributionPoints http URL, verified with the issuer's key and checked for
 * currency (RFC 5280 §6.3). CRLs are cached per URL and issuer until their nextUpdate.
 */
export function createHttpRevocationChecker(fetchFn: typeof fetch, options: HttpRevocationOptions = {}): RevocationChecker {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const crlCache = new Map<string, CachedCrl>();
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

  async function viaCrl(facts: CertificateFacts, issuer: CertificateFacts, at: Date): Promise<RevocationCheck> {
    const url = facts.crlUrls.find((u) => /^http:/i.test(u));
    if (!url) return { error: "no http CRL distribution point in the certificate" };
    const key = `${url} ${issuer.subjectKeyId ?? issuer.subjectHex}`;
    try {
      let crl = crlCache.get(key);
      if (!crl || (crl.nextUpdate && crl.nextUpdate.getTime() < at.getTime())) {
        const res = await fetchFn(url, { signal: AbortSignal.timeout(timeoutMs) });
        if (res.status !== 200) return { error: `CRL ${url} answered HTTP ${res.status}` };
        crl = readCrl(new Uint8Array(await res.arrayBuffer()), issuer);
        crlCache.set(key, crl);
      }
      if (crl.thisUpdate.getTime() > at.getTime() + SKEW_MS) return { error: `CRL ${url} is not yet valid (thisUpdate ${crl.thisUpdate.toISOString()})` };
      if (crl.nextUpdate && crl.nextUpdate.getTime() < at.getTime()) return { error: `CRL ${url} is stale (nextUpdate ${crl.nextUpdate.toISOString()})` };
      const hit = crl.revoked.get(facts.serialHex);
      return { status: hit ?? { status: "good" }, source: "crl" };
    } catch (e) {
      return { error: `CRL ${url}: ${(e as Error).message}` };
    }
  }

  return {
    async check(facts, issuerFacts, at) {
      const cached = facts.isCa ? caStatusCache?.get(facts, at) : undefined;
      if (cached) return cached;
      const ocsp = options.crlOnly ? { error: "OCSP skipped" } : await viaOcsp(facts, issuerFacts, at);
      if (!("error" in ocsp)) return ocsp;
      const crl = await viaCrl(facts, issuerFacts, at);
      if (!("error" in crl)) return crl;
      return { error: `${ocsp.error}; ${crl.error}` };
    },
  };
}

function caKey(facts: CertificateFacts): string {
  return `${facts.authorityKeyId ?? facts.issuerHex} ${facts.serialHex}`;
}

/** Parses and verifies a CRL (DER or PEM) issued by `issuer`; throws with a reason when it is not acceptable. */
function readCrl(bytes: Uint8Array, issuer: CertificateFacts): CachedCrl {
  const der = bytes[0] === 0x30 ? bytes : fromPem(new TextDecoder().decode(bytes), "X509 CRL");
  const list = AsnConvert.parse(der, asn1X509.CertificateList);
  const tbs = list.tbsCertList;
  if (Buffer.from(AsnConvert.serialize(tbs.issuer)).toString("hex") !== issuer.subjectHex) {
    throw new Error("the CRL's issuer is not the certificate's issuer");
  }
  const tbsDer = list.tbsCertListRaw ?? AsnConvert.serialize(tbs);
  if (!verifyData(list.signatureAlgorithm, issuer.publicKey, tbsDer, list.signature)) {
    throw new Error("the CRL signature does not verify with the issuer's key");
  }
  if (issuer.keyUsage && !issuer.keyUsage.has("cRLSign")) throw new Error("the issuer's keyUsage lacks cRLSign");
  const revoked: CachedCrl["revoked"] = new Map();
  for (const entry of tbs.revokedCertificates ?? []) {
    const reasonExt = entry.crlEntryExtensions?.find((e) => e.extnID === OIDS.crlReason);
    const code = reasonExt ? AsnConvert.parse(reasonExt.extnValue.buffer, asn1X509.CRLReason).reason : 0;
    revoked.set(Buffer.from(entry.userCertificate).toString("hex"), {
      status: "revoked",
      revokedAt: entry.revocationDate.getTime(),
      reason: revocationReasonFromCode(code),
    });
  }
  return {
    revoked,
    thisUpdate: tbs.thisUpdate.getTime(),
    ...(tbs.nextUpdate ? { nextUpdate: tbs.nextUpdate.getTime() } : {}),
  };
}
