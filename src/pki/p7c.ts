import * as cms from "@peculiar/asn1-cms";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import type { X509Certificate } from "../x509.js";
import { OIDS } from "./oids.js";

/**
 * A certs-only CMS SignedData ("degenerate" PKCS#7, RFC 5652 §5; RFC 5280 §4.2.2.1): what an AIA caIssuers .p7c
 * serves (CERT-05). No signers, no digest algorithms, eContent absent.
 */
export function certsOnlyP7c(certs: X509Certificate[]): ArrayBuffer {
  const signedData = new cms.SignedData({
    version: cms.CMSVersion.v1,
    digestAlgorithms: new cms.DigestAlgorithmIdentifiers([]),
    encapContentInfo: new cms.EncapsulatedContentInfo({ eContentType: OIDS.cmsData }),
    certificates: new cms.CertificateSet(certs.map((c) => new cms.CertificateChoices({ certificate: AsnConvert.parse(c.rawData, asn1X509.Certificate) }))),
    signerInfos: new cms.SignerInfos([]),
  });
  return AsnConvert.serialize(new cms.ContentInfo({ contentType: OIDS.cmsSignedData, content: AsnConvert.serialize(signedData) }));
}
