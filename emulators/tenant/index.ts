/** The Intune-like tenant emulator (docs/intune.md): a Graph-shaped beta API and its in-process model. */
export type { CheckInPolicy, CheckInResult } from "./check-in.js";
export type { DerivedCredentialState } from "./credential-state.js";
export {
  DEFAULT_RENEWAL_THRESHOLD_PERCENTAGE,
  type DerivedCredentialSettings,
  type GraphIssuer,
  type NotificationChannel,
  type NotificationType,
  SUPPORTED_ISSUERS,
} from "./derived-credential-settings.js";
export {
  type DeviceConfiguration,
  familyOf,
  MAX_SILENT_CERTIFICATE_ACCESS,
  PROFILE_TYPES,
  type ProfileFamily,
  type ProfileSettings,
  type ProfileType,
} from "./device-configuration.js";
export type { Group } from "./group.js";
export { LAB_TENANT, type TenantHandlerOptions, tenantHandler } from "./handler.js";
export type { LintFinding, LintId } from "./lints.js";
export { type ManagedDevice, MIN_OS_VERSION, type Ownership, type RegisteredCredential, type UserApp } from "./managed-device.js";
export type { ConditionalAccessPolicy, NotificationKind, TenantNotification } from "./notification.js";
export { type GraphBody, type ManagedDeviceView, Tenant, type TenantOptions, type TenantState } from "./tenant.js";
