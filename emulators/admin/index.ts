export { type AdminContext, adminHandler } from "./admin-handler.js";
export { FAULT_CLIENT_HEADER, FaultInjector, type FaultKnobs, NO_FAULTS } from "./faults.js";
