export { JsonClient } from "./http-json.js";
export { type KioskSession, kioskLogin } from "./kiosk-login.js";
