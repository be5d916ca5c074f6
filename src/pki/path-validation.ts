import { CertificateFacts, type CertificateInput, KEY_USAGE_NAMES, type KeyUsageName } from "./certificate-facts.js";
import { OIDS } from "./oids.js";
import type { RevocationChecker } from "./revocation.js";

export type PathFailureReason =
  | "no-path"
  | "untrusted-root"
  | "signature-invalid"
  | "expired"
  | "not-yet-valid"
  | "name-chaining"
  | "not-a-ca"
  | "key-usage"
  | "policy"
  | "revoked"
  | "revocation-unavailable";

/** Certificates may be given as X509Certificate, DER or CertificateFacts (cheapest: DER or facts, parsed once). */
export interface PathValidationInput {
  leaf: CertificateInput;
  intermediates: readonly CertificateInput[];
  trustAnchors: readonly CertificateInput[];
  at: Date;
  /** Any one of these must be asserted by the leaf and allowed (same OID or anyPolicy) by every CA below the anchor. */
  requiredPolicyOids?: string[];
  /** Key usages the leaf must have, RFC 5280 names ("digitalSignature", "keyAgreement", …). */
  leafKeyUsage?: string[];
  /** Revocation status of every certificate below the anchor; none checked when omitted. */
  revocation?: RevocationChecker;
}

export interface RevocationSummary {
  /** Where the leaf's status came from. */
  source: "ocsp" | "crl";
  /** One entry per checked certificate, leaf first. */
  checks: { subject: string; serialNumber: string; source: "ocsp" | "crl" }[];
}

export type PathValidationResult =
  | { ok: true /** Leaf first, trust anchor last. */; path: CertificateFacts[]; revocation?: RevocationSummary }
  | { ok: false; reason: PathFailureReason; detail: string };

const MAX_DEPTH = 8;

/**
 * RFC 5280 §6.1 path validation as PKI-AUTH needs it (FIPS 201-3 §6.2.3.1): builds leaf → … → anchor by issuer name
 * and AKI/SKI, then checks every signature, validity at `at`, name chaining, basicConstraints/keyCertSign on issuers,
 * pathLenConstraint, the leaf's key usage, policy, and revocation of every non-anchor certificate.
 * Simplifications (documented, none used by the FPKI PIV profiles we issue): no policy mapping, no name constraints,
 * no inhibitAnyPolicy; a trust anchor is taken as-is (its own signature and extensions are not checked, §6.1.1(d)),
 * except that it must be valid at `at`.
 */
export async function validatePath(input: PathValidationInput): Promise<PathValidationResult> {
  const fail = (reason: PathFailureReason, detail: string): PathValidationResult => ({ ok: false, reason, detail });
  const leaf = CertificateFacts.of(input.leaf);
  const anchors = input.trustAnchors.map((c) => CertificateFacts.of(c));
  const pool = input.intermediates.map((c) => CertificateFacts.of(c));
  const at = input.at.getTime();

  // ——— build: leaf first, anchor last ———
  const chain: CertificateFacts[] = [leaf];
  let anchor: CertificateFacts | undefined;
  for (let current = leaf; ; ) {
    if (chain.length > MAX_DEPTH) return fail("no-path", `no trust anchor within ${MAX_DEPTH} certificates`);
    const isAnchor = anchors.find((a) => sameCert(a, current));
    if (isAnchor && current !== leaf) {
      chain.pop();
      anchor = isAnchor;
      break;
    }
    const next =
      pickIssuer(current, anchors) ??
      pickIssuer(
        current,
        pool.filter((p) => !chain.some((c) => sameCert(c, p))),
      );
    if (next) {
      if (anchors.includes(next)) {
        anchor = next;
        break;
      }
      chain.push(next);
      current = next;
      continue;
    }
    if (current.isSelfIssued) {
      return fail("untrusted-root", `"${current.subject}" is self-issued but not a trust anchor`);
    }
    const byKey = [...anchors, ...pool].find((c) => current.authorityKeyId !== undefined && c.subjectKeyId === current.authorityKeyId);
    if (byKey) {
      return fail("name-chaining", `"${current.subject}" names issuer "${current.issuer}" but its AKI is the key of "${byKey.subject}"`);
    }
    return fail("no-path", `no certificate for issuer "${current.issuer}" of "${current.subject}"`);
  }

  // ——— check: from the anchor down (RFC 5280 §6.1.3 order) ———
  if (at > anchor.notAfter.getTime()) return fail("expired", `trust anchor "${anchor.subject}" expired ${anchor.notAfter.toISOString()}`);
  if (at < anchor.notBefore.getTime()) return fail("not-yet-valid", `trust anchor "${anchor.subject}" is valid from ${anchor.notBefore.toISOString()}`);
  const topDown = [...chain].reverse();
  for (let i = 0; i < topDown.length; i++) {
    const cert = topDown[i] as CertificateFacts;
    const issuer = i === 0 ? anchor : (topDown[i - 1] as CertificateFacts);
    // Subject text only for messages: rendering a DN costs more than the checks.
    const who = () => `"${cert.subject}"`;
    if (cert.issuerHex !== issuer.subjectHex) {
      return fail("name-chaining", `${who()} names issuer "${cert.issuer}", not "${issuer.subject}"`);
    }
    if (!cert.isSignedBy(issuer)) {
      return fail("signature-invalid", `the signature on ${who()} does not verify with the key of "${issuer.subject}"`);
    }
    if (at < cert.notBefore.getTime()) return fail("not-yet-valid", `${who()} is valid from ${cert.notBefore.toISOString()}`);
    if (at > cert.notAfter.getTime()) return fail("expired", `${who()} expired ${cert.notAfter.toISOString()}`);
    if (cert !== leaf) {
      // §6.1.4(k), (n): an issuer must be a CA allowed to sign certificates.
      if (!cert.isCa) return fail("not-a-ca", `${who()} signs certificates but basicConstraints cA is not TRUE`);
      if (cert.keyUsage && !cert.keyUsage.has("keyCertSign")) {
        return fail("key-usage", `${who()} signs certificates but its keyUsage lacks keyCertSign`);
      }
    }
  }
  // §6.1.4(l), (m): a CA's pathLenConstraint bounds the non-self-issued CA certificates below it.
  for (let j = 0; j < topDown.length - 1; j++) {
    const ca = topDown[j] as CertificateFacts;
    const below = topDown.slice(j + 1, -1).filter((c) => !c.isSelfIssued).length;
    if (ca.pathLength !== undefined && below > ca.pathLength) {
      return fail("not-a-ca", `"${ca.subject}" allows ${ca.pathLength} CA(s) below it, the path has ${below}`);
    }
  }

  if (input.leafKeyUsage?.length) {
    if (!leaf.keyUsage) return fail("key-usage", "the leaf certificate has no keyUsage extension");
    for (const usage of input.leafKeyUsage) {
      if (!(KEY_USAGE_NAMES as readonly string[]).includes(usage)) return fail("key-usage", `unknown key usage "${usage}"`);
      if (!leaf.keyUsage.has(usage as KeyUsageName)) {
        return fail("key-usage", `the leaf's keyUsage (${[...leaf.keyUsage].join(", ")}) lacks ${usage}`);
      }
    }
  }

  if (input.requiredPolicyOids?.length) {
    const accepted = input.requiredPolicyOids.find((oid) => chain.every((c) => c.policies?.has(oid) || (c !== leaf && c.policies?.has(OIDS.anyPolicy))));
    if (!accepted) {
      const leafPolicies = leaf.policies ? [...leaf.policies].join(", ") : "none";
      return fail(
        "policy",
        `none of ${input.requiredPolicyOids.join(", ")} is asserted by the leaf (asserts ${leafPolicies}) and allowed by every CA in the path`,
      );
    }
  }

  const path = [...chain, anchor];
  if (!input.revocation) return { ok: true, path };

  // Every non-anchor certificate, each against its issuer; lookups run concurrently.
  const issuers = chain.map((_, i) => (chain[i + 1] ?? anchor) as CertificateFacts);
  const answers = await Promise.all(
    chain.map((c, i) =>
      input.revocation!.check(c, issuers[i] as CertificateFacts, input.at).catch((e: unknown) => ({
        error: (e as Error).message ?? String(e),
      })),
    ),
  );
  const checks: RevocationSummary["checks"] = [];
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i] as CertificateFacts;
    const a = answers[i]!;
    const who = () => `"${c.subject}" (serial ${c.serialHex})`;
    if ("error" in a) return fail("revocation-unavailable", `${who()}: ${a.error}`);
    if (a.status.status === "revoked") {
      return fail("revoked", `${who()} was revoked ${a.status.revokedAt.toISOString()} (${a.status.reason}), per ${a.source.toUpperCase()}`);
    }
    if (a.status.status === "unknown") return fail("revocation-unavailable", `${who()}: the ${a.source.toUpperCase()} status is unknown`);
    checks.push({ subject: c.subject, serialNumber: c.serialHex, source: a.source });
  }
  return { ok: true, path, revocation: { source: checks[0]!.source, checks } };
}

/** A candidate issuer: subject = the cert's issuer name, and keys agree when both AKI and SKI are present. */
function pickIssuer(cert: CertificateFacts, candidates: CertificateFacts[]): CertificateFacts | undefined {
  const byName = candidates.filter(
    (c) => c.subjectHex === cert.issuerHex && (cert.authorityKeyId === undefined || c.subjectKeyId === undefined || cert.authorityKeyId === c.subjectKeyId),
  );
  if (byName.length <= 1) return byName[0];
  // Several (re-keyed CA, cross-certificates): prefer the one whose key verifies the signature.
  return byName.find((c) => cert.isSignedBy(c)) ?? byName[0];
}

function sameCert(a: CertificateFacts, b: CertificateFacts): boolean {
  return a === b || (a.der.length === b.der.length && Buffer.from(a.der.buffer).equals(Buffer.from(b.der.buffer)));
}
