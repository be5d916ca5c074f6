export { HardwareKeystore } from "./hardware-keystore.js";
export type { DeviceKey, Keystore } from "./keystore.js";
export { SoftwareKeystore } from "./software-keystore.js";
