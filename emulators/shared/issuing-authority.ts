import type { Clock } from "../../src/clock.js";
import { type CertificateAuthority, type CertStatus, certsOnlyP7c, createCrl, type RevocationReason, respondToOcsp } from "../../src/pki/index.js";
import type { X509Certificate } from "../../src/x509.js";
import { CertificateRegistry, type CertificateRegistryState } from "./certificate-registry.js";

/** CRLs are reissued at least this often (CP2.6 §4.9.7: every ≤18 h, nextUpdate ≤48 h). */
const CRL_NEXT_UPDATE_MS = 48 * 3_600_000;
const CRL_REISSUE_MS = 18 * 3_600_000;

/**
 * A CA as an emulator runs it: the signing CA, its issued/revoked book, and what it publishes (CRL, OCSP, the
 * caIssuers .p7c). Every emulator (card issuer, Purebred, Entrust, Intercede) holds one or more of these.
 */
export class IssuingAuthority {
  readonly registry: CertificateRegistry;
  #crl?: { der: ArrayBuffer; number: number; issuedAt: number };
  #p7c?: ArrayBuffer;

  constructor(
    /** Short name used in publication URLs, e.g. "piv-ca". */
    readonly name: string,
    readonly ca: CertificateAuthority,
    private readonly clock: Clock,
    registry?: CertificateRegistryState,
  ) {
    this.registry = new CertificateRegistry(registry);
  }

  get certificate(): X509Certificate {
    return this.ca.certificate;
  }

  /** Records a certificate this CA has just issued. */
  record(cert: X509Certificate, ref: string): void {
    this.registry.record(cert.serialNumber, { subject: cert.subject, notAfter: cert.notAfter.toISOString(), ref });
  }

  revoke(serialHex: string, reason: RevocationReason): boolean {
    return this.registry.revoke(serialHex, this.clock.now(), reason);
  }

  status(serialHex: string): CertStatus {
    return this.registry.status(serialHex);
  }

  /** The current DER CRL; re-signed only when a revocation happened or the last one is getting old. */
  async crl(): Promise<ArrayBuffer> {
    const now = this.clock.now();
    const cached = this.#crl;
    if (cached && cached.number === this.registry.crlNumber && now.getTime() - cached.issuedAt < CRL_REISSUE_MS && now.getTime() >= cached.issuedAt) {
      return cached.der;
    }
    const der = await createCrl(this.ca, {
      entries: this.registry.revokedEntries(),
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + CRL_NEXT_UPDATE_MS),
      crlNumber: this.registry.crlNumber,
    });
    this.#crl = { der, number: this.registry.crlNumber, issuedAt: now.getTime() };
    return der;
  }

  /** The certs-only CMS served at the caIssuers URL of the certificates this CA issues (CERT-05). */
  p7c(): ArrayBuffer {
    this.#p7c ??= certsOnlyP7c([this.ca.certificate]);
    return this.#p7c;
  }

  ocsp(requestDer: Uint8Array): Promise<ArrayBuffer> {
    return respondToOcsp(requestDer, { ca: this.ca, status: (serial) => this.registry.status(serial) }, this.clock.now());
  }
}
