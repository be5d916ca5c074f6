import type { CertStatus, RevocationReason } from "../../src/pki/index.js";

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

/**
 * The issued/revoked book of one CA, keyed by lower-case hex serial. OCSP answers "unknown" for serials it never
 * issued (RFC 6960 §2.2), so issuance is recorded, not only revocation.
 */
export class CertificateRegistry {
  #state: CertificateRegistryState;

  constructor(state?: CertificateRegistryState) {
    this.#state = state ?? { issued: {}, revoked: {}, crlNumber: 0 };
  }

  record(serialHex: string, record: IssuedRecord): void {
    this.#state.issued[serialHex.toLowerCase()] = record;
  }

  /** Revokes once; a second revocation keeps the first date and reason (RFC 5280 §5.3.1 semantics). Returns false if already revoked. */
  revoke(serialHex: string, at: Date, reason: RevocationReason): boolean {
    const key = serialHex.toLowerCase();
    if (!this.#state.issued[key]) throw new RangeError(`serial ${serialHex} was not issued by this CA`);
    if (this.#state.revoked[key]) return false;
    this.#state.revoked[key] = { revokedAt: at.toISOString(), reason };
    this.#state.crlNumber++;
    return true;
  }

  status(serialHex: string): CertStatus {
    const key = serialHex.toLowerCase();
    const revoked = this.#state.revoked[key];
    if (revoked) return { status: "revoked", revokedAt: new Date(revoked.revokedAt), reason: revoked.reason };
    return this.#state.issued[key] ? { status: "good" } : { status: "unknown" };
  }

  issued(serialHex: string): IssuedRecord | undefined {
    return this.#state.issued[serialHex.toLowerCase()];
  }

  revokedEntries(): { serialNumber: string; revokedAt: Date; reason: RevocationReason }[] {
    return Object.entries(this.#state.revoked).map(([serialNumber, r]) => ({ serialNumber, revokedAt: new Date(r.revokedAt), reason: r.reason }));
  }

  get crlNumber(): number {
    return this.#state.crlNumber;
  }

  /** Replaces the whole book with a saved one (another process changed it). */
  replace(state: CertificateRegistryState | undefined): void {
    if (state) this.#state = state;
  }

  toJSON(): CertificateRegistryState {
    return this.#state;
  }
}
