// Public surface of the Intercede MyID emulator (docs/intune.md §2.3, §2.7; docs/anchors.md §5).
export { DEFAULT_REKEY_BEFORE_MS, REKEY_CHALLENGE_TTL_MS, type RekeyPoll } from "./automatic-rekey.js";
export type { DeliveredCredential } from "./credential-response.js";
export { createIntercedeEmulator, DEFAULT_QR_TTL_MS, type IntercedeEmulator, type IntercedeEmulatorOptions } from "./emulator.js";
export { MOBILE_CREDENTIAL_PROFILE, type MobileCredentialRequestView, type MobileRequestState } from "./mobile-credential-requests.js";
export { encodeQrPayload, type IntercedeQrPayload, parseQrPayload } from "./qr-payload.js";
