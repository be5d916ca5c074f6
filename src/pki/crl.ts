import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import { signedEnvelope } from "../der.js";
import type { CertificateAuthority } from "./ca.js";
import { OIDS } from "./oids.js";
import { type RevocationReason, revocationReasonCode } from "./revocation-reason.js";
import { serialFromHex } from "./serial.js";

export interface CrlEntry {
  /** Hex serial of the revoked certificate. */
  serialNumber: string;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface CrlOptions {
  entries: CrlEntry[];
  thisUpdate: Date;
  /** CP2.6 §4.9.7: at most 48 h after thisUpdate for SSP CAs (the caller's policy, not enforced here). */
  nextUpdate: Date;
  crlNumber: number;
}

/**
 * A v2 CRL (RFC 5280 §5) signed by the CA: AKI (keyIdentifier, §5.2.1) and cRLNumber (§5.2.3) as required,
 * a reasonCode per entry except "unspecified", which §5.3.1 says SHOULD be absent. Returns DER.
 */
export async function createCrl(ca: CertificateAuthority, options: CrlOptions): Promise<ArrayBuffer> {
  const revoked = options.entries.map((e) => {
    const code = revocationReasonCode(e.reason);
    return new asn1X509.RevokedCertificate({
      userCertificate: serialFromHex(e.serialNumber),
      revocationDate: new asn1X509.Time(e.revokedAt),
      ...(code === 0 ? {} : { crlEntryExtensions: [extension(OIDS.crlReason, AsnConvert.serialize(new asn1X509.CRLReason(code)))] }),
    });
  });
  const tbs = new asn1X509.TBSCertList({
    version: asn1X509.Version.v2,
    signature: ca.signatureAlgorithm,
    issuer: AsnConvert.parse(ca.nameDer, asn1X509.Name),
    thisUpdate: new asn1X509.Time(options.thisUpdate),
    nextUpdate: new asn1X509.Time(options.nextUpdate),
    ...(revoked.length ? { revokedCertificates: revoked } : {}),
    crlExtensions: [
      extension(
        OIDS.authorityKeyIdentifier,
        AsnConvert.serialize(new asn1X509.AuthorityKeyIdentifier({ keyIdentifier: new asn1X509.KeyIdentifier(ca.keyId) })),
      ),
      extension(OIDS.crlNumber, AsnConvert.serialize(new asn1X509.CRLNumber(options.crlNumber))),
    ],
  });
  const tbsDer = AsnConvert.serialize(tbs);
  const signature = await ca.sign(tbsDer);
  return signedEnvelope(tbsDer, AsnConvert.serialize(ca.signatureAlgorithm), signature);
}

function extension(extnID: string, value: ArrayBuffer): asn1X509.Extension {
  return new asn1X509.Extension({ extnID, critical: false, extnValue: new OctetString(value) });
}
