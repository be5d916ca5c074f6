// Public surface of src/pki: certificates, profiles, CRL/OCSP and path validation for the test PKI.
import "./crypto.js";

export * from "./algorithms.js";
export type { CaOptions, ExportedCa, IssueRequest, IssuerPublication, SubordinateCaOptions } from "./ca.js";
export { CertificateAuthority, DEFAULT_CA_POLICIES } from "./ca.js";
export type { CardCertificateRequest, CardCertificateSlot, Cardholder, ContentSigningRequest } from "./card-certificates.js";
export { cardCertificateRequest, issueCardCertificate, issueContentSigningCertificate } from "./card-certificates.js";
export type { CertificateInput, KeyUsageName, RawCertificateExtension, SubjectAltNames } from "./certificate-facts.js";
export { CertificateFacts, distinguishedNameText, KEY_USAGE_NAMES } from "./certificate-facts.js";
export type { CrlEntry, CrlOptions, IdpOptions, RawCrlExtension, ReasonFlagName } from "./crl.js";
export { createCrl } from "./crl.js";
export type { CrlLookup, CrlProcessingOptions, CrlSetOptions, CrlSource } from "./crl-checker.js";
export { createCrlSetChecker, crlStatus } from "./crl-checker.js";
export type { CrlEntryFacts, IssuingDistributionPoint } from "./crl-facts.js";
export { CrlFacts } from "./crl-facts.js";
export type { CsrInput, VerifiedCsr } from "./csr.js";
export { createCsr, createCsrWithKey, derEcdsaSignature, verifyCsr } from "./csr.js";
export type { DerivedCertificateRequest, DerivedKeystore, DerivedPivAuthRequest, DerivedSubscriber } from "./derived-certificates.js";
export {
  DEFAULT_DERIVED_VALIDITY_DAYS,
  derivedKeyManagementRequest,
  derivedPivAuthPolicy,
  derivedPivAuthRequest,
  derivedSigningRequest,
  derivedValidity,
  issueDerivedPivAuthCertificate,
  MAX_DERIVED_VALIDITY_DAYS,
} from "./derived-certificates.js";
export { exportSpki, generateKeyPair, generateKeyPairDer, generateSigningKey, importPrivateKey } from "./keys.js";
export type { ComparableName } from "./name-compare.js";
export { comparableName, namesMatch } from "./name-compare.js";
export type { GeneralName, GeneralNameForm, NameConstraints } from "./name-constraints.js";
export type { CertStatus, OcspResponder, OcspResponderOptions, OcspResult } from "./ocsp.js";
export { createOcspRequest, newOcspNonce, ocspResponseStatus, readOcspResponse, respondToOcsp } from "./ocsp.js";
export { OIDS, POLICY_NAMES } from "./oids.js";
export { certsOnlyP7c } from "./p7c.js";
export type {
  PathFailureReason,
  PathValidationInput,
  PathValidationResult,
  RevocationOutcome,
  RevocationSummary,
} from "./path-validation.js";
export { validatePath } from "./path-validation.js";
export { fromPem, toPem } from "./pem.js";
export type { PolicyConstraints, PolicyMappings } from "./policy-extensions.js";
export type { HttpRevocationOptions, RevocationCheck, RevocationChecker, RevocationContext } from "./revocation.js";
export { CaStatusCache, createHttpRevocationChecker } from "./revocation.js";
export type { RevocationReason } from "./revocation-reason.js";
export {
  parseRevocationReason,
  REVOCATION_REASONS,
  revocationReasonCode,
  revocationReasonFromCode,
} from "./revocation-reason.js";
export { normalizeSerialHex } from "./serial.js";
export { algorithmDer, publicKeyFromSpki, verifyData } from "./signature.js";
