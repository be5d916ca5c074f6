import { credentialState, type DerivedCredentialState, renewalDueAt } from "./credential-state.js";
import type { DerivedCredentialSettings } from "./derived-credential-settings.js";
import { type DeviceConfiguration, type ProfileSettings, type ProfileType, platformOf, usesDerivedCredential } from "./device-configuration.js";
import type { Deployment, ManagedDevice } from "./managed-device.js";
import type { NotificationKind, TenantNotification } from "./notification.js";

/** One policy as a device receives it at check-in. */
export interface CheckInPolicy {
  id: string;
  type: ProfileType;
  displayName: string;
  /** The profile version deployed. */
  version: number;
  /** This device's deployment counter for the policy: it changes whenever the tenant (re)deploys it here. */
  deployment: number;
  usesDerivedCredential: boolean;
  /** The issuer was deleted: the profile waits for an admin edit before it is redeployed (docs/intune.md §1.3). */
  needsEdit: boolean;
  settings: ProfileSettings;
}

export interface CheckInResult {
  deviceId: string;
  at: string;
  policies: CheckInPolicy[];
  derivedCredential: {
    /** A targeted policy uses the derived credential. */
    required: boolean;
    state: DerivedCredentialState;
    issuer?: string;
    serialNumber?: string;
    notAfter?: string;
    renewalDueAt?: string;
  };
  /** The notifications this check-in produced (each also in the outbox), with whether they were delivered. */
  notifications: TenantNotification[];
}

/** A notice to send on every configured channel; `key` makes it once-only per device. */
export interface Notice {
  kind: NotificationKind;
  key?: string;
  message: string;
}

export interface CheckInPlan {
  policies: CheckInPolicy[];
  deployed: Record<string, Deployment>;
  derivedCredential: CheckInResult["derivedCredential"];
  notices: Notice[];
}

/**
 * What a check-in changes, computed without mutating anything (docs/intune.md §1.2, §1.4, §1.5): the targeted policies
 * of the device's platform and groups, their deployments, the credential state and the notices due.
 */
export function planCheckIn(
  device: ManagedDevice,
  groupIds: ReadonlySet<string>,
  profiles: DeviceConfiguration[],
  settings: DerivedCredentialSettings | undefined,
  generation: number,
  now: Date,
): CheckInPlan {
  const targeted = profiles.filter((p) => platformOf(p.type) === device.platform && p.assignments.some((g) => groupIds.has(g)));
  const deployed: Record<string, Deployment> = {};
  const changed: CheckInPolicy[] = [];
  const policies = targeted.map((p) => {
    const previous = device.deployed[p.id];
    const deployment = !previous
      ? { version: p.version, deployment: 1 }
      : previous.version !== p.version
        ? { version: p.version, deployment: previous.deployment + 1 }
        : previous;
    deployed[p.id] = deployment;
    const policy: CheckInPolicy = {
      id: p.id,
      type: p.type,
      displayName: p.displayName,
      version: deployment.version,
      deployment: deployment.deployment,
      usesDerivedCredential: usesDerivedCredential(p.type, p.settings),
      needsEdit: p.needsEdit,
      settings: structuredClone(p.settings),
    };
    if (deployment !== previous && policy.usesDerivedCredential) changed.push(policy);
    return policy;
  });

  const credential = device.derivedCredential;
  const state = credentialState(credential, settings, generation, now);
  const required = policies.some((p) => p.usesDerivedCredential);
  const derivedCredential: CheckInResult["derivedCredential"] = { required, state };
  if (credential) {
    derivedCredential.issuer = credential.issuer;
    derivedCredential.serialNumber = credential.serialNumber;
    derivedCredential.notAfter = credential.notAfter;
    if (settings) derivedCredential.renewalDueAt = renewalDueAt(credential, settings.renewalThresholdPercentage).toISOString();
  }

  const notices: Notice[] = [];
  const open = device.platform === "ios" ? "open Company Portal" : "open the Intune app";
  if (settings) {
    // §1.2: no enrolment notification until a targeted policy requires a derived credential; §1.3: re-enrol after an issuer change.
    if (required && (state === "none" || state === "invalid-issuer-deleted" || state === "expired")) {
      notices.push({
        kind: "enrolment",
        key: state === "expired" ? `enrolment:expired:${credential?.serialNumber}` : `enrolment:g${generation}`,
        message: `Set up your derived credential: ${open} and follow the ${settings.issuer} steps to get a new derived credential`,
      });
    }
    // §1.4: once per credential, when the device checks in during the renewal window.
    if (state === "renewal-due" && credential) {
      notices.push({
        kind: "renewal",
        key: `renewal:${credential.serialNumber}`,
        message: `Your derived credential expires on ${credential.notAfter}: ${open} to get a new one`,
      });
    }
    // §1.5: iOS users must open Company Portal to process a changed policy; on Android the Intune app need not open.
    if (device.platform === "ios" && changed.length > 0 && (state === "valid" || state === "renewal-due")) {
      notices.push({
        kind: "policyChange",
        message: `Open Company Portal so that changed policies using your derived credential can be processed: ${changed.map((p) => p.displayName).join(", ")}`,
      });
    }
  }
  return { policies, deployed, derivedCredential, notices: notices.filter((n) => !n.key || !device.notified.includes(n.key)) };
}
