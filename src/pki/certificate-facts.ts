import type { KeyObject } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import type { X509Certificate } from "@peculiar/x509";
import { OIDS } from "./oids.js";
import { publicKeyFromSpki } from "./signature.js";

const factsCache = new WeakMap<X509Certificate, CertificateFacts>();

/** RFC 5280 §4.2.1.3 KeyUsage bit names, in bit order. */
export const KEY_USAGE_NAMES = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;
export type KeyUsageName = (typeof KEY_USAGE_NAMES)[number];

/**
 * What path validation and revocation checking need to know about a certificate, parsed once from its DER
 * (names as DER hex for exact RFC 5280 §7.1 comparison of our own encodings).
 */
export class CertificateFacts {
  readonly cert: X509Certificate;
  readonly asn: asn1X509.Certificate;
  readonly tbsDer: ArrayBuffer;
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly subjectHex: string;
  readonly issuerHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectKeyId?: string;
  readonly authorityKeyId?: string;
  readonly isCa: boolean;
  readonly pathLength?: number;
  /** undefined when the certificate has no keyUsage extension (any use allowed, RFC 5280 §4.2.1.3). */
  readonly keyUsage?: ReadonlySet<KeyUsageName>;
  /** undefined when the certificate has no certificatePolicies extension. */
  readonly policies?: ReadonlySet<string>;
  readonly ocspUrls: string[];
  readonly crlUrls: string[];
  #publicKey?: KeyObject;

  /** Facts are immutable per certificate: CA certificates are validated over and over, so parse each once. */
  static of(cert: X509Certificate): CertificateFacts {
    let facts = factsCache.get(cert);
    if (!facts) {
      facts = new CertificateFacts(cert);
      factsCache.set(cert, facts);
    }
    return facts;
  }

  constructor(cert: X509Certificate) {
    this.cert = cert;
    this.asn = AsnConvert.parse(cert.rawData, asn1X509.Certificate);
    const tbs = this.asn.tbsCertificate;
    this.tbsDer = this.asn.tbsCertificateRaw ?? AsnConvert.serialize(tbs);
    this.subjectDer = new Uint8Array(AsnConvert.serialize(tbs.subject));
    this.issuerDer = new Uint8Array(AsnConvert.serialize(tbs.issuer));
    this.subjectHex = Buffer.from(this.subjectDer).toString("hex");
    this.issuerHex = Buffer.from(this.issuerDer).toString("hex");
    this.notBefore = tbs.validity.notBefore.getTime();
    this.notAfter = tbs.validity.notAfter.getTime();
    let isCa = false;
    const ocspUrls: string[] = [];
    const crlUrls: string[] = [];
    for (const ext of tbs.extensions ?? []) {
      const value = ext.extnValue.buffer;
      switch (ext.extnID) {
        case OIDS.subjectKeyIdentifier:
          this.subjectKeyId = hex(AsnConvert.parse(value, asn1X509.SubjectKeyIdentifier).buffer);
          break;
        case OIDS.authorityKeyIdentifier: {
          const keyId = AsnConvert.parse(value, asn1X509.AuthorityKeyIdentifier).keyIdentifier;
          if (keyId) this.authorityKeyId = hex(keyId.buffer);
          break;
        }
        case OIDS.basicConstraints: {
          const bc = AsnConvert.parse(value, asn1X509.BasicConstraints);
          isCa = bc.cA;
          if (bc.pathLenConstraint !== undefined) this.pathLength = bc.pathLenConstraint;
          break;
        }
        case OIDS.keyUsage: {
          // asn1-x509's KeyUsageFlags: bit n of the named bit string is 1 << n, in KEY_USAGE_NAMES order.
          const flags = AsnConvert.parse(value, asn1X509.KeyUsage).toNumber();
          this.keyUsage = new Set(KEY_USAGE_NAMES.filter((_, i) => flags & (1 << i)));
          break;
        }
        case OIDS.certificatePolicies:
          this.policies = new Set(AsnConvert.parse(value, asn1X509.CertificatePolicies).map((p) => p.policyIdentifier));
          break;
        case OIDS.authorityInfoAccess:
          for (const ad of AsnConvert.parse(value, asn1X509.AuthorityInfoAccessSyntax)) {
            const uri = ad.accessLocation.uniformResourceIdentifier;
            if (ad.accessMethod === "1.3.6.1.5.5.7.48.1" && uri) ocspUrls.push(uri);
          }
          break;
        case OIDS.cRLDistributionPoints:
          for (const dp of AsnConvert.parse(value, asn1X509.CRLDistributionPoints)) {
            for (const name of dp.distributionPoint?.fullName ?? []) {
              if (name.uniformResourceIdentifier) crlUrls.push(name.uniformResourceIdentifier);
            }
          }
          break;
      }
    }
    this.isCa = isCa;
    this.ocspUrls = ocspUrls;
    this.crlUrls = crlUrls;
  }

  get publicKey(): KeyObject {
    this.#publicKey ??= publicKeyFromSpki(AsnConvert.serialize(this.asn.tbsCertificate.subjectPublicKeyInfo));
    return this.#publicKey;
  }

  get isSelfIssued(): boolean {
    return this.subjectHex === this.issuerHex;
  }

  get serialHex(): string {
    return hex(this.asn.tbsCertificate.serialNumber);
  }
}

function hex(b: ArrayBuffer | Uint8Array): string {
  return Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString("hex");
}
