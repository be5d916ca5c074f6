import { type CertificateFacts, distinguishedNameText as distinguishedName } from "./certificate-facts.js";
import { CrlFacts } from "./crl-facts.js";
import { ALL_REASONS, certificateDistributionPoints, type DistributionPoint, nameKey, REASON_FLAG_NAMES, sameName } from "./distribution-point.js";
import type { CertStatus } from "./ocsp.js";
import type { RevocationCheck, RevocationChecker, RevocationContext } from "./revocation.js";

/**
 * RFC 5280 §6.3 CRL processing, shared by the CRL-set checker (PKITS, `dpclab validate --crl`) and the HTTP checker
 * (which fetches the same model from the distribution points). One call decides one certificate's status:
 * for each distribution point (§6.3.3: a certificate without cRLDistributionPoints has one implied DP whose CRL issuer
 * is its own issuer) and each complete CRL of that point, in scope (§6.3.3(b)), covering a reason not yet covered
 * (§6.3.3(d), (e)), current (§6.3.3(a)), usable (no unknown critical extension, §5.2/§5.3) and signed by a key that
 * validates to the same trust anchor with cRLSign (§6.3.3(f), (g)), combined with its newest usable delta CRL
 * (§6.3.3(c), (h), (i)), until a CRL says "revoked" or all reasons are covered. Anything else is undetermined: an
 * `{ error }` saying why each CRL was not used, which the path validator turns into "revocation-unavailable".
 */

/** Where the CRLs come from (synchronously when they are at hand: no promise on the cached path). */
export interface CrlSource {
  /** Complete (and possibly delta) CRLs that may give the status for this distribution point. */
  crls(cert: CertificateFacts, dp: DistributionPoint | undefined): CrlLookup | Promise<CrlLookup>;
  /** Delta CRLs that may go with this complete CRL (freshestCRL of the certificate and of the CRL, §5.2.6). */
  deltas(cert: CertificateFacts, complete: CrlFacts): CrlLookup | Promise<CrlLookup>;
}

export interface CrlLookup {
  crls: readonly CrlFacts[];
  /** Why a CRL could not be had (fetch failures), for the undetermined answer. */
  errors: readonly string[];
}

export interface CrlProcessingOptions {
  /** Combine complete CRLs with delta CRLs (§6.3.3 use-deltas); default true. */
  useDeltas?: boolean;
  /** Clock skew tolerated on thisUpdate; default 5 min. */
  skewMs?: number;
}

/** Tolerated clock skew on thisUpdate. */
const SKEW_MS = 5 * 60_000;
/** At most this many reasons are listed in an undetermined answer. */
const MAX_NOTES = 6;

type Signer = { signer: CertificateFacts } | { error: string };

/** The §6.3.3 algorithm for one certificate; `issuer` is its issuer in the validated path. */
export async function crlStatus(
  cert: CertificateFacts,
  issuer: CertificateFacts,
  at: Date,
  context: RevocationContext | undefined,
  source: CrlSource,
  options: CrlProcessingOptions = {},
): Promise<RevocationCheck> {
  const skew = options.skewMs ?? SKEW_MS;
  const useDeltas = options.useDeltas ?? true;
  const t = at.getTime();
  const notes: string[] = [];
  const note = (crl: CrlFacts | undefined, why: string) => {
    const text = crl ? `CRL ${describe(crl)}: ${why}` : why;
    if (!notes.includes(text)) notes.push(text);
  };
  let signers: Map<CrlFacts, Signer | Promise<Signer>> | undefined;
  const signerOf = (crl: CrlFacts): Signer | Promise<Signer> => {
    // The common case, decided without a promise: the certificate's issuer signed the CRL.
    const quick = issuerSigned(crl, issuer);
    if (quick) return quick;
    signers ??= new Map();
    let s = signers.get(crl);
    if (!s) {
      s = findSigner(crl, cert, issuer, context);
      signers.set(crl, s);
    }
    return s;
  };
  const current = (crl: CrlFacts): string | undefined => {
    if (crl.thisUpdate.getTime() > t + skew) return `not yet valid (thisUpdate ${crl.thisUpdate.toISOString()})`;
    if (crl.nextUpdate && crl.nextUpdate.getTime() < t) return `stale (nextUpdate ${crl.nextUpdate.toISOString()})`;
    return undefined;
  };

  const dps: readonly (DistributionPoint | undefined)[] = certificateDistributionPoints(cert).length ? certificateDistributionPoints(cert) : [undefined];
  let reasonsMask = 0;
  let fromIssuer = 0;
  let crlsSeen = 0;
  for (const dp of dps) {
    if (reasonsMask === ALL_REASONS) break;
    const got = source.crls(cert, dp);
    const { crls, errors } = got instanceof Promise ? await got : got;
    for (const e of errors) note(undefined, e);
    for (const crl of crls) {
      if (reasonsMask === ALL_REASONS) break;
      if (crl.isDelta) {
        if (scopeMismatch(crl, cert, dp) !== OTHER_ISSUER) crlsSeen++;
        continue;
      }
      const outOfScope = scopeMismatch(crl, cert, dp);
      if (outOfScope === OTHER_ISSUER) continue;
      fromIssuer++;
      if (outOfScope) {
        note(crl, outOfScope);
        continue;
      }
      // §6.3.3(d): the reasons this CRL covers for this DP; (e): it must cover one not yet covered.
      const interim = (crl.issuingDistributionPoint?.onlySomeReasons ?? ALL_REASONS) & (dp?.reasons ?? ALL_REASONS) & ALL_REASONS;
      if ((interim & ~reasonsMask) === 0) continue;
      if (crl.unusable) {
        note(crl, `not used: ${crl.unusable}`);
        continue;
      }
      const stale = current(crl);
      if (stale) {
        note(crl, stale);
        continue;
      }
      const pending = signerOf(crl);
      const signer = pending instanceof Promise ? await pending : pending;
      if ("error" in signer) {
        note(crl, signer.error);
        continue;
      }
      // §6.3.3(a)(2), (c), (h): the newest usable delta CRL of the same scope whose base this complete CRL covers.
      let delta: CrlFacts | undefined;
      if (useDeltas) {
        const got = source.deltas(cert, crl);
        const found = got instanceof Promise ? await got : got;
        for (const e of found.errors) note(undefined, e);
        for (const d of found.crls) {
          if (!d.isDelta || !deltaFits(d, crl)) continue;
          if (delta && (d.crlNumber as bigint) <= (delta.crlNumber as bigint)) continue;
          if (d.unusable) {
            note(d, `delta CRL not used: ${d.unusable}`);
            continue;
          }
          const dStale = current(d);
          if (dStale) {
            note(d, `delta CRL ${dStale}`);
            continue;
          }
          const dSigner = d.isSignedBy(signer.signer) ? signer : await signerOf(d);
          if ("error" in dSigner) {
            note(d, `delta CRL: ${dSigner.error}`);
            continue;
          }
          delta = d;
        }
      }
      // §6.3.3(i)–(k): the delta first; removeFromCRL there means unrevoked; else the complete CRL.
      const fromDelta = delta?.entryFor(cert);
      const entry = fromDelta ?? crl.entryFor(cert);
      if (entry && entry.reason !== "removeFromCRL") {
        const status: CertStatus = { status: "revoked", revokedAt: entry.revokedAt, reason: entry.reason };
        return { status, source: "crl" };
      }
      reasonsMask |= interim;
    }
  }
  if (reasonsMask === ALL_REASONS) return { status: { status: "good" }, source: "crl" };
  const missing = REASON_FLAG_NAMES.filter((_, bit) => bit > 0 && !(reasonsMask & (1 << bit)));
  if (fromIssuer === 0) {
    const named = dps.flatMap((dp) => (dp?.crlIssuer ? ["its distribution point's cRLIssuer"] : [])).length
      ? "the cRLIssuer its distribution point names"
      : `"${cert.issuer}"`;
    note(undefined, crlsSeen > 0 ? "only delta CRLs (a delta CRL alone gives no status, RFC 5280 §5.2.4)" : `no CRL issued by ${named}`);
  }
  const why = notes.length
    ? notes.slice(0, MAX_NOTES).join("; ") + (notes.length > MAX_NOTES ? `; and ${notes.length - MAX_NOTES} more` : "")
    : "no other CRL covers them";
  const scope = reasonsMask ? ` (the usable CRLs cover only some reasons; not ${missing.join(", ")}, RFC 5280 §6.3.3(d))` : "";
  return { error: `status undetermined${scope}: ${why}` };
}

/** A CRL of another issuer: not worth a word in an undetermined answer (a CRL set holds many). */
const OTHER_ISSUER = "another issuer";

/** §6.3.3(b): is this complete CRL's scope the certificate's, for this distribution point? A reason when not. */
function scopeMismatch(crl: CrlFacts, cert: CertificateFacts, dp: DistributionPoint | undefined): string | undefined {
  const idp = crl.issuingDistributionPoint;
  // (b)(1)
  if (dp?.crlIssuer) {
    if (!dp.crlIssuer.includes(nameKey(crl.issuerDer))) return OTHER_ISSUER;
    if (!idp?.indirectCrl) return "the distribution point names a cRLIssuer but the CRL is not indirect (RFC 5280 §6.3.3(b)(1))";
  } else if (!crl.isIssuedBy(cert.issuerDer)) {
    return OTHER_ISSUER;
  }
  if (!idp) return undefined;
  // (b)(2)(i)
  if (idp.names) {
    const dpNames = dp?.names ?? dp?.crlIssuer ?? [nameKey(cert.issuerDer)];
    if (!idp.names.some((n) => dpNames.includes(n)))
      return "its issuingDistributionPoint name is not the certificate's distribution point (RFC 5280 §6.3.3(b)(2)(i))";
  }
  // (b)(2)(ii)–(iv)
  if (idp.onlyContainsUserCerts && cert.isCa) return "it covers only end-entity certificates (onlyContainsUserCerts) and this one is a CA";
  if (idp.onlyContainsCACerts && !cert.isCa) return "it covers only CA certificates (onlyContainsCACerts) and this one is not a CA";
  if (idp.onlyContainsAttributeCerts) return "it covers only attribute certificates (onlyContainsAttributeCerts)";
  return undefined;
}

/** §6.3.3(c) and §5.2.4: a delta CRL of the complete CRL's scope whose base it covers and that is newer than it. */
function deltaFits(delta: CrlFacts, complete: CrlFacts): boolean {
  if (!sameName(delta.issuerDer, complete.issuerDer)) return false;
  const a = delta.issuingDistributionPoint?.der;
  const b = complete.issuingDistributionPoint?.der;
  if ((a === undefined) !== (b === undefined) || (a && b && Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0)) return false;
  if (complete.authorityKeyId !== undefined && delta.authorityKeyId !== complete.authorityKeyId) return false;
  if (complete.crlNumber === undefined || delta.baseCrlNumber === undefined || delta.crlNumber === undefined) return false;
  return delta.baseCrlNumber <= complete.crlNumber && delta.crlNumber > complete.crlNumber;
}

/** The issuer as signer when it is named by the CRL, its key verifies it, and it may sign CRLs; else undefined. */
function issuerSigned(crl: CrlFacts, issuer: CertificateFacts): Signer | undefined {
  if (crl.authorityKeyId !== undefined && issuer.subjectKeyId !== undefined && issuer.subjectKeyId !== crl.authorityKeyId) return undefined;
  if (!crl.isIssuedBy(issuer.subjectDer) || (issuer.keyUsage && !issuer.keyUsage.has("cRLSign")) || !crl.isSignedBy(issuer)) return undefined;
  return { signer: issuer };
}

/**
 * §6.3.3(f), (g): the certificate whose key signed the CRL, named as its issuer, with cRLSign when it has keyUsage,
 * and valid to the same trust anchor: the certificate's issuer, a certificate above it in the path (already being
 * validated), or another certificate the validator was given (a separate CRL signer, another key of the CA) that
 * `context.validate` accepts with the same anchor. Without a context only the issuer can sign. A CRL signer's
 * certificate is never fetched (no AIA chasing for CRL issuers): it must be among the certificates the validator got.
 */
async function findSigner(crl: CrlFacts, cert: CertificateFacts, issuer: CertificateFacts, context: RevocationContext | undefined): Promise<Signer> {
  const problems: string[] = [];
  const named = (c: CertificateFacts) =>
    crl.isIssuedBy(c.subjectDer) && (crl.authorityKeyId === undefined || c.subjectKeyId === undefined || c.subjectKeyId === crl.authorityKeyId);
  const usable = (c: CertificateFacts): boolean => {
    if (!crl.isSignedBy(c)) return false;
    if (c.keyUsage && !c.keyUsage.has("cRLSign")) {
      problems.push(`the key of "${c.subject}" signed it but that certificate's keyUsage lacks cRLSign (RFC 5280 §6.3.3(f))`);
      return false;
    }
    return true;
  };
  if (named(issuer) && usable(issuer)) return { signer: issuer };
  if (!context) {
    return {
      error:
        problems[0] ??
        (crl.isIssuedBy(issuer.subjectDer) ? "its signature does not verify with the issuer's key" : "it is not signed by the certificate's issuer"),
    };
  }
  const at = context.path.findIndex((c) => c === cert || sameDer(c, cert));
  // The certificate itself when it is a CRL issuer whose own status is on the CRL it signs (PKITS 4.14.30: its
  // cRLDistributionPoints name itself as cRLIssuer); it is in the path being validated, only its status is open.
  const above = at >= 0 ? context.path.slice(at) : [];
  for (const c of above) if (c !== issuer && named(c) && usable(c)) return { signer: c };
  const anchor = context.path[context.path.length - 1];
  const tried = new Set<CertificateFacts>([cert, issuer, ...above]);
  for (const c of [...context.certificates, ...context.trustAnchors]) {
    if (tried.has(c) || !named(c)) continue;
    tried.add(c);
    if (!usable(c)) continue;
    const result = await context.validate(c);
    if (!result.ok) {
      problems.push(`its signer "${c.subject}" does not validate: ${result.detail}`);
      continue;
    }
    const signerAnchor = result.path[result.path.length - 1];
    if (anchor && signerAnchor && signerAnchor !== anchor && !sameDer(signerAnchor, anchor)) {
      problems.push(`its signer "${c.subject}" validates to another trust anchor (RFC 5280 §6.3.3(f))`);
      continue;
    }
    return { signer: c };
  }
  return {
    error:
      problems[0] ??
      "its signature does not verify with the issuer's key nor with that of any other certificate given to the validator (RFC 5280 §6.3.3(f), (g))",
  };
}

function sameDer(a: CertificateFacts, b: CertificateFacts): boolean {
  return (
    a.der.length === b.der.length && Buffer.from(a.der.buffer, a.der.byteOffset, a.der.length).equals(Buffer.from(b.der.buffer, b.der.byteOffset, b.der.length))
  );
}

function describe(crl: CrlFacts): string {
  const n = crl.crlNumber !== undefined ? ` #${crl.crlNumber}` : "";
  return `"${crlIssuerText(crl)}"${n}${crl.isDelta ? " (delta)" : ""}`;
}

function crlIssuerText(crl: CrlFacts): string {
  try {
    return distinguishedName(crl.issuerDer);
  } catch {
    return crl.issuerHex;
  }
}

// ——— the CRL-set checker ———

export interface CrlSetOptions extends CrlProcessingOptions {}

/**
 * A RevocationChecker over a given set of CRLs (DER or PEM), no network: what PKITS and `dpclab validate --crl` use.
 * Every CRL of the set is a candidate for every distribution point; scope, currency, signer and delta rules decide
 * (RFC 5280 §6.3). A certificate no usable CRL covers is undetermined (`{ error }`), never "good".
 * A CRL that is not DER is left out, and named in every undetermined answer.
 */
export function createCrlSetChecker(crls: readonly Uint8Array[], options: CrlSetOptions = {}): RevocationChecker {
  const parsed: CrlFacts[] = [];
  const errors: string[] = [];
  crls.forEach((c, i) => {
    try {
      parsed.push(CrlFacts.of(c));
    } catch (e) {
      errors.push(`CRL ${i + 1} of the set was not read: ${(e as Error).message}`);
    }
  });
  const lookup: CrlLookup = { crls: parsed, errors };
  const source: CrlSource = {
    crls: () => lookup,
    deltas: () => lookup,
  };
  return {
    check(cert, issuer, at, context) {
      return crlStatus(cert, issuer, at, context, source, options);
    },
  };
}
