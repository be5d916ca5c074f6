import { derChildren, derExpect, derOidText } from "../der.js";
import { DpclabError } from "../errors.js";
import { CertificateFacts, type CertificateInput, KEY_USAGE_NAMES, type KeyUsageName } from "./certificate-facts.js";
import { checkNameConstraints, constrainedNames, type NameConstraints } from "./name-constraints.js";
import { OIDS } from "./oids.js";
import { issuerNameMatches, PathBuilder, type PathCandidate } from "./path-builder.js";
import { type PolicyInputs, PolicyTreeState } from "./policy-tree.js";
import type { RevocationChecker, RevocationContext } from "./revocation.js";

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
  | "name-constraints"
  | "unknown-critical-extension"
  | "unsupported-algorithm"
  | "invalid-certificate"
  | "revoked"
  | "revocation-unavailable";

/** Certificates may be given as X509Certificate, DER or CertificateFacts (cheapest: DER or facts, parsed once). */
export interface PathValidationInput {
  leaf: CertificateInput;
  intermediates: readonly CertificateInput[];
  trustAnchors: readonly CertificateInput[];
  at: Date;
  /** user-initial-policy-set (RFC 5280 §6.1.1(c)); default [anyPolicy]. */
  initialPolicySet?: string[];
  /** initial-explicit-policy (§6.1.1(f)): the path must be valid for at least one policy of the set. Default false. */
  initialExplicitPolicy?: boolean;
  /** initial-policy-mapping-inhibit (§6.1.1(e)). Default false. */
  initialPolicyMappingInhibit?: boolean;
  /** initial-any-policy-inhibit (§6.1.1(g)). Default false. */
  initialAnyPolicyInhibit?: boolean;
  /**
   * Shorthand kept for the callers that had it: any one of these policies must be valid for the path — the same as
   * initialPolicySet = these with initialExplicitPolicy = true.
   */
  requiredPolicyOids?: string[];
  /** Key usages the leaf must have, RFC 5280 names ("digitalSignature", "keyAgreement", …). */
  leafKeyUsage?: string[];
  /** Revocation status of every certificate below the anchor; without it the result says `revocation.checked: false`. */
  revocation?: RevocationChecker;
  /**
   * The strict profile: also refuse what RFC 5280 §4 forbids CAs to issue but real chains still carry — no AKI in a
   * certificate that is not self-issued (§4.2.1.1 MUST), a negative serial (§4.1.2.2: "SHOULD be prepared to gracefully
   * handle"), policyConstraints, nameConstraints or inhibitAnyPolicy marked non-critical (§4.2.1.11, §4.2.1.10,
   * §4.2.1.14: MUST be critical). Default false: §6.1 processes those extensions whatever their criticality, and
   * NIST PKITS expects valid paths through CAs with a non-critical policyConstraints (4.8.6, 4.8.10, 4.10.9, …).
   */
  strict?: boolean;
}

export interface RevocationSummary {
  /** Where the leaf's status came from. */
  source: "ocsp" | "crl";
  /** One entry per checked certificate, leaf first. */
  checks: { subject: string; serialNumber: string; source: "ocsp" | "crl" }[];
}

/** Revocation as the result states it: checked (every non-anchor certificate good), or not checked and why not. */
export type RevocationOutcome = (RevocationSummary & { checked: true }) | { checked: false; reason: string };

export type PathValidationResult =
  | {
      ok: true;
      /** Leaf first, trust anchor last. */
      path: CertificateFacts[];
      /** The user-constrained policy set (§6.1.6): ["2.5.29.32.0"] for anyPolicy, [] when the path is valid for none. */
      validPolicies: string[];
      revocation: RevocationOutcome;
    }
  | { ok: false; reason: PathFailureReason; detail: string };

type Failure = Extract<PathValidationResult, { ok: false }>;

/** Most certificates in a path (the anchor not counted), issuer candidates tried, whole paths checked. */
const MAX_DEPTH = 10;
const MAX_ATTEMPTS = 200;
const MAX_PATHS = 16;
/** A CRL signer's path is validated inside a validation at most this deep (RevocationContext.validate). */
const MAX_NESTED_VALIDATIONS = 2;

const NOT_CHECKED: RevocationOutcome = Object.freeze({ checked: false, reason: "no revocation checker was given" });

/** The signature algorithms CERT-12 allows (what signature.ts verifies); others are refused by name. */
const SUPPORTED_SIGNATURES: ReadonlySet<string> = new Set([
  OIDS.ecdsaWithSHA256,
  OIDS.ecdsaWithSHA384,
  OIDS.ecdsaWithSHA512,
  OIDS.sha256WithRSAEncryption,
  OIDS.sha384WithRSAEncryption,
  OIDS.sha512WithRSAEncryption,
]);
const DSA_OIDS: ReadonlySet<string> = new Set([OIDS.dsa, OIDS.dsaWithSHA1, OIDS.dsaWithSHA224, OIDS.dsaWithSHA256]);

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
 * RFC 5280 §6.1 path validation, complete for what Federal PKI paths use (FIPS 201-3 §6.2.3.1; PIV-I and SSP paths
 * cross-certified under Federal Common Policy):
 * - building (path-builder.ts): every candidate issuer by §7.1 name match, with backtracking, bounded;
 * - per certificate (§6.1.3): signature, validity at `at`, issuer name (§7.1, name-compare.ts), revocation (through
 *   the checker, after the other checks), name constraints (name-constraints.ts: directoryName, rfc822Name incl. the
 *   subject's emailAddress, dNSName, URI, iPAddress), the valid_policy_tree (policy-tree.ts);
 * - per CA (§6.1.4): policy mapping, inhibit policy mapping, requireExplicitPolicy, inhibitAnyPolicy, name
 *   constraints, basicConstraints cA, pathLenConstraint, keyCertSign, unknown critical extensions (§6.1.4(o));
 * - wrap-up (§6.1.5): explicit_policy and the user-constrained policy set, the leaf's key usage.
 * Also refused as "invalid-certificate", from RFC 5280 §4 (and the public x509-limbo cases): a zero or over-20-octet
 * serial, TBS signature ≠ outer signatureAlgorithm, a critical AKI, an empty issuer DN, a CA with an empty subject,
 * keyCertSign without cA (in a CA or a leaf); more under `strict` (a non-critical policyConstraints among them).
 *
 * Trust anchors (§6.1.1(d)): the inputs are the anchor's name and public key, taken from the anchor certificate; the
 * anchor is not part of the path, so its signature is not checked, nor are its certificatePolicies, policyMappings,
 * policyConstraints or inhibitAnyPolicy applied (no RFC 5937 policy inputs). What is checked of an anchor
 * certificate, deliberately (failing closed, and what the public x509-limbo cases expect): it must be valid at `at`
 * (an expired root is not trusted); a v3 anchor must say it is a CA — basicConstraints cA TRUE and, when it has
 * keyUsage, keyCertSign (§4.2.1.9: "conforming CAs MUST include this extension in all CA certificates that contain
 * public keys used to validate digital signatures on certificates"; limbo root-missing-basic-constraints,
 * root-inconsistent-ca-extensions); no critical extension it does not process (limbo
 * unknown-critical-extension-root), no critical AKI or SKI; its nameConstraints, if any, bound every name below it
 * (RFC 5937 §2; limbo rfc5280::nc). A v1 anchor cannot carry extensions and is accepted as name + key. Under `strict`
 * a non-critical basicConstraints or a missing SKI in an anchor fails too.
 *
 * Not done (not used by FPKI paths, each refused rather than ignored where it matters): DSA and other algorithms
 * outside CERT-12 ("unsupported-algorithm"); otherName/x400/ediParty/registeredID name constraints (a name of such a
 * form under such a constraint fails); policy qualifiers (not output).
 */
export async function validatePath(input: PathValidationInput): Promise<PathValidationResult> {
  return run(input, 0);
}

async function run(input: PathValidationInput, nesting: number): Promise<PathValidationResult> {
  let leaf: CertificateFacts;
  let anchors: CertificateFacts[];
  let pool: CertificateFacts[];
  try {
    leaf = CertificateFacts.of(input.leaf);
    anchors = input.trustAnchors.map((c) => CertificateFacts.of(c));
    pool = input.intermediates.map((c) => CertificateFacts.of(c));
  } catch (e) {
    const dsa = [input.leaf, ...input.intermediates, ...input.trustAnchors].some((c) => DSA_OIDS.has(outerSignatureAlgorithm(c) ?? ""));
    if (dsa)
      return fail(
        "unsupported-algorithm",
        `a certificate is signed with DSA, which dpclab does not verify (CERT-12 allows RSA and ECDSA); it is also malformed: ${(e as Error).message}`,
      );
    return fail("invalid-certificate", (e as Error).message);
  }
  const required = input.requiredPolicyOids?.length ? input.requiredPolicyOids : undefined;
  const policy: PolicyInputs = {
    initialPolicySet: input.initialPolicySet?.length ? input.initialPolicySet : (required ?? [OIDS.anyPolicy]),
    initialExplicitPolicy: input.initialExplicitPolicy ?? required !== undefined,
    initialPolicyMappingInhibit: input.initialPolicyMappingInhibit ?? false,
    initialAnyPolicyInhibit: input.initialAnyPolicyInhibit ?? false,
  };
  const at = input.at.getTime();

  const builder = new PathBuilder(leaf, pool, anchors, { maxDepth: MAX_DEPTH, maxAttempts: MAX_ATTEMPTS });
  let first: Failure | undefined;
  let tried = 0;
  const inputsKey = `${policy.initialPolicySet.join(" ")}:${+policy.initialExplicitPolicy}${+policy.initialPolicyMappingInhibit}${+policy.initialAnyPolicyInhibit}${+(input.strict === true)}:${input.leafKeyUsage?.join(" ") ?? ""}`;
  for (const candidate of builder.paths()) {
    const checked = checkPath(candidate, at, policy, input, inputsKey);
    let result: PathValidationResult | undefined;
    if ("validPolicies" in checked) {
      const path = [...candidate.chain, candidate.anchor];
      const revocation = input.revocation ? await checkRevocation(input.revocation, candidate, path, pool, anchors, input, nesting) : NOT_CHECKED;
      result = "ok" in revocation ? revocation : { ok: true, path, validPolicies: checked.validPolicies, revocation };
      if (result.ok) return result;
    } else result = checked;
    first ??= result as Failure;
    if (++tried >= MAX_PATHS) break;
  }
  if (first) return first;
  const dead = builder.deadEnd ?? { reason: "no-path" as const, detail: `no path from "${leaf.subject}" to a trust anchor` };
  return fail(dead.reason, dead.detail);
}

/**
 * The checks of a path that do not depend on the time (everything of §6.1.2–§6.1.5 but validity and revocation),
 * anchor to leaf: the first problem and where it arose, or the user-constrained policy set. Certificates are immutable
 * facts, so the answer for a chain and these inputs never changes: it is cached on the leaf's facts (PKI-AUTH sees the
 * same card certificate login after login; profile-apply the same device certificate check-in after check-in).
 */
function structuralChecks(topDown: readonly CertificateFacts[], anchor: CertificateFacts, policyInputs: PolicyInputs, input: PathValidationInput): Structural {
  let i = 0;
  let afterValidity = false;
  const fail = (reason: PathFailureReason, detail: string): Structural => ({ fault: { at: i, afterValidity, failure: { ok: false, reason, detail } } });
  try {
    return structuralSteps();
  } catch (e) {
    // A malformed extension met on the way (parsed on first use).
    return fail("invalid-certificate", e instanceof DpclabError ? e.message : String(e));
  }

  function structuralSteps(): Structural {
    const n = topDown.length;
    const leaf = topDown[n - 1] as CertificateFacts;

    // §6.1.1(d): the anchor's name and key; see validatePath for what is checked of its certificate.
    if (anchor.version === 3 && !anchor.isCa) {
      return fail("not-a-ca", `trust anchor "${anchor.subject}" is a v3 certificate without basicConstraints cA TRUE (RFC 5280 §4.2.1.9)`);
    }
    if (anchor.keyUsage && !anchor.keyUsage.has("keyCertSign")) {
      return fail("key-usage", `trust anchor "${anchor.subject}" has keyUsage without keyCertSign (RFC 5280 §4.2.1.3)`);
    }
    for (const ext of anchor.extensions) {
      if (ext.critical && !ANCHOR_PROCESSED_EXTENSIONS.has(ext.oid)) {
        return fail(
          "unknown-critical-extension",
          `trust anchor "${anchor.subject}" has critical extension ${ext.oid}, which this validator does not process in an anchor`,
        );
      }
    }
    const anchorMalformed = anchorEncodingProblem(anchor, input.strict === true);
    if (anchorMalformed) return fail("invalid-certificate", `trust anchor "${anchor.subject}": ${anchorMalformed}`);

    // §6.1.2 state; the anchor's own nameConstraints bound the whole path (RFC 5937 §2, as x509-limbo rfc5280::nc::* expect).
    const policy = new PolicyTreeState(n, policyInputs);
    const constraints: { ca: CertificateFacts; nc: NameConstraints }[] = [];
    if (anchor.nameConstraints) constraints.push({ ca: anchor, nc: anchor.nameConstraints });
    let maxPathLength = n;

    for (i = 1; i <= n; i++) {
      afterValidity = false;
      const cert = topDown[i - 1] as CertificateFacts;
      const issuer = i === 1 ? anchor : (topDown[i - 2] as CertificateFacts);
      const last = i === n;
      const who = () => `"${cert.subject}"`;

      const malformed = encodingProblem(cert, !last, input.strict === true);
      if (malformed) return fail("invalid-certificate", `${who()}: ${malformed}`);
      if (DSA_OIDS.has(cert.signatureAlgorithm) || DSA_OIDS.has(issuer.publicKeyAlgorithm)) {
        return fail("unsupported-algorithm", `${who()} is signed with DSA, which dpclab does not verify (CERT-12 allows RSA and ECDSA)`);
      }
      if (!SUPPORTED_SIGNATURES.has(cert.signatureAlgorithm)) {
        return fail("unsupported-algorithm", `${who()} is signed with ${cert.signatureAlgorithm}, not a CERT-12 algorithm`);
      }
      // §6.1.3(a)(4), (a)(1), (a)(2)
      if (!issuerNameMatches(cert, issuer)) return fail("name-chaining", `${who()} names issuer "${cert.issuer}", not "${issuer.subject}"`);
      if (!cert.isSignedBy(issuer)) return fail("signature-invalid", `the signature on ${who()} does not verify with the key of "${issuer.subject}"`);
      // (a)(2) validity: checked at `at` by checkPath, here.
      afterValidity = true;
      // §6.1.4(o), §6.1.5(f): a critical extension not processed here.
      for (const ext of cert.extensions) {
        if (ext.critical && !PROCESSED_EXTENSIONS.has(ext.oid)) {
          return fail("unknown-critical-extension", `${who()} has critical extension ${ext.oid}, which this validator does not process`);
        }
      }
      // §6.1.3(b), (c): names of every certificate below a constraining CA but self-issued intermediates.
      if (constraints.length && !(cert.isSelfIssued && !last)) {
        const why = checkNameConstraints(constrainedNames(cert), constraints);
        if (why) return fail("name-constraints", `${who()}: ${why}`);
      }
      // §6.1.3(d)–(f), §6.1.4(a), (b), (h)–(j)
      const policyError = policy.next(cert);
      if (policyError) return fail("policy", policyError);
      if (last) break;

      // §6.1.4(g)
      const nc = cert.nameConstraints;
      if (nc) constraints.push({ ca: cert, nc });
      // §6.1.4(k)
      if (!cert.isCa) return fail("not-a-ca", `${who()} signs certificates but basicConstraints cA is not TRUE`);
      // §6.1.4(l), (m)
      if (!cert.isSelfIssued) {
        if (maxPathLength <= 0) return fail("not-a-ca", `${who()} is one CA more than a pathLenConstraint above allows`);
        maxPathLength--;
      }
      if (cert.pathLength !== undefined && cert.pathLength < maxPathLength) maxPathLength = cert.pathLength;
      // §6.1.4(n)
      if (cert.keyUsage && !cert.keyUsage.has("keyCertSign")) return fail("key-usage", `${who()} signs certificates but its keyUsage lacks keyCertSign`);
    }

    // §6.1.5: the leaf's key usage the caller needs, then the policy wrap-up.
    i = n + 1;
    if (input.leafKeyUsage?.length) {
      if (!leaf.keyUsage) return fail("key-usage", "the leaf certificate has no keyUsage extension");
      for (const usage of input.leafKeyUsage) {
        if (!(KEY_USAGE_NAMES as readonly string[]).includes(usage)) return fail("key-usage", `unknown key usage "${usage}"`);
        if (!leaf.keyUsage.has(usage as KeyUsageName)) return fail("key-usage", `the leaf's keyUsage (${[...leaf.keyUsage].join(", ")}) lacks ${usage}`);
      }
    }
    const wrapped = policy.finish(leaf);
    if (!wrapped.ok) return fail("policy", wrapped.detail);
    return { validPolicies: wrapped.validPolicies };
  }
}

/** The time-independent verdict on a path: the first problem (certificate index, 0 the anchor, n + 1 the wrap-up). */
interface Structural {
  fault?: { at: number; afterValidity: boolean; failure: Failure };
  validPolicies?: string[];
}

/** Small ids for facts, for cache keys (facts of the same DER are one object: CertificateFacts.fromDer). */
const factIds = new WeakMap<CertificateFacts, number>();
let nextFactId = 1;
function factId(c: CertificateFacts): number {
  let id = factIds.get(c);
  if (id === undefined) {
    id = nextFactId++;
    factIds.set(c, id);
  }
  return id;
}
/** Per leaf: chain + inputs → structural verdict; a few entries per leaf (one chain, a few callers' inputs). */
const structuralCache = new WeakMap<CertificateFacts, Map<string, Structural>>();
const MAX_VERDICTS_PER_LEAF = 8;

/** §6.1.2–§6.1.5 over one candidate path, anchor to leaf; everything but revocation. */
function checkPath(
  candidate: PathCandidate,
  at: number,
  policyInputs: PolicyInputs,
  input: PathValidationInput,
  inputsKey: string,
): Failure | { validPolicies: string[] } {
  const { anchor, chain } = candidate;
  const leaf = chain[0] as CertificateFacts;
  let key = `${inputsKey}|${factId(anchor)}`;
  for (const c of chain) key += `,${factId(c)}`;
  let verdicts = structuralCache.get(leaf);
  let s = verdicts?.get(key);
  if (!s) {
    s = structuralChecks([...chain].reverse(), anchor, policyInputs, input);
    if (!verdicts) {
      verdicts = new Map();
      structuralCache.set(leaf, verdicts);
    }
    if (verdicts.size >= MAX_VERDICTS_PER_LEAF) verdicts.clear();
    verdicts.set(key, s);
  }
  const fault = s.fault;
  // The time checks, in their §6.1 place among the others (the anchor's first, then (a)(2) of each certificate).
  if (at > anchor.notAfter.getTime()) return fail("expired", `trust anchor "${anchor.subject}" expired ${anchor.notAfter.toISOString()}`);
  if (at < anchor.notBefore.getTime()) return fail("not-yet-valid", `trust anchor "${anchor.subject}" is valid from ${anchor.notBefore.toISOString()}`);
  if (fault?.at === 0) return fault.failure;
  for (let i = 1, j = chain.length - 1; j >= 0; i++, j--) {
    if (fault?.at === i && !fault.afterValidity) return fault.failure;
    const cert = chain[j] as CertificateFacts;
    if (at < cert.notBefore.getTime()) return fail("not-yet-valid", `"${cert.subject}" is valid from ${cert.notBefore.toISOString()}`);
    if (at > cert.notAfter.getTime()) return fail("expired", `"${cert.subject}" expired ${cert.notAfter.toISOString()}`);
    if (fault?.at === i) return fault.failure;
  }
  if (fault) return fault.failure;
  return { validPolicies: s.validPolicies as string[] };
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
  if (!equalBytes(cert.tbsSignatureAlgorithmDer, cert.signatureAlgorithmDer))
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

/** Every non-anchor certificate against its issuer, concurrently; the first problem in leaf-first order is the answer. */
async function checkRevocation(
  checker: RevocationChecker,
  candidate: PathCandidate,
  path: readonly CertificateFacts[],
  pool: readonly CertificateFacts[],
  anchors: readonly CertificateFacts[],
  input: PathValidationInput,
  nesting: number,
): Promise<RevocationOutcome | Failure> {
  const { chain, anchor } = candidate;
  const context: RevocationContext = {
    path,
    certificates: [...pool, ...anchors],
    trustAnchors: anchors,
    // §6.3.3(f): a CRL signer's own path, to the same anchors with the same policy inputs, bounded.
    validate: (cert) =>
      nesting >= MAX_NESTED_VALIDATIONS
        ? Promise.resolve(fail("revocation-unavailable", `a CRL signer's path would be validated more than ${MAX_NESTED_VALIDATIONS} levels deep`))
        : run({ ...input, leaf: cert, leafKeyUsage: undefined }, nesting + 1),
  };
  const answers = await Promise.all(
    chain.map((c, i) =>
      checker.check(c, (chain[i + 1] ?? anchor) as CertificateFacts, input.at, context).catch((e: unknown) => ({
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
  return { checked: true, source: checks[0]!.source, checks };
}

/** The outer signatureAlgorithm OID of a certificate too malformed for CertificateFacts, if that much can be read. */
function outerSignatureAlgorithm(input: CertificateInput): string | undefined {
  if (input instanceof CertificateFacts) return input.signatureAlgorithm;
  const der = input instanceof Uint8Array ? input : input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.rawData);
  try {
    const [, alg] = derChildren(der, derExpect(der, 0, der.length, 0x30, "Certificate"));
    const [oid] = alg ? derChildren(der, alg) : [];
    return oid ? derOidText(der, oid) : undefined;
  } catch {
    return undefined;
  }
}

function fail(reason: PathFailureReason, detail: string): Failure {
  return { ok: false, reason, detail };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}
