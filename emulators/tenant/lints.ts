import type { Platform } from "../derived/index.js";
import type { DerivedCredentialSettings } from "./derived-credential-settings.js";
import { type DeviceConfiguration, familyOf, platformOf, usesDerivedCredential } from "./device-configuration.js";
import type { Group } from "./group.js";
import type { ConditionalAccessPolicy } from "./notification.js";

/** A planning problem the docs warn about (docs/intune.md §1.7, §4), found in the tenant's current configuration. */
export interface LintFinding {
  id: LintId;
  severity: "error" | "warning";
  message: string;
  /** Ids of the objects involved (settings, profiles, groups; "conditionalAccess" for the policy). */
  objects: string[];
}

export type LintId =
  | "camera-blocked-qr-enrolment"
  | "issuer-access-deadlock"
  | "email-notifications-blocked"
  | "notifications-off"
  | "trusted-root-missing"
  | "purebred-no-network-access";

export interface LintInput {
  settings: DerivedCredentialSettings | undefined;
  profiles: DeviceConfiguration[];
  groups: Group[];
  conditionalAccess: ConditionalAccessPolicy;
}

export function lint({ settings, profiles, groups, conditionalAccess }: LintInput): LintFinding[] {
  const findings: LintFinding[] = [];
  const assigned = profiles.filter((p) => p.assignments.length > 0);

  // §1.7, §4: Entrust and Intercede enrolment scans a QR code; a device restriction blocking the camera makes it impossible.
  if (settings && (settings.issuer === "entrustDatacard" || settings.issuer === "intercede")) {
    for (const p of assigned.filter((p) => familyOf(p.type) === "deviceRestrictions" && p.settings.cameraBlocked === true)) {
      findings.push({
        id: "camera-blocked-qr-enrolment",
        severity: "error",
        message: `"${p.displayName}" blocks the camera, but ${settings.issuer} enrolment scans a QR code with it: assigned users cannot enrol (docs/intune.md §1.7)`,
        objects: [p.id, settings.id],
      });
    }
  }

  // §1.7, §4: the Wi-Fi/VPN needed to reach the issuer must not itself require the derived credential.
  for (const p of profiles.filter((p) => p.settings.providesIssuerAccess === true && usesDerivedCredential(p.type, p.settings))) {
    findings.push({
      id: "issuer-access-deadlock",
      severity: "error",
      message: `"${p.displayName}" is the network path to the issuer but authenticates with the derived credential: users cannot obtain one (docs/intune.md §1.7)`,
      objects: [p.id],
    });
  }

  // §1.2, §4: email-only notifications never reach non-compliant devices when conditional access blocks their email.
  if (settings?.notificationType === "email" && conditionalAccess.blockNonCompliantEmail) {
    findings.push({
      id: "email-notifications-blocked",
      severity: "warning",
      message:
        "notifications go by email only and conditional access blocks email on non-compliant devices: enable the Company Portal app notification too (docs/intune.md §1.2, §4)",
      objects: [settings.id, "conditionalAccess"],
    });
  }
  if (settings?.notificationType === "none") {
    findings.push({
      id: "notifications-off",
      severity: "warning",
      message:
        "notificationType is none: users are never told to enrol, renew at 80 % or process changed policies (docs/intune.md §1.2 recommends app notification, email or both)",
      objects: [settings.id],
    });
  }

  // §1.7: a trusted root certificate profile is required to validate the derived credential chain.
  const members = new Map(groups.map((g) => [g.id, g.members]));
  for (const g of groups) {
    for (const platform of ["ios", "android"] as Platform[]) {
      const dc = assigned.filter((p) => platformOf(p.type) === platform && p.assignments.includes(g.id) && usesDerivedCredential(p.type, p.settings));
      if (dc.length === 0) continue;
      const covered = assigned.some(
        (p) =>
          platformOf(p.type) === platform && familyOf(p.type) === "trustedRoot" && p.assignments.some((h) => h === g.id || covers(members.get(h), g.members)),
      );
      if (!covered) {
        findings.push({
          id: "trusted-root-missing",
          severity: "error",
          message: `group "${g.displayName}" gets ${platform} derived-credential policies but no ${platform} trusted root certificate profile: the credential's chain cannot be validated (docs/intune.md §1.7)`,
          objects: [g.id, ...dc.map((p) => p.id)],
        });
      }
    }
  }

  // §1.8: Purebred needs on-premises network access (corporate Wi-Fi or VPN) that does not itself need the credential.
  if (settings?.issuer === "purebred") {
    const access = assigned.some((p) => p.settings.providesIssuerAccess === true && !usesDerivedCredential(p.type, p.settings));
    if (!access) {
      findings.push({
        id: "purebred-no-network-access",
        severity: "warning",
        message:
          "DISA Purebred needs on-premises network access: assign a Wi-Fi or VPN profile with providesIssuerAccess that does not use the derived credential (docs/intune.md §1.8)",
        objects: [settings.id],
      });
    }
  }
  return findings;
}

/** Every member of the smaller group is in the larger one (a trusted root on "all devices" covers a subgroup). */
function covers(larger: string[] | undefined, smaller: string[]): boolean {
  return larger !== undefined && smaller.length > 0 && smaller.every((m) => larger.includes(m));
}
