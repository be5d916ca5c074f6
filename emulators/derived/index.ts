// Public surface of the derived-credential issuance core shared by the Purebred, Entrust and Intercede emulators.
export { ApplicantAuthenticator, type ApplicantAuthenticatorOptions, type PkiAuthChallenge, type PkiAuthSubmission } from "./applicant-auth.js";
export { DEFECT_NAMES, DEFECTS, type DefectName, type Defects, isDefectName, NO_DEFECTS, parseDefect } from "./defects.js";
export { ExpiringMap, type ExpiringMapOptions } from "./expiring-map.js";
export { DerivedIssuance, type DerivedIssuanceOptions, type DueCheckSummary, type IssueInput, type IssueResult } from "./issuance.js";
export { createIssuerAuthority, type IssuerAuthorityOptions, issuerCaName } from "./issuer-ca.js";
export { kioskRoutes, kioskSession } from "./kiosk-routes.js";
export {
  DEFAULT_SECRET_TTL_MS,
  type IssuedSecret,
  OneTimeSecrets,
  type OneTimeSecretsOptions,
  type SecretKind,
  TooManyAttemptsError,
} from "./one-time-secrets.js";
export { issuerPublicOrigin } from "./public-url.js";
export * from "./types.js";
