import { type CertStatus, REVOCATION_REASONS, type RevocationReason } from "../../src/pki/index.js";
import { integer, object, oneOf, recordOf, type Shape, string } from "../../src/store/index.js";

/** What an issuing CA remembers of a certificate it issued: enough for OCSP, CRLs and audits. */
export interface IssuedRecord {
  subject: string;
  notAfter: string;
  /** What the certificate belongs to, e.g. "card:3/9A" or "dc:<id>", for lifecycle look-ups. */
  ref: string;
}

export interface RevokedRecord {
  revokedAt: string;
  reason: RevocationReason;
}

export interface CertificateRegistryState {
  issued: Record<string, IssuedRecord>;
  revoked: Record<string, RevokedRecord>;
  crlNumber: number;
}

/** The saved form of a registry (part of piv-ca/state.json), checked on every read. */
export const certificateRegistryShape: Shape<CertificateRegistryState> = object<CertificateRegistryState>({
  issued: recordOf(object<IssuedRecord>({ subject: string, notAfter: string, ref: string })),
  revoked: recordOf(object<RevokedRecord>({ revokedAt: string, reason: oneOf(...(Object.keys(REVOCATION_REASONS) as RevocationReason[])) })),
  crlNumber: integer(0),
});

/**
 * The issued/revoked book of one CA, keyed by lower-case hex serial. OCSP answers "unknown" for serials it never
 * issued (RFC 6960 §2.2), so issuance is recorded, not only revocation. Serials come from outside (OCSP requests,
 * URLs), so the book is Maps, never plain-object keys.
 *
 * Several processes keep a copy of the same book (`dpclab serve`, `dpclab cards revoke`, …). The book only grows
 * (a certificate is issued once, revoked once, never un-revoked), so copies are reconciled by union (`merge`), never
 * by replacing one with the other: no writer loses another's revocation (issue 10 item 4).
 */
export class CertificateRegistry {
  readonly #issued = new Map<string, IssuedRecord>();
  readonly #revoked = new Map<string, RevokedRecord>();
  #crlNumber = 0;
  /** Called before every read, so the owner can pick up what another process saved (a stat when nothing changed). */
  #refresh: () => void = () => {};

  constructor(state?: CertificateRegistryState) {
    if (state) this.merge(state);
  }

  /** Has `refresh` run before every read of this book (CardIssuer re-checks piv-ca/state.json). */
  onRead(refresh: () => void): void {
    this.#refresh = refresh;
  }

  record(serialHex: string, record: IssuedRecord): void {
    this.#issued.set(serialHex.toLowerCase(), record);
  }

  /** Revokes once; a second revocation keeps the first date and reason (RFC 5280 §5.3.1 semantics). Returns false if already revoked. */
  revoke(serialHex: string, at: Date, reason: RevocationReason): boolean {
    this.#refresh(); // another process may have revoked it already: keep its date and reason
    const key = serialHex.toLowerCase();
    if (!this.#issued.has(key)) throw new RangeError(`serial ${serialHex} was not issued by this CA`);
    if (this.#revoked.has(key)) return false;
    this.#revoked.set(key, { revokedAt: at.toISOString(), reason });
    this.#crlNumber++;
    return true;
  }

  status(serialHex: string): CertStatus {
    this.#refresh();
    const key = serialHex.toLowerCase();
    const revoked = this.#revoked.get(key);
    if (revoked) return { status: "revoked", revokedAt: new Date(revoked.revokedAt), reason: revoked.reason };
    return this.#issued.has(key) ? { status: "good" } : { status: "unknown" };
  }

  issued(serialHex: string): IssuedRecord | undefined {
    this.#refresh();
    return this.#issued.get(serialHex.toLowerCase());
  }

  revokedEntries(): { serialNumber: string; revokedAt: Date; reason: RevocationReason }[] {
    this.#refresh();
    return [...this.#revoked].map(([serialNumber, r]) => ({ serialNumber, revokedAt: new Date(r.revokedAt), reason: r.reason }));
  }

  get crlNumber(): number {
    this.#refresh();
    return this.#crlNumber;
  }

  /**
   * Takes in a copy another writer saved: the union of both books. A serial revoked in both keeps the saved
   * revocation (the first one made public). The CRL number stays above both copies' and counts every revocation
   * the other copy lacked, so each CRL content change gets a higher number (RFC 5280 §5.2.3).
   */
  merge(saved: CertificateRegistryState): void {
    for (const [serial, record] of Object.entries(saved.issued)) if (!this.#issued.has(serial)) this.#issued.set(serial, record);
    let onlyHere = 0;
    for (const serial of this.#revoked.keys()) if (!Object.hasOwn(saved.revoked, serial)) onlyHere++;
    for (const [serial, record] of Object.entries(saved.revoked)) this.#revoked.set(serial, record);
    this.#crlNumber = Math.max(this.#crlNumber, saved.crlNumber + onlyHere);
  }

  toJSON(): CertificateRegistryState {
    const issued = Object.create(null) as Record<string, IssuedRecord>;
    for (const [k, v] of this.#issued) issued[k] = v;
    const revoked = Object.create(null) as Record<string, RevokedRecord>;
    for (const [k, v] of this.#revoked) revoked[k] = v;
    return { issued, revoked, crlNumber: this.#crlNumber };
  }
}
