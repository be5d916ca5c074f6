export { type AdminContext, adminHandler } from "./admin-handler.js";
export { ADMIN_TOKEN_ENV, adminToken, isAdminPath, requireAdminToken } from "./admin-token.js";
export { SETTING_REFRESH_MS } from "./cached-setting.js";
export { FAULT_CLIENT_HEADER, FaultInjector, type FaultInjectorOptions, type FaultKnobs, NO_FAULTS } from "./faults.js";
export { StoredClock } from "./stored-clock.js";
