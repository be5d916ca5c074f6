import type { ApplicantSession } from "../derived/index.js";

/**
 * One IdentityGuard self-service enrolment for a derived mobile smart credential (docs/intune.md §2.2 steps 6–8, §2.6).
 *
 *   kiosk: PKI-AUTH sign-in (DC-ISS-04) → POST enrolments (action, app installed, identity name, credential type)
 *        → "awaiting-device": QR code + numeric password shown, both single-use and expiring together
 *   phone: Get QR code → camera → scan → "Password required" → POST activate
 *        → "activating" (one activation in flight; a failure of the issuance core returns to "awaiting-device")
 *        → "completed" (QR and password are spent: a reused QR is "secret-used")
 *   otherwise:
 *        "awaiting-device" → "cancelled" after `passwordAttempts` wrong passwords (QR and password withdrawn;
 *                            429 + Retry-After during the lockout, then 410 "enrolment-cancelled")
 *        "awaiting-device" → "expired" once the clock passes expiresAt ("secret-expired")
 */
export type EnrolmentState = "awaiting-device" | "activating" | "completed" | "cancelled" | "expired";

export interface Enrolment {
  id: string;
  /** The kiosk PKI-AUTH session that asked for it: the applicant the credential is issued to. */
  session: ApplicantSession;
  cardIndex: number;
  identityName: string;
  state: EnrolmentState;
  createdAt: number;
  expiresAt: number;
  /** The QR code's content (see qr-payload.ts) and the secrets of OneTimeSecrets it carries / shows. */
  qrPayload: string;
  qrSession: string;
  password: string;
  failedPasswords: number;
  /** While cancelled: further attempts are 429 until then. */
  lockedUntil?: number;
  closedAt?: number;
  credentialId?: string;
}
