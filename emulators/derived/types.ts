import type { CertificateFacts } from "../../src/pki/index.js";
import type { PivIdentityAccount } from "../piv-ca/index.js";
import type { KeystoreKind, Platform } from "../shared/index.js";

/**
 * Shared vocabulary of the derived-credential issuers (DISA Purebred, Entrust, Intercede) and of the tenant that
 * consumes their credentials. Rule IDs are those of docs/sp800-157.md; issuer names are the
 * Graph enum values of docs/intune.md §3.1 where they exist.
 */
export type IssuerName = "purebred" | "entrust" | "intercede";

/** The Graph `deviceManagementDerivedCredentialIssuer` value of each issuer (docs/intune.md §3.1). */
export const GRAPH_ISSUER: Record<IssuerName, "purebred" | "entrustDatacard" | "intercede"> = {
  purebred: "purebred",
  entrust: "entrustDatacard",
  intercede: "intercede",
};

/** The device as the issuers' wire format carries it (one parser for every issuer: ../shared/wire-format.ts). */
export type { DeviceDescriptor, KeystoreKind, Platform } from "../shared/index.js";

/** The applicant an issuer is about to issue to: the user the device must belong to (DC-ISS-02, DC-LNK-01). */
export interface Applicant {
  /** The PIV identity account's user principal name (its email). */
  userPrincipalName: string;
}

/**
 * Asks the tenant (the MDM) whether a device is enrolled and approved for derived credentials (DC-ISS-02); with an
 * applicant, also whether the device is that applicant's: one cardholder's kiosk session never yields a credential
 * for another user's device.
 */
export interface DeviceApprover {
  isApproved(deviceId: string, applicant?: Applicant): { approved: true } | { approved: false; reason: string };
}

/** What an issuer's records say about a derived PIV Authentication certificate it issued. */
export interface IssuedCredentialFacts {
  /** The managed device it was issued to. */
  deviceId: string;
  /** The applicant's user principal name (the identity account's email). */
  userPrincipalName: string;
  status: CredentialStatus;
  /** Base64 DER, exactly as issued. */
  certificate: string;
}

/**
 * The tenant's connection to its issuer: Intune learns of a derived credential from the issuer, never from a device's
 * say-so, so every credential a device reports is checked against the issuer's CA and the issuer's own record.
 */
export interface IssuedCredentialLookup {
  /** The CA that signs every derived credential of this issuer. */
  readonly caCertificate: CertificateFacts;
  /** The issuer's record of the PIV Authentication certificate with this serial (lowercase hex), if it issued one. */
  issuedCredential(serialNumber: string): IssuedCredentialFacts | undefined;
}

/** The cardholder notices (DC-ISS-09) live with the outbox that keeps them. */
export type { CardholderNotice, CardholderNotifier } from "../shared/index.js";

/** One line of an enrolment or lifecycle transcript, for the conformance checker to judge later. */
export interface TranscriptEvent {
  at: string;
  /** e.g. "pki-auth.verified", "account.checked", "csr.pop-verified", "certificate.issued", "recheck.done". */
  event: string;
  /** Rule IDs this event is evidence for, e.g. ["DC-ISS-04"]. */
  rules?: string[];
  detail?: Record<string, unknown>;
}

/** The result of a kiosk PKI-AUTH done for an issuer (DC-ISS-04), with the copy of the PIV Auth certificate (DC-ISS-05). */
export interface ApplicantSession {
  id: string;
  cardIndex: number;
  account: PivIdentityAccount;
  /** Parsed from DER once at the kiosk (serialNumber, subject, notAfter, rawData read as on an X509Certificate). */
  pivAuthCertificate: CertificateFacts;
  authenticatedAt: Date;
}

export type CredentialStatus = "active" | "revoked";

/** A derived PIV credential as the issuer records it. */
export interface DerivedCredentialRecord {
  id: string;
  issuer: IssuerName;
  cardIndex: number;
  deviceId: string;
  platform: Platform;
  keystore: KeystoreKind;
  /** Derived PIV Authentication certificate (DER, base64) and its serial (hex). */
  pivAuth: { certificate: string; serialNumber: string };
  /** iOS S/MIME: digital-signature certificate (device key, never escrowed) and key-management certificate (issuer key, escrowed, DC-KEY-03). */
  smime?: { signing: { certificate: string; serialNumber: string }; encryption: { certificate: string; serialNumber: string } };
  /** SHA-256 of the derived PIV Auth SubjectPublicKeyInfo: a new credential must have a new key (DC-MNT-06). */
  publicKeySha256: string;
  issuedAt: string;
  notAfter: string;
  status: CredentialStatus;
  revokedAt?: string;
  revocationReason?: string;
  /** When the DC-ISS-06 seven-day recheck of the PIV Auth certificate is due / was done. */
  recheckDueAt: string;
  recheckDoneAt?: string;
  transcript: TranscriptEvent[];
  /** The copy of the applicant's PIV Authentication certificate kept at issuance (DC-ISS-05), rechecked by DC-ISS-06. */
  applicantPivAuth?: { certificate: string; serialNumber: string };
  /** Whether the issuer holds an escrowed copy of the S/MIME key-management key (DC-KEY-03). */
  escrowedKeyManagementKey?: boolean;
}
