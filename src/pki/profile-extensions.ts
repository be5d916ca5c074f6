import { DerError, derChildren, derExpect, derNode, derOctetString, derOid, derOidText, derSequence, derTlv } from "../der.js";
import { DpclabError } from "../errors.js";
import { CertificatePolicyExtension, ExtendedKeyUsageExtension, Extension, KeyUsageFlags, KeyUsagesExtension } from "../x509.js";
import type { RawExtension } from "./ca.js";
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

/** SAN with the subscriber's rfc822Name, which S/MIME certificates need; written as DER directly. */
export function emailSan(email: string | undefined): RawExtension {
  if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) throw new DpclabError(`an S/MIME certificate needs an e-mail address, got "${email ?? ""}"`, "bad-email");
  return rawSan([derTlv(0x81, ascii(email))]); // rfc822Name [1] IMPLICIT IA5String
}

/** A non-critical subjectAltName Extension from encoded GeneralName elements (the DER asn1-schema writes). */
export function rawSan(generalNames: Uint8Array[]): RawExtension {
  return { type: OIDS.subjectAltName, rawData: derSequence(SAN_OID, derOctetString(derSequence(...generalNames))) };
}

/** IA5String content as a GeneralName carries it (one octet per character, as asn1js writes it). */
export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

const SAN_OID = derOid(OIDS.subjectAltName);

const PIV_INTERIM_TRUE = new Extension(OIDS.pivInterim, false, Uint8Array.of(0x01, 0x01, 0xff));
const PIV_INTERIM_FALSE = new Extension(OIDS.pivInterim, false, Uint8Array.of(0x01, 0x01, 0x00));
/**
 * piv-interim (id-piv-NACI 2.16.840.1.101.3.6.9.1, CERT-09), non-critical, in the FIPS 201-3 Appendix B.2 form:
 * NACI-indicator ::= BOOLEAN (as GSA's test cards carry it). The conformance checker also accepts the older
 * SEQUENCE { interim_indicator BOOLEAN } seen in practice. Built once: issuance is benchmarked.
 */
export function pivInterimExtension(interim: boolean): Extension {
  return interim ? PIV_INTERIM_TRUE : PIV_INTERIM_FALSE;
}

/** Key-management certificates use keyEncipherment for RSA keys, keyAgreement for EC keys. */
export function keyManagementUsage(spki: Uint8Array): KeyUsagesExtension {
  let rsa: boolean;
  try {
    // SubjectPublicKeyInfo ::= SEQUENCE { algorithm SEQUENCE { OID, … }, subjectPublicKey BIT STRING }
    const outer = derExpect(spki, 0, spki.length, 0x30, "SubjectPublicKeyInfo");
    const [algorithm, key] = derChildren(spki, outer);
    if (outer.end !== spki.length || algorithm?.tag !== 0x30 || key?.tag !== 0x03) throw new DerError("not an SPKI");
    rsa = derOidText(spki, derNode(spki, algorithm.body, algorithm.end)) === OIDS.rsaEncryption;
  } catch {
    throw new DpclabError("publicKey is not a DER SubjectPublicKeyInfo", "bad-public-key");
  }
  return rsa ? KU_KEY_ENCIPHERMENT : KU_KEY_AGREEMENT;
}
