/** The DISA Purebred emulator (docs/intune.md §1.7, §1.8, §2.1, §2.5; docs/anchors.md §5): agent-supervised derived PIV credential enrolment. */

export { NETWORK_ZONE_HEADER, type NetworkZone } from "../shared/index.js";
export {
  createPurebredEmulator,
  DEFAULT_PUREBRED_OTP_TTL_MS,
  PUREBRED_OTP_DIGITS,
  type PurebredEmulator,
  type PurebredEmulatorOptions,
} from "./emulator.js";
export { CREDENTIAL_PACKAGE_PAYLOAD, MOBILECONFIG_CONTENT_TYPE, REGISTRATION_PAYLOAD } from "./mobileconfig.js";
export type { RegistrationState, RegistrationView } from "./registration.js";
