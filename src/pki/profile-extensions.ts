import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import { CertificatePolicyExtension, ExtendedKeyUsageExtension, Extension, KeyUsageFlags, KeyUsagesExtension } from "@peculiar/x509";
import { DpclabError } from "../errors.js";
import { OIDS } from "./oids.js";

/**
 * Extensions shared by the PIV card profiles (FIPS 201-3, FPKI worksheets) and the derived PIV profiles (CERT-*).
 * Those that never vary are built once: issuance is benchmarked.
 */
export const KU_SIGN = new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true); // CERT-02
export const KU_NON_REPUDIATION = new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation, true);
export const KU_KEY_ENCIPHERMENT = new KeyUsagesExtension(KeyUsageFlags.keyEncipherment, true);
export const KU_KEY_AGREEMENT = new KeyUsagesExtension(KeyUsageFlags.keyAgreement, true);
export const policyExtension = (oid: string) => new CertificatePolicyExtension([oid], false);
export const POLICY_SOFTWARE = policyExtension(OIDS.commonPolicy);
export const POLICY_HARDWARE = policyExtension(OIDS.commonHardware);
// emailProtection: the allowed purpose of signing and key-management certificates for S/MIME.
export const EKU_EMAIL = new ExtendedKeyUsageExtension([OIDS.emailProtection], false);

const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";

export function sanExtension(names: asn1X509.GeneralName[]): Extension {
  return new Extension(OIDS.subjectAltName, false, AsnConvert.serialize(new asn1X509.SubjectAlternativeName(names)));
}

/** SAN with the subscriber's rfc822Name, which S/MIME certificates need. */
export function emailSan(email: string | undefined): Extension {
  if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) throw new DpclabError(`an S/MIME certificate needs an e-mail address, got "${email ?? ""}"`, "bad-email");
  return sanExtension([new asn1X509.GeneralName({ rfc822Name: email })]);
}

/** piv-interim (2.16.840.1.101.3.6.9.1, CERT-09): PIVInterim ::= SEQUENCE { interim_indicator BOOLEAN }. */
export function pivInterimExtension(interim: boolean): Extension {
  return new Extension(OIDS.pivInterim, false, Uint8Array.of(0x30, 0x03, 0x01, 0x01, interim ? 0xff : 0x00));
}

/** Key-management certificates use keyEncipherment for RSA keys, keyAgreement for EC keys. */
export function keyManagementUsage(spki: Uint8Array): KeyUsagesExtension {
  let rsa: boolean;
  try {
    rsa = AsnConvert.parse(spki, asn1X509.SubjectPublicKeyInfo).algorithm.algorithm === RSA_ENCRYPTION;
  } catch {
    throw new DpclabError("publicKey is not a DER SubjectPublicKeyInfo", "bad-public-key");
  }
  return rsa ? KU_KEY_ENCIPHERMENT : KU_KEY_AGREEMENT;
}
