import { derChildren, derExpect, derOidText } from "../der.js";
import { CertificateFacts, type CertificateInput } from "./certificate-facts.js";
import { OIDS } from "./oids.js";
import { PathBuilder, type PathCandidate } from "./path-builder.js";
import { DSA_OIDS, type PathFailure, PathWalk, type StructuralFault } from "./path-walk.js";
import type { PolicyInputs } from "./policy-tree.js";
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

type Failure = PathFailure;

/** Most certificates in a path (the anchor not counted), issuer candidates tried, whole paths checked. */
const MAX_DEPTH = 10;
const MAX_ATTEMPTS = 200;
const MAX_PATHS = 16;
/** A CRL signer's path is validated inside a validation at most this deep (RevocationContext.validate). */
const MAX_NESTED_VALIDATIONS = 2;

const NOT_CHECKED: RevocationOutcome = Object.freeze({ checked: false, reason: "no revocation checker was given" });

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
 * anchor to leaf: the first problem and where it arose, or the user-constrained policy set. The CA part of the walk
 * is shared by every leaf under those CAs (see caWalk); the leaf's own step and the wrap-up are made here.
 */
function structuralChecks(
  topDown: readonly CertificateFacts[],
  anchor: CertificateFacts,
  policyInputs: PolicyInputs,
  input: PathValidationInput,
  caKey: string,
): Structural {
  const n = topDown.length;
  const leaf = topDown[n - 1] as CertificateFacts;
  const above = caWalk(topDown, anchor, policyInputs, input, caKey);
  if (!(above instanceof PathWalk)) return { fault: above };
  const walk = above.clone();
  const fault = walk.step(leaf, (topDown[n - 2] ?? anchor) as CertificateFacts);
  if (fault) return { fault };
  const wrapped = walk.finish(leaf, input.leafKeyUsage);
  return "failure" in wrapped ? { fault: wrapped } : wrapped;
}

/**
 * The walk through the anchor and the CA certificates of a path, or the first problem among them. Certificates are
 * immutable facts, so the answer for these CAs and inputs never changes: it is kept (bounded), and cloned per leaf.
 */
function caWalk(
  topDown: readonly CertificateFacts[],
  anchor: CertificateFacts,
  policyInputs: PolicyInputs,
  input: PathValidationInput,
  caKey: string,
): PathWalk | StructuralFault {
  const hit = caWalks.get(caKey);
  if (hit) return hit;
  const n = topDown.length;
  let walk = PathWalk.start(anchor, n, policyInputs, input.strict === true);
  for (let i = 0; i < n - 1 && walk instanceof PathWalk; i++) {
    const fault = walk.step(topDown[i] as CertificateFacts, (topDown[i - 1] ?? anchor) as CertificateFacts);
    if (fault) walk = fault;
  }
  if (caWalks.size >= MAX_CA_WALKS) caWalks.delete(caWalks.keys().next().value as string);
  caWalks.set(caKey, walk);
  return walk;
}
/** CA walks by inputs and CA facts (a lab has a handful of CA paths; bounded all the same). */
const caWalks = new Map<string, PathWalk | StructuralFault>();
const MAX_CA_WALKS = 256;

/** The time-independent verdict on a path: the first problem, or the user-constrained policy set. */
interface Structural {
  fault?: StructuralFault;
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
  let caKey = `${inputsKey}|${factId(anchor)}`;
  for (let j = chain.length - 1; j > 0; j--) caKey += `,${factId(chain[j] as CertificateFacts)}`;
  // Verdicts are kept per leaf, so the key names the CAs and inputs only.
  const key = caKey;
  let verdicts = structuralCache.get(leaf);
  let s = verdicts?.get(key);
  if (!s) {
    s = structuralChecks([...chain].reverse(), anchor, policyInputs, input, caKey);
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
