export { deviceClient, NETWORK_ZONE_HEADER } from "./device-client.js";
export { enrolWithEntrust } from "./entrust-client.js";
export { JsonClient } from "./http-json.js";
export { type KioskSession, kioskLogin } from "./kiosk-login.js";
