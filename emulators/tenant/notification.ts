import type { NotificationChannel } from "./derived-credential-settings.js";

/**
 * The three reasons Intune notifies a user about derived credentials (docs/intune.md §1.2): enrol with the issuer,
 * renew near expiry (§1.4), a policy that uses the derived credential changed (§1.5).
 */
export type NotificationKind = "enrolment" | "renewal" | "policyChange";

/** One message in the tenant's outbox: every notification ever produced, delivered or not. */
export interface TenantNotification {
  id: string;
  at: string;
  /** companyPortal = the app notification (Company Portal on iOS, Intune app on Android, §1.7); email = to the user's mailbox. */
  channel: NotificationChannel;
  deviceId: string;
  userPrincipalName: string;
  /** The app name or the email address the message went to. */
  recipient: string;
  kind: NotificationKind;
  message: string;
  /** The issuer help URL; null means Intune links its generic user-help article for the issuer (§1.2). */
  helpUrl: string | null;
  delivered: boolean;
  /** Why it was not delivered, e.g. conditional access blocking email on a non-compliant device (§1.2, §1.7). */
  reason?: string;
}

/** Conditional access, reduced to the one setting the derived-credential docs talk about (our simplification, §1.7, §4). */
export interface ConditionalAccessPolicy {
  /** Block email on non-compliant devices: such devices never receive the email notifications (§1.2). */
  blockNonCompliantEmail: boolean;
}

export const EMAIL_BLOCKED_REASON = "conditional access blocks email on non-compliant devices (docs/intune.md §1.2, §1.7)";
