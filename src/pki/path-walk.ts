import { sameOctets } from "../der.js";
import { DpclabError } from "../errors.js";
import { type CertificateFacts, KEY_USAGE_NAMES, type KeyUsageName } from "./certificate-facts.js";
import { checkNameConstraints, constrainedNames, type NameConstraints } from "./name-constraints.js";
import { OIDS } from "./oids.js";
import { issuerNameMatches } from "./path-builder.js";
import type { PathFailureReason } from "./path-validation.js";
import { type PolicyInputs, PolicyTreeState } from "./policy-tree.js";

export interface PathFailure {
  readonly ok: false;
  readonly reason: PathFailureReason;
  readonly detail: string;
}

/**
 * The first problem of a path and where it arose: `at` is the certificate's place (0 the anchor, 1 the certificate it
 * issued, …, n + 1 the wrap-up); `afterValidity` says whether the problem comes after that certificate's validity
 * check in §6.1.3's order, so the validator can put the time checks (made per call) in their place.
 */
export interface StructuralFault {
  readonly at: number;
  readonly afterValidity: boolean;
  readonly failure: PathFailure;
}

/** The signature algorithms CERT-12 allows (what signature.ts verifies); others are refused by name. */
const SUPPORTED_SIGNATURES: ReadonlySet<string> = new Set([
  OIDS.ecdsaWithSHA256,
  OIDS.ecdsaWithSHA384,
  OIDS.ecdsaWithSHA512,
  OIDS.sha256WithRSAEncryption,
  OIDS.sha384WithRSAEncryption,
  OIDS.sha512WithRSAEncryption,
]);
export const DSA_OIDS: ReadonlySet<string> = new Set([OIDS.dsa, OIDS.dsaWithSHA1, OIDS.dsaWithSHA224, OIDS.dsaWithSHA256]);

/**
 * Extensions this validator processes, so may be critical (§6.1.4(o), §4.2): those it evaluates (basicConstraints,
 * keyUsage, certificatePolicies, policyMappings, policyConstraints, inhibitAnyPolicy, nameConstraints and
 * subjectAltName, which name constraints read), the key identifiers (path building), and the pointers revocation
 * checking follows (AIA, cRLDistributionPoints, freshestCRL). extendedKeyUsage is recognised and left to the caller's
 * purpose check (§4.2.1.12: the application checks the purposes it needs). Any other critical extension fails.
 */
const PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set([
  OIDS.basicConstraints,
  OIDS.keyUsage,
  OIDS.certificatePolicies,
  OIDS.policyMappings,
  OIDS.policyConstraints,
  OIDS.inhibitAnyPolicy,
  OIDS.nameConstraints,
  OIDS.subjectAltName,
  OIDS.extKeyUsage,
  OIDS.subjectKeyIdentifier,
  OIDS.authorityKeyIdentifier,
  OIDS.authorityInfoAccess,
  OIDS.cRLDistributionPoints,
  OIDS.freshestCrl,
]);

/**
 * Critical extensions a trust anchor certificate may carry: those read of an anchor (basicConstraints, keyUsage,
 * nameConstraints — applied to the path), and those that say nothing to a relying party about the anchor's own use.
 * An anchor's policyMappings, policyConstraints or inhibitAnyPolicy are not applied (no RFC 5937 policy inputs from
 * the anchor), so marked critical they fail rather than being ignored.
 */
const ANCHOR_PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set(
  [...PROCESSED_EXTENSIONS].filter((oid) => oid !== OIDS.policyMappings && oid !== OIDS.policyConstraints && oid !== OIDS.inhibitAnyPolicy),
);

type Constraint = { readonly ca: CertificateFacts; readonly nc: NameConstraints };

/**
 * RFC 5280 §6.1 over one path, anchor to leaf, everything but the time checks and revocation: the anchor (§6.1.1(d)),
 * then each certificate in turn (§6.1.3, and §6.1.4 for a CA), then the wrap-up (§6.1.5). The walk is a value: after
 * the CA certificates it can be cloned, so the leaves of one CA (thousands of devices) each pay for their own step
 * only, not for the CAs above them again.
 */
export class PathWalk {
  readonly #n: number;
  readonly #strict: boolean;
  readonly #policy: PolicyTreeState;
  readonly #constraints: Constraint[];
  #maxPathLength: number;
  /** The place of the certificate being stepped (0 the anchor). */
  #i: number;

  private constructor(n: number, strict: boolean, policy: PolicyTreeState, constraints: Constraint[], maxPathLength: number, i: number) {
    this.#n = n;
    this.#strict = strict;
    this.#policy = policy;
    this.#constraints = constraints;
    this.#maxPathLength = maxPathLength;
    this.#i = i;
  }

  /** §6.1.1(d), §6.1.2: the anchor's name and key, the initial state; see validatePath for what is checked of the anchor. */
  static start(anchor: CertificateFacts, n: number, inputs: PolicyInputs, strict: boolean): PathWalk | StructuralFault {
    const fault = (reason: PathFailureReason, detail: string): StructuralFault => ({ at: 0, afterValidity: false, failure: { ok: false, reason, detail } });
    try {
      if (anchor.version === 3 && !anchor.isCa) {
        return fault("not-a-ca", `trust anchor "${anchor.subject}" is a v3 certificate without basicConstraints cA TRUE (RFC 5280 §4.2.1.9)`);
      }
      if (anchor.keyUsage && !anchor.keyUsage.has("keyCertSign")) {
        return fault("key-usage", `trust anchor "${anchor.subject}" has keyUsage without keyCertSign (RFC 5280 §4.2.1.3)`);
      }
      for (const ext of anchor.extensions) {
        if (ext.critical && !ANCHOR_PROCESSED_EXTENSIONS.has(ext.oid)) {
          return fault(
            "unknown-critical-extension",
            `trust anchor "${anchor.subject}" has critical extension ${ext.oid}, which this validator does not process in an anchor`,
          );
        }
      }
      const malformed = anchorEncodingProblem(anchor, strict);
      if (malformed) return fault("invalid-certificate", `trust anchor "${anchor.subject}": ${malformed}`);
      // The anchor's own nameConstraints bound the whole path (RFC 5937 §2, as x509-limbo rfc5280::nc::* expect).
      const nc = anchor.nameConstraints;
      return new PathWalk(n, strict, new PolicyTreeState(n, inputs), nc ? [{ ca: anchor, nc }] : [], n, 0);
    } catch (e) {
      return fault("invalid-certificate", malformedMessage(e));
    }
  }

  /** An independent copy: stepping one does not change the other. */
  clone(): PathWalk {
    return new PathWalk(this.#n, this.#strict, this.#policy.clone(), [...this.#constraints], this.#maxPathLength, this.#i);
  }

  /** §6.1.3 for the next certificate (issued by `issuer`), then §6.1.4 when it is not the leaf. */
  step(cert: CertificateFacts, issuer: CertificateFacts): StructuralFault | undefined {
    const i = ++this.#i;
    let afterValidity = false;
    const fault = (reason: PathFailureReason, detail: string): StructuralFault => ({ at: i, afterValidity, failure: { ok: false, reason, detail } });
    const last = i === this.#n;
    const who = () => `"${cert.subject}"`;
    try {
      const malformed = encodingProblem(cert, !last, this.#strict);
      if (malformed) return fault("invalid-certificate", `${who()}: ${malformed}`);
      if (DSA_OIDS.has(cert.signatureAlgorithm) || DSA_OIDS.has(issuer.publicKeyAlgorithm)) {
        return fault("unsupported-algorithm", `${who()} is signed with DSA, which dpclab does not verify (CERT-12 allows RSA and ECDSA)`);
      }
      if (!SUPPORTED_SIGNATURES.has(cert.signatureAlgorithm)) {
        return fault("unsupported-algorithm", `${who()} is signed with ${cert.signatureAlgorithm}, not a CERT-12 algorithm`);
      }
      // §6.1.3(a)(4), (a)(1), (a)(2)
      if (!issuerNameMatches(cert, issuer)) return fault("name-chaining", `${who()} names issuer "${cert.issuer}", not "${issuer.subject}"`);
      if (!cert.isSignedBy(issuer)) return fault("signature-invalid", `the signature on ${who()} does not verify with the key of "${issuer.subject}"`);
      // (a)(2) validity: checked at the caller's time by the validator, here.
      afterValidity = true;
      // §6.1.4(o), §6.1.5(f): a critical extension not processed here.
      for (const ext of cert.extensions) {
        if (ext.critical && !PROCESSED_EXTENSIONS.has(ext.oid)) {
          return fault("unknown-critical-extension", `${who()} has critical extension ${ext.oid}, which this validator does not process`);
        }
      }
      // §6.1.3(b), (c): names of every certificate below a constraining CA but self-issued intermediates.
      if (this.#constraints.length && !(cert.isSelfIssued && !last)) {
        const why = checkNameConstraints(constrainedNames(cert), this.#constraints);
        if (why) return fault("name-constraints", `${who()}: ${why}`);
      }
      // §6.1.3(d)–(f), §6.1.4(a), (b), (h)–(j)
      const policyError = this.#policy.next(cert);
      if (policyError) return fault("policy", policyError);
      if (last) return undefined;

      // §6.1.4(g)
      const nc = cert.nameConstraints;
      if (nc) this.#constraints.push({ ca: cert, nc });
      // §6.1.4(k)
      if (!cert.isCa) return fault("not-a-ca", `${who()} signs certificates but basicConstraints cA is not TRUE`);
      // §6.1.4(l), (m)
      if (!cert.isSelfIssued) {
        if (this.#maxPathLength <= 0) return fault("not-a-ca", `${who()} is one CA more than a pathLenConstraint above allows`);
        this.#maxPathLength--;
      }
      if (cert.pathLength !== undefined && cert.pathLength < this.#maxPathLength) this.#maxPathLength = cert.pathLength;
      // §6.1.4(n)
      if (cert.keyUsage && !cert.keyUsage.has("keyCertSign")) return fault("key-usage", `${who()} signs certificates but its keyUsage lacks keyCertSign`);
      return undefined;
    } catch (e) {
      // A malformed extension met on the way (parsed on first use).
      return fault("invalid-certificate", malformedMessage(e));
    }
  }

  /** §6.1.5 after the leaf: the key usage the caller needs, then the policy wrap-up (the user-constrained policy set). */
  finish(leaf: CertificateFacts, leafKeyUsage: readonly string[] | undefined): StructuralFault | { validPolicies: string[] } {
    const fault = (reason: PathFailureReason, detail: string): StructuralFault => ({
      at: this.#n + 1,
      afterValidity: false,
      failure: { ok: false, reason, detail },
    });
    try {
      if (leafKeyUsage?.length) {
        if (!leaf.keyUsage) return fault("key-usage", "the leaf certificate has no keyUsage extension");
        for (const usage of leafKeyUsage) {
          if (!(KEY_USAGE_NAMES as readonly string[]).includes(usage)) return fault("key-usage", `unknown key usage "${usage}"`);
          if (!leaf.keyUsage.has(usage as KeyUsageName)) return fault("key-usage", `the leaf's keyUsage (${[...leaf.keyUsage].join(", ")}) lacks ${usage}`);
        }
      }
      const wrapped = this.#policy.finish(leaf);
      if (!wrapped.ok) return fault("policy", wrapped.detail);
      return { validPolicies: wrapped.validPolicies };
    } catch (e) {
      return fault("invalid-certificate", malformedMessage(e));
    }
  }
}

function malformedMessage(e: unknown): string {
  return e instanceof DpclabError ? e.message : String(e);
}

/** What RFC 5280 §4 forbids in a CA certificate, checked of an anchor given as a certificate (x509-limbo aki/ski). */
function anchorEncodingProblem(anchor: CertificateFacts, strict: boolean): string | undefined {
  if (anchor.extension(OIDS.authorityKeyIdentifier)?.critical) return "the authorityKeyIdentifier extension is critical (RFC 5280 §4.2.1.1)";
  if (anchor.extension(OIDS.subjectKeyIdentifier)?.critical) return "the subjectKeyIdentifier extension is critical (RFC 5280 §4.2.1.2)";
  if (strict && anchor.version === 3) {
    if (anchor.extension(OIDS.basicConstraints)?.critical === false) return "basicConstraints is not critical (RFC 5280 §4.2.1.9)";
    if (anchor.subjectKeyId === undefined) return "no subjectKeyIdentifier (RFC 5280 §4.2.1.2)";
  }
  return undefined;
}

/**
 * What RFC 5280 §4 forbids in a certificate that §6.1 would not catch by itself, or undefined. `isCaInPath`: the
 * certificate issues another one in this path.
 */
function encodingProblem(cert: CertificateFacts, isCaInPath: boolean, strict: boolean): string | undefined {
  const serial = cert.serialBytes;
  // §4.1.2.2: a positive integer of at most 20 octets.
  if (serial.length > 20 && !(serial.length === 21 && serial[0] === 0)) return `the serial number is longer than 20 octets (RFC 5280 §4.1.2.2)`;
  if (serial.every((b) => b === 0)) return "the serial number is zero (RFC 5280 §4.1.2.2: a positive integer)";
  if (strict && ((serial[0] as number) & 0x80) !== 0) return "the serial number is negative (RFC 5280 §4.1.2.2)";
  // §4.1.2.3
  if (!sameOctets(cert.tbsSignatureAlgorithmDer, cert.signatureAlgorithmDer))
    return "tbsCertificate.signature differs from signatureAlgorithm (RFC 5280 §4.1.1.2)";
  // §4.1.2.4, §4.1.2.6
  if (cert.issuerDer.length <= 2) return "the issuer name is empty (RFC 5280 §4.1.2.4)";
  const claimsCa = cert.isCa || cert.keyUsage?.has("keyCertSign") === true;
  if ((claimsCa || isCaInPath) && cert.subjectDer.length <= 2) return "a CA certificate with an empty subject name (RFC 5280 §4.1.2.6)";
  // §4.2.1.9 / §4.2.1.3: keyCertSign only with cA. (An intermediate without cA is reported as not-a-ca instead.)
  if (!cert.isCa && cert.keyUsage?.has("keyCertSign") && !isCaInPath) {
    return "keyUsage asserts keyCertSign but basicConstraints cA is not TRUE (RFC 5280 §4.2.1.9)";
  }
  if (!claimsCa && !isCaInPath && cert.subjectDer.length <= 2 && cert.extension(OIDS.subjectAltName)?.critical !== true) {
    return "an empty subject name without a critical subjectAltName (RFC 5280 §4.1.2.6)";
  }
  // SEQUENCE SIZE (1..MAX) (§4.2.1.4, §4.2.1.6, §4.2.1.12; limbo rfc5280::eku::ee-eku-empty).
  if (cert.policies?.size === 0) return "an empty certificatePolicies extension (RFC 5280 §4.2.1.4: SIZE (1..MAX))";
  if (cert.extKeyUsage?.size === 0) return "an empty extendedKeyUsage extension (RFC 5280 §4.2.1.12: SIZE (1..MAX))";
  // Read from the bytes (an empty SEQUENCE is 30 00): decoding every name costs a fresh leaf more than its other checks.
  const san = cert.extension(OIDS.subjectAltName);
  if (san && san.value.length <= 2) return "an empty subjectAltName extension (RFC 5280 §4.2.1.6: SIZE (1..MAX))";
  const aki = cert.extension(OIDS.authorityKeyIdentifier);
  if (aki?.critical) return "the authorityKeyIdentifier extension is critical (RFC 5280 §4.2.1.1: MUST be non-critical)";
  if (cert.extension(OIDS.subjectKeyIdentifier)?.critical) return "the subjectKeyIdentifier extension is critical (RFC 5280 §4.2.1.2: MUST be non-critical)";
  if (strict) {
    // Strict only: PKITS 4.6.4 expects a path through a CA with a non-critical basicConstraints to be valid.
    const bc = cert.extension(OIDS.basicConstraints);
    if (cert.isCa && bc && !bc.critical) return "a CA whose basicConstraints is not critical (RFC 5280 §4.2.1.9: MUST be critical)";
    if ((cert.isCa || isCaInPath) && cert.subjectKeyId === undefined) return "a CA certificate without subjectKeyIdentifier (RFC 5280 §4.2.1.2: MUST appear)";
    // Strict only: PKITS 4.8.6, 4.8.10, 4.10.9, 4.12.2 and others expect paths through CAs with a non-critical
    // policyConstraints to be valid, and §6.1.4(i) processes the extension whatever its criticality.
    const pc = cert.extension(OIDS.policyConstraints);
    if (pc && !pc.critical) return "the policyConstraints extension is not critical (RFC 5280 §4.2.1.11: MUST be critical)";
    if (!aki && !cert.isSelfIssued) return "no authorityKeyIdentifier (RFC 5280 §4.2.1.1: MUST be included), refused by the strict profile";
    const nc = cert.extension(OIDS.nameConstraints);
    if (nc && !nc.critical) return "the nameConstraints extension is not critical (RFC 5280 §4.2.1.10)";
    const iap = cert.extension(OIDS.inhibitAnyPolicy);
    if (iap && !iap.critical) return "the inhibitAnyPolicy extension is not critical (RFC 5280 §4.2.1.14)";
  }
  return undefined;
}
