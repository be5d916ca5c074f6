// The simulated phone lives with the issuer clients that use it (fleet/clients/simulated-device.ts); this path stays for its callers.
export { describeDevice, type SimulatedDevice } from "./clients/index.js";
