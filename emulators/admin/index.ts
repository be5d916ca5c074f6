export { type AdminContext, adminHandler } from "./admin-handler.js";
export { FaultInjector, type FaultKnobs, NO_FAULTS } from "./faults.js";
