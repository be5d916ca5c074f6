export { deviceClient } from "./device-client.js";
export { enrolWithEntrust } from "./entrust-client.js";
export { JsonClient } from "./http-json.js";
export { enrolWithIntercede, rekeyWithIntercede } from "./intercede-client.js";
export { type KeepAliveFetch, keepAliveFetch } from "./keep-alive-fetch.js";
export { type KioskSession, kioskLogin } from "./kiosk-login.js";
export { enrolWithPurebred, PurebredAgentConsole, PurebredDeviceApp, recoverPurebredKey, registerWithPurebredAgent } from "./purebred-client.js";
