export { deviceClient } from "./device-client.js";
export type { EnrolmentInput, EnrolmentResult, EnrolmentStep } from "./enrolment-input.js";
export { type EnrolWithEntrustOptions, enrolWithEntrust } from "./entrust-client.js";
export { JsonClient } from "./http-json.js";
export { enrolWithIntercede, type IntercedeCredential, type RekeyWithIntercedeInput, rekeyWithIntercede } from "./intercede-client.js";
export { type KeepAliveFetch, keepAliveFetch } from "./keep-alive-fetch.js";
export { type KioskSession, kioskLogin } from "./kiosk-login.js";
export {
  enrolWithPurebred,
  PurebredAgentConsole,
  PurebredDeviceApp,
  type RegistrationAgent,
  recoverPurebredKey,
  registerWithPurebredAgent,
} from "./purebred-client.js";
export { describeDevice, type SimulatedDevice } from "./simulated-device.js";
