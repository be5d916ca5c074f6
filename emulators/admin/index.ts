export { type AdminContext, adminHandler } from "./admin-handler.js";
export { ADMIN_TOKEN_ENV, adminToken, isAdminPath, requireAdminToken } from "./admin-token.js";
export { FAULT_CLIENT_HEADER, FaultInjector, type FaultKnobs, NO_FAULTS } from "./faults.js";
