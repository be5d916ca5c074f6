import { sameOctets } from "../der.js";
import type { CertificateFacts } from "./certificate-facts.js";

/** One candidate path: leaf first, the trust anchor apart (it is an input, not part of the path: RFC 5280 §6.1). */
export interface PathCandidate {
  readonly chain: readonly CertificateFacts[];
  readonly anchor: CertificateFacts;
}

/** Why no candidate was found, for the first (most preferred) branch that ended without an anchor. */
export interface DeadEnd {
  readonly reason: "no-path" | "untrusted-root" | "name-chaining";
  readonly detail: string;
}

export interface PathBuilderLimits {
  /** Most certificates in a path, the anchor not counted. */
  readonly maxDepth: number;
  /** Most issuer candidates tried in all (every edge of the search), so a crafted pool cannot make it explode. */
  readonly maxAttempts: number;
}

/**
 * Builds certification paths from a leaf to a trust anchor by depth-first search with backtracking (RFC 4158 in
 * outline): every certificate whose subject matches the current certificate's issuer name (RFC 5280 §7.1) is a
 * candidate unless its SKI differs from the certificate's AKI keyIdentifier (another key of that CA); anchors first,
 * then those whose SKI is the AKI, then (without key identifiers) those whose key verifies the signature. A certificate never appears twice in
 * one path, nor does a subject name with the same key (a loop through a re-issued certificate). Candidates come out
 * lazily, so a validator that accepts the first pays for no more search than that; two intermediates that share a
 * name and key (one expired, one not) are both tried.
 */
export class PathBuilder {
  readonly #leaf: CertificateFacts;
  readonly #anchors: readonly CertificateFacts[];
  readonly #pool: readonly CertificateFacts[];
  readonly #limits: PathBuilderLimits;
  #attempts = 0;
  /** The first dead end met, or a limit reached. */
  deadEnd: DeadEnd | undefined;

  constructor(leaf: CertificateFacts, intermediates: readonly CertificateFacts[], anchors: readonly CertificateFacts[], limits: PathBuilderLimits) {
    this.#leaf = leaf;
    this.#anchors = anchors;
    // A certificate given both as an intermediate and as an anchor is the anchor.
    this.#pool = intermediates.filter((c, i) => !anchors.some((a) => sameCert(a, c)) && intermediates.findIndex((d) => sameCert(d, c)) === i);
    this.#limits = limits;
  }

  *paths(): Generator<PathCandidate> {
    yield* this.#extend([this.#leaf]);
  }

  *#extend(chain: CertificateFacts[]): Generator<PathCandidate> {
    const current = chain[chain.length - 1] as CertificateFacts;
    const candidates = this.#issuersOf(current, chain);
    if (candidates.length === 0) {
      this.#noIssuer(current);
      return;
    }
    for (const { cert, anchor } of candidates) {
      if (++this.#attempts > this.#limits.maxAttempts) {
        this.deadEnd ??= { reason: "no-path", detail: `path building gave up after ${this.#limits.maxAttempts} candidate issuers` };
        return;
      }
      if (anchor) {
        yield { chain: [...chain], anchor: cert };
        continue;
      }
      if (chain.length >= this.#limits.maxDepth) {
        this.deadEnd ??= { reason: "no-path", detail: `no trust anchor within ${this.#limits.maxDepth} certificates` };
        continue;
      }
      chain.push(cert);
      yield* this.#extend(chain);
      chain.pop();
    }
  }

  #issuersOf(cert: CertificateFacts, chain: readonly CertificateFacts[]): { cert: CertificateFacts; anchor: boolean }[] {
    const out: { cert: CertificateFacts; anchor: boolean; rank: number }[] = [];
    const aki = cert.authorityKeyId;
    const consider = (c: CertificateFacts, anchor: boolean) => {
      const ski = c.subjectKeyId;
      // §4.2.1.2: a CA's SKI is the keyIdentifier of the AKI in what it issues; a different one is another key
      // (asked first: it is the cheap test, and it rules out most of a lab's CAs).
      if (aki !== undefined && ski !== undefined && aki !== ski) return;
      if (!issuerNameMatches(cert, c)) return;
      if (!anchor && chain.some((p) => sameCert(p, c) || (p !== this.#leaf && sameOctets(p.subjectDer, c.subjectDer) && sameOctets(p.spki, c.spki)))) return;
      out.push({ cert: c, anchor, rank: aki === undefined || ski === undefined ? 1 : 0 });
    };
    for (const a of this.#anchors) consider(a, true);
    for (const c of this.#pool) consider(c, false);
    if (out.length > 1) {
      // Between equals, the one whose key verifies the signature first (a success is cached on the facts).
      for (const o of out) if (o.rank === 1 && cert.isSignedBy(o.cert)) o.rank = 0.5;
      out.sort((x, y) => Number(y.anchor) - Number(x.anchor) || x.rank - y.rank);
    }
    return out;
  }

  #noIssuer(current: CertificateFacts): void {
    if (this.deadEnd) return;
    if (current.isSelfIssued) {
      this.deadEnd = { reason: "untrusted-root", detail: `"${current.subject}" is self-issued but not a trust anchor` };
      return;
    }
    const byKey = [...this.#anchors, ...this.#pool].find((c) => current.authorityKeyId !== undefined && c.subjectKeyId === current.authorityKeyId);
    this.deadEnd = byKey
      ? { reason: "name-chaining", detail: `"${current.subject}" names issuer "${current.issuer}" but its AKI is the key of "${byKey.subject}"` }
      : { reason: "no-path", detail: `no certificate for issuer "${current.issuer}" of "${current.subject}"` };
  }
}

/** RFC 5280 §6.1.3(a)(4) / §7.1: `cert`'s issuer name is `issuer`'s subject name (exact DER first). */
export function issuerNameMatches(cert: CertificateFacts, issuer: CertificateFacts): boolean {
  if (sameOctets(cert.issuerDer, issuer.subjectDer)) return true;
  try {
    return cert.comparableIssuer.key === issuer.comparableSubject.key;
  } catch {
    return false;
  }
}

export function sameCert(a: CertificateFacts, b: CertificateFacts): boolean {
  return a === b || sameOctets(a.der, b.der);
}
