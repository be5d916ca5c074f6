import { derName, derOctetString, derOid, derTlv } from "../der.js";
import { DpclabError } from "../errors.js";
import { CertificatePolicyExtension, ExtendedKeyUsageExtension, type Extension, type X509Certificate } from "../x509.js";
import type { CertificateAuthority, IssueRequest, RawExtension } from "./ca.js";
import { OIDS } from "./oids.js";
import {
  ascii,
  EKU_EMAIL,
  emailSan,
  KU_NON_REPUDIATION,
  KU_SIGN,
  keyManagementUsage,
  POLICY_HARDWARE,
  POLICY_SOFTWARE,
  pivInterimExtension,
  rawSan,
} from "./profile-extensions.js";

/**
 * The four PIV Card certificates (FIPS 201-3 §4.2.2, SP 800-73-4 key references) and the card's content-signing
 * certificate, following the FPKI Common PIV profiles as encoded in fpkilint common-ssp 2.2:
 * ssp-06 PIV Authentication, ssp-07 Card Authentication, ssp-08 EE Signature, ssp-09 Key Management,
 * ssp-05 PIV Content Signing. The CA adds SKI, AKI, AIA and CDP (CERT-05/06/07 rows, identical in all five).
 */

export type CardCertificateSlot = "9A" | "9C" | "9D" | "9E";

export interface Cardholder {
  commonName: string;
  email: string;
  /** The cardholder's agency (OU under O=U.S. Government, Common CP §3.1.1). */
  organization: string;
}

export interface CardCertificateRequest {
  slot: CardCertificateSlot;
  /** DER SubjectPublicKeyInfo of the key generated on the card for this slot. */
  publicKey: Uint8Array;
  cardholder: Cardholder;
  /** The CHUID FASC-N, 25 bytes, carried opaque. */
  fascn: Uint8Array;
  /** The CHUID GUID as an RFC 4122 string. */
  cardUuid: string;
  notBefore: Date;
  notAfter: Date;
  /** The card's expiration date; certificates never outlive it (FIPS 201-3 §4.2.2.1). */
  cardExpiry?: Date;
  /** Keys generated on the card (always, for a PIV Card): 9C/9D assert id-fpki-common-hardware, else -policy. */
  hardwareKey?: boolean;
  /** piv-interim (2.16.840.1.101.3.6.9.1): TRUE while the background investigation is pending (CERT-09). */
  pivInterim?: boolean;
}

export interface ContentSigningRequest {
  publicKey: Uint8Array;
  /** Bare CN, or a full DN string in DER order. */
  commonName: string;
  notBefore: Date;
  notAfter: Date;
}

// Extensions that are the same for every certificate of a kind: built once (issuance is benchmarked).
const POLICY = (oid: string) => new CertificatePolicyExtension([oid], false);
const POLICY_PIV_AUTH = POLICY(OIDS.commonAuthentication);
const POLICY_CARD_AUTH = POLICY(OIDS.commonCardAuth);
const POLICY_CONTENT_SIGNING = POLICY(OIDS.commonPivContentSigning);
// ssp-06: EKU present, non-critical; clientAuth, smartcardLogon and pkinit-KPClientAuth are the permitted purposes.
const EKU_PIV_AUTH = new ExtendedKeyUsageExtension([OIDS.clientAuth, OIDS.smartcardLogon, OIDS.pkinitClientAuth], false);
// ssp-07: EKU required and critical, id-PIV-cardAuth only.
const EKU_CARD_AUTH = new ExtendedKeyUsageExtension([OIDS.pivCardAuth], true);
// ssp-05: id-PIV-content-signing required; criticality optional, left non-critical.
const EKU_CONTENT_SIGNING = new ExtendedKeyUsageExtension([OIDS.pivContentSigning], false);

// X.520 attribute types
const AT_C = "2.5.4.6";
const AT_O = "2.5.4.10";
const AT_OU = "2.5.4.11";
const AT_CN = "2.5.4.3";
const AT_SERIAL_NUMBER = "2.5.4.5";
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function issueCardCertificate(ca: CertificateAuthority, req: CardCertificateRequest): Promise<X509Certificate> {
  return ca.issue(cardCertificateRequest(req));
}

/**
 * The profile half of issueCardCertificate: what to sign. For bulk issuance, `ca.issueDer(cardCertificateRequest(r))`
 * skips parsing the result back into an X509Certificate.
 */
export function cardCertificateRequest(req: CardCertificateRequest): IssueRequest {
  if (!(req.fascn instanceof Uint8Array) || req.fascn.length !== 25) {
    throw new DpclabError(`a FASC-N is 25 bytes (SP 800-73-4 CHUID tag 0x30), got ${req.fascn?.length ?? 0}`, "bad-fascn");
  }
  if (!UUID_RE.test(req.cardUuid)) throw new DpclabError(`card UUID is not an RFC 4122 UUID: "${req.cardUuid}"`, "bad-uuid");
  if (req.cardExpiry && req.notAfter.getTime() > req.cardExpiry.getTime()) {
    throw new DpclabError(
      `certificate notAfter ${req.notAfter.toISOString()} is after the card's expiry ${req.cardExpiry.toISOString()} (FIPS 201-3 §4.2.2.1)`,
      "cert-outlives-card",
    );
  }
  const { cardholder } = req;
  // Common CP §3.1.1 name form, written straight to DER (DER order: C first).
  const personName = derName([
    [AT_C, "US"],
    [AT_O, "U.S. Government"],
    [AT_OU, cardholder.organization],
    [AT_CN, cardholder.commonName],
  ]);
  const interim = req.pivInterim === undefined ? [] : [pivInterimExtension(req.pivInterim)];
  const hardware = req.hardwareKey ?? true;
  let subject: Uint8Array;
  let extensions: (Extension | RawExtension)[];
  switch (req.slot) {
    case "9A": // PIV Authentication (ssp-06): policy .13, KU digitalSignature, SAN FASC-N + urn:uuid
      subject = personName;
      extensions = [POLICY_PIV_AUTH, KU_SIGN, EKU_PIV_AUTH, cardSan(req.fascn, req.cardUuid), ...interim];
      break;
    case "9E": // Card Authentication (ssp-07): no cardholder name in the subject: serialNumber = card UUID
      subject = derName([
        [AT_C, "US"],
        [AT_O, "U.S. Government"],
        [AT_OU, cardholder.organization],
        [AT_SERIAL_NUMBER, req.cardUuid.toLowerCase()],
      ]);
      extensions = [POLICY_CARD_AUTH, KU_SIGN, EKU_CARD_AUTH, cardSan(req.fascn, req.cardUuid), ...interim];
      break;
    case "9C": // Digital Signature (ssp-08): KU digitalSignature + nonRepudiation, SAN rfc822Name
      subject = personName;
      extensions = [hardware ? POLICY_HARDWARE : POLICY_SOFTWARE, KU_NON_REPUDIATION, EKU_EMAIL, emailSan(cardholder.email), ...interim];
      break;
    case "9D": // Key Management (ssp-09): keyEncipherment for RSA, keyAgreement for EC
      subject = personName;
      extensions = [hardware ? POLICY_HARDWARE : POLICY_SOFTWARE, keyManagementUsage(req.publicKey), emailSan(cardholder.email), ...interim];
      break;
    default:
      throw new DpclabError(`unknown PIV key slot "${String(req.slot)}" (9A, 9C, 9D or 9E)`, "bad-slot");
  }
  return { subject, publicKey: req.publicKey, notBefore: req.notBefore, notAfter: req.notAfter, extensions };
}

/** The PIV content signer (ssp-05): signs the CHUID and Security Object; policy .39, EKU id-PIV-content-signing. */
export async function issueContentSigningCertificate(ca: CertificateAuthority, req: ContentSigningRequest): Promise<X509Certificate> {
  const subject = req.commonName.includes("=")
    ? req.commonName
    : derName([
        [AT_C, "US"],
        [AT_O, "U.S. Government"],
        [AT_CN, req.commonName],
      ]);
  return ca.issue({
    subject,
    publicKey: req.publicKey,
    notBefore: req.notBefore,
    notAfter: req.notAfter,
    extensions: [POLICY_CONTENT_SIGNING, KU_SIGN, EKU_CONTENT_SIGNING],
  });
}

/** SAN of 9A/9E: FASC-N otherName (OCTET STRING, FIPS 201-3 §4.2.2) and the card UUID as urn:uuid (RFC 4122 §3). */
function cardSan(fascn: Uint8Array, cardUuid: string): RawExtension {
  // otherName [0] IMPLICIT SEQUENCE { type-id, value [0] EXPLICIT OCTET STRING }, uniformResourceIdentifier [6] IA5String
  return rawSan([derTlv(0xa0, FASCN_OID, derTlv(0xa0, derOctetString(fascn))), derTlv(0x86, ascii(`urn:uuid:${cardUuid.toLowerCase()}`))]);
}

const FASCN_OID = derOid(OIDS.pivFascN);
