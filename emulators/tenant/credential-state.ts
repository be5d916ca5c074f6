import type { DerivedCredentialSettings } from "./derived-credential-settings.js";
import type { RegisteredCredential } from "./managed-device.js";

/** Where a device's derived credential stands, as the tenant sees it at check-in (docs/intune.md §1.3, §1.4). */
export type DerivedCredentialState = "none" | "valid" | "renewal-due" | "expired" | "invalid-issuer-deleted";

/**
 * When renewal becomes due: renewalThresholdPercentage of the lifetime before notAfter. With the default 20 that is
 * 80 % of the lifetime elapsed, the documented notification point (§1.4; reading explained in derived-credential-settings.ts).
 */
export function renewalDueAt(credential: RegisteredCredential, thresholdPercentage: number): Date {
  const notBefore = Date.parse(credential.notBefore);
  const notAfter = Date.parse(credential.notAfter);
  return new Date(notAfter - Math.round(((notAfter - notBefore) * thresholdPercentage) / 100));
}

export function credentialState(
  credential: RegisteredCredential | undefined,
  settings: DerivedCredentialSettings | undefined,
  generation: number,
  now: Date,
): DerivedCredentialState {
  if (!credential) return "none";
  // Deleting the issuer invalidates every credential obtained under it, even if the same issuer is re-added (§1.3).
  if (!settings || credential.settingsGeneration !== generation) return "invalid-issuer-deleted";
  if (now.getTime() >= Date.parse(credential.notAfter)) return "expired";
  if (now.getTime() >= renewalDueAt(credential, settings.renewalThresholdPercentage).getTime()) return "renewal-due";
  return "valid";
}
