import { randomUUID } from "node:crypto";
import { derName, derOid, derTlv } from "../der.js";
import { DpclabError } from "../errors.js";
import { CertificatePolicyExtension, ExtendedKeyUsageExtension, type Extension } from "../x509.js";
import type { CertificateAuthority, IssueRequest, RawExtension } from "./ca.js";
import { OIDS } from "./oids.js";
import {
  EKU_EMAIL,
  emailSan,
  KU_NON_REPUDIATION,
  KU_SIGN,
  keyManagementUsage,
  POLICY_HARDWARE,
  POLICY_SOFTWARE,
  pivInterimExtension,
} from "./profile-extensions.js";

/**
 * The Derived PIV Authentication certificate (docs/sp800-157.md §2, CERT-01…CERT-14; fpkilint common-ssp 2.2 ssp-10) and
 * the two S/MIME certificates an iOS derived credential may carry (DC-KEY-02 digital signature, DC-KEY-03 key
 * management). The CA stamps SKI, AKI (keyIdentifier form), AIA (http caIssuers .p7c + OCSP) and the http CRL DP
 * (CERT-05/06/07); the profile adds the rest. Build the IssueRequest here, sign it with `ca.issueDer` (fast path).
 */

/** Where the device keeps the derived key: software → .40 / common-policy, hardware → .41 / common-hardware. */
export type DerivedKeystore = "software" | "hardware";

export interface DerivedSubscriber {
  /** The cardholder's CN as on the PIV Authentication certificate. */
  commonName: string;
  /** The agency: OU under O=U.S. Government (CERT-11). */
  agency: string;
  /** rfc822Name of the S/MIME certificates. */
  email?: string;
}

export interface DerivedCertificateRequest {
  /** SubjectPublicKeyInfo, DER (from the verified device CSR, or the issuer-generated key-management key). */
  publicKey: Uint8Array;
  subscriber: DerivedSubscriber;
  keystore: DerivedKeystore;
  notBefore: Date;
  /** Default 365; at most 1096 (DC-LIFE-02: ≤3 years, LINT v2.2 max 1096 days). */
  validityDays?: number;
}

export interface DerivedPivAuthRequest extends DerivedCertificateRequest {
  /** The certificate's own UUID for the SAN (CERT-04); a fresh random one when omitted. Never the card's UUID. */
  uuid?: string;
  /** Optional EKUs CERT-03 permits beside id-kp-clientAuth (id-pkinit-KPClientAuth is always there: CERT-03a). */
  extraKeyPurposes?: ("smartcardLogon" | "pkinitClientAuth")[];
  /**
   * piv-interim (CERT-09, mandatory in the derived PIV Authentication worksheet): TRUE while the background
   * investigation is pending. Default FALSE (adjudicated), as for the lab's cardholders.
   */
  pivInterim?: boolean;
}

export const DEFAULT_DERIVED_VALIDITY_DAYS = 365;
export const MAX_DERIVED_VALIDITY_DAYS = 1096;
const DAY_MS = 86_400_000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AT_C = "2.5.4.6";
const AT_O = "2.5.4.10";
const AT_OU = "2.5.4.11";
const AT_CN = "2.5.4.3";

// Built once: issuance is benchmarked.
const POLICY_DERIVED = new CertificatePolicyExtension([OIDS.commonDerivedPivAuth], false);
const POLICY_DERIVED_HARDWARE = new CertificatePolicyExtension([OIDS.commonDerivedPivAuthHardware], false);

const ekuByPurposes = new Map<string, ExtendedKeyUsageExtension>();
/** The EKU extension for a set of purposes, built once per set (each build serialises and re-parses ASN.1). */
function derivedEku(purposes: string[]): ExtendedKeyUsageExtension {
  const key = purposes.join(",");
  let eku = ekuByPurposes.get(key);
  if (!eku) {
    eku = new ExtendedKeyUsageExtension(purposes, false);
    ekuByPurposes.set(key, eku);
  }
  return eku;
}

const SAN_OID = derOid(OIDS.subjectAltName);
const ascii = new TextEncoder();
/** subjectAltName { uniformResourceIdentifier [6] "urn:uuid:…" } written as DER: one per certificate, on the hot path. */
function uuidSan(uuid: string): RawExtension {
  return { type: OIDS.subjectAltName, rawData: derTlv(0x30, SAN_OID, derTlv(0x04, derTlv(0x30, derTlv(0x86, ascii.encode(`urn:uuid:${uuid}`))))) };
}

/** The certificate policy of a derived PIV Authentication certificate (CERT-01). */
export function derivedPivAuthPolicy(keystore: DerivedKeystore): string {
  return keystore === "hardware" ? OIDS.commonDerivedPivAuthHardware : OIDS.commonDerivedPivAuth;
}

/** Derived PIV Authentication certificate (CERT-01…CERT-14): what to sign. Returns the request and the SAN UUID. */
export function derivedPivAuthRequest(req: DerivedPivAuthRequest): { request: IssueRequest; uuid: string } {
  const uuid = (req.uuid ?? randomUUID()).toLowerCase();
  if (!UUID_RE.test(uuid)) throw new DpclabError(`not an RFC 4122 UUID: "${req.uuid}"`, "bad-uuid");
  // CERT-03a: id-pkinit-KPClientAuth always (the worksheet's "should include"), after any extra purposes asked for.
  const purposes = [...new Set([OIDS.clientAuth, ...(req.extraKeyPurposes ?? []).map((p) => OIDS[p]), OIDS.pkinitClientAuth])];
  for (const p of purposes) {
    if (p === undefined) throw new DpclabError("unknown extra key purpose (CERT-03: smartcardLogon or pkinitClientAuth)", "bad-key-purpose");
  }
  const extensions: (Extension | RawExtension)[] = [
    req.keystore === "hardware" ? POLICY_DERIVED_HARDWARE : POLICY_DERIVED,
    KU_SIGN,
    // CERT-03: non-critical, id-kp-clientAuth (+ pkinit, CERT-03a); present (CERT-03b); never serverAuth, anyEKU…
    derivedEku(purposes),
    // CERT-04: a UUID per certificate, as urn:uuid (the card's CHUID GUID is not reused).
    uuidSan(uuid),
  ];
  // CERT-09: piv-interim is mandatory in the worksheet (FIPS 201-3 BOOLEAN form).
  extensions.push(pivInterimExtension(req.pivInterim ?? false));
  return { request: baseRequest(req, extensions), uuid };
}

/** iOS S/MIME digital-signature certificate (DC-KEY-02): device key, digitalSignature + nonRepudiation, emailProtection. */
export function derivedSigningRequest(req: DerivedCertificateRequest): IssueRequest {
  return baseRequest(req, [smimePolicy(req.keystore), KU_NON_REPUDIATION, EKU_EMAIL, emailSan(req.subscriber.email)]);
}

/** iOS S/MIME key-management certificate (DC-KEY-03): keyEncipherment for RSA, keyAgreement for EC; emailProtection. */
export function derivedKeyManagementRequest(req: DerivedCertificateRequest): IssueRequest {
  const ku = keyManagementUsage(req.publicKey);
  return baseRequest(req, [smimePolicy(req.keystore), ku, EKU_EMAIL, emailSan(req.subscriber.email)]);
}

/** Issues a derived PIV Authentication certificate (DER) on the CA's fast path. */
export async function issueDerivedPivAuthCertificate(
  ca: CertificateAuthority,
  req: DerivedPivAuthRequest,
): Promise<{ der: Uint8Array<ArrayBuffer>; serialNumber: string; uuid: string }> {
  const { request, uuid } = derivedPivAuthRequest(req);
  return { ...(await ca.issueDer(request)), uuid };
}

/** The validity a derived certificate gets: notBefore + validityDays, refused past 1096 days (DC-LIFE-02). */
export function derivedValidity(notBefore: Date, validityDays = DEFAULT_DERIVED_VALIDITY_DAYS): { notBefore: Date; notAfter: Date } {
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > MAX_DERIVED_VALIDITY_DAYS) {
    throw new DpclabError(`a derived certificate is valid 1..${MAX_DERIVED_VALIDITY_DAYS} whole days (DC-LIFE-02), got ${validityDays}`, "validity-too-long");
  }
  if (!(notBefore instanceof Date) || Number.isNaN(notBefore.getTime())) throw new DpclabError("notBefore is not a date", "bad-validity");
  return { notBefore, notAfter: new Date(notBefore.getTime() + validityDays * DAY_MS) };
}

function baseRequest(req: DerivedCertificateRequest, extensions: (Extension | RawExtension)[]): IssueRequest {
  const { commonName, agency } = req.subscriber ?? {};
  if (!commonName || !agency) throw new DpclabError("a derived certificate needs the cardholder's CN and agency (CERT-11)", "bad-subject");
  // CERT-11: C=US, O=U.S. Government, OU=<agency>, CN=<cardholder CN>, in DER order.
  const subject = derName([
    [AT_C, "US"],
    [AT_O, "U.S. Government"],
    [AT_OU, agency],
    [AT_CN, commonName],
  ]);
  return { subject, publicKey: req.publicKey, ...derivedValidity(req.notBefore, req.validityDays), extensions };
}

function smimePolicy(keystore: DerivedKeystore): Extension {
  return keystore === "hardware" ? POLICY_HARDWARE : POLICY_SOFTWARE;
}
