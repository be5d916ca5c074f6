// Public surface of the Entrust (Datacard) IdentityGuard emulator (docs/intune.md §2.2, §2.6).
export { NETWORK_ZONE_HEADER, type NetworkZone } from "../shared/index.js";
export type { Enrolment, EnrolmentState } from "./enrolment.js";
export {
  createEntrustEmulator,
  DEFAULT_PASSWORD_ATTEMPTS,
  DEFAULT_QR_TTL_MS,
  ENROL_ACTION,
  ENTRUST_CREDENTIAL_TYPE,
  type EntrustEmulator,
  type EntrustEmulatorOptions,
} from "./entrust-emulator.js";
export { type EntrustQrPayload, parseEntrustQr } from "./qr-payload.js";
