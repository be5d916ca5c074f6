import type { Platform } from "../derived/index.js";
import type { GraphIssuer } from "./derived-credential-settings.js";
import { asObject, bad, bool, type JsonObject, notWritable, oneOf, onlyKnown, str } from "./input.js";

/** iOS: corporate. Android Enterprise: fully managed or corporate-owned work profile (COPE) (docs/intune.md §0, §1.7). */
export type Ownership = "corporate" | "fullyManaged" | "cope";

/** The user-facing app: Company Portal on iOS, the Microsoft Intune app on AE fully managed/COPE (§1.7). */
export type UserApp = "companyPortal" | "intuneApp";

/**
 * Minimum OS versions. Android 8.0 is the 2022 text of the Android Enterprise enrolment (§2.4; 7.0 in 2020).
 * docs/intune.md names no iOS minimum: 13.0 is our choice.
 */
export const MIN_OS_VERSION: Record<Platform, string> = { ios: "13.0", android: "8.0" };

/** A derived credential as the tenant knows it on a device: the derived PIV authentication certificate. */
export interface RegisteredCredential {
  issuer: GraphIssuer;
  /** Base64 DER derived PIV authentication certificate. */
  certificate: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  registeredAt: string;
  /** The issuer settings generation it was obtained under: deleting the issuer invalidates it, even if re-added (§1.3). */
  settingsGeneration: number;
}

/** What the tenant last deployed of one policy to one device. */
export interface Deployment {
  /** The profile version deployed. */
  version: number;
  /** Bumped each time the tenant (re)deploys the policy to this device: new profile version or new credential. */
  deployment: number;
}

/**
 * Graph's `deviceActionResult` on a managed device: a remote action the admin started and where it stands. The lab
 * records `syncDevice` (docs/intune.md §6.1): `pending` until the device's next check-in, then `done`.
 */
export interface DeviceActionResult {
  actionName: "syncDevice";
  actionState: "pending" | "done";
  startDateTime: string;
  lastUpdatedDateTime: string;
}

export interface ManagedDevice {
  id: string;
  platform: Platform;
  osVersion: string;
  ownership: Ownership;
  userPrincipalName: string;
  email: string;
  cardIndex?: number;
  app: UserApp;
  compliant: boolean;
  enrolledDateTime: string;
  lastSyncDateTime?: string;
  derivedCredential?: RegisteredCredential;
  /** Remote actions (Graph `deviceActionResults`): one entry per action name, the latest. */
  deviceActionResults?: DeviceActionResult[];
  deployed: Record<string, Deployment>;
  /** Keys of the notifications already sent, so each is sent once. */
  notified: string[];
}

/** Every number has a range: no lab holds a million cards. */
const MAX_CARD_INDEX = 999_999;

const ENROL_PROPS = ["platform", "osVersion", "ownership", "userPrincipalName", "email", "cardIndex", "app", "compliant"] as const;
const READ_ONLY = ["id", "enrolledDateTime", "lastSyncDateTime", "derivedCredential", "deviceActionResults"] as const;

/** The top-level properties of a managed device as clients see it (what `$select` may name, docs/intune.md §6.3). */
export const MANAGED_DEVICE_PROPERTIES = [...ENROL_PROPS, ...READ_ONLY] as const;

export function parseEnrolment(input: unknown, id: string, now: Date): ManagedDevice {
  const body = asObject(input, "managedDevice");
  notWritable(body, READ_ONLY, "managedDevice");
  onlyKnown(body, ENROL_PROPS, "managedDevice");
  const platform = oneOf(body, "platform", ["ios", "android"] as const, { required: true }) as Platform;
  const osVersion = parseOsVersion(body, platform, true) as string;
  const ownership = oneOf(body, "ownership", platform === "ios" ? (["corporate"] as const) : (["fullyManaged", "cope"] as const), {
    required: true,
  }) as Ownership;
  const expectedApp: UserApp = platform === "ios" ? "companyPortal" : "intuneApp";
  const app = oneOf(body, "app", [expectedApp]) ?? expectedApp;
  const userPrincipalName = str(body, "userPrincipalName", { required: true, max: 256 }) as string;
  if (!/^[^@\s]+@[^@\s]+$/.test(userPrincipalName)) throw bad(`"userPrincipalName" must look like user@domain (got "${userPrincipalName}")`);
  const email = str(body, "email", { max: 256 }) ?? userPrincipalName;
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw bad(`"email" must look like user@domain (got "${email}")`);
  const cardIndex = body.cardIndex;
  if (cardIndex !== undefined && (typeof cardIndex !== "number" || !Number.isInteger(cardIndex) || cardIndex < 0 || cardIndex > MAX_CARD_INDEX)) {
    throw bad(`"cardIndex" must be an integer from 0 to ${MAX_CARD_INDEX}`);
  }
  const device: ManagedDevice = {
    id,
    platform,
    osVersion,
    ownership,
    userPrincipalName,
    email,
    app,
    compliant: bool(body, "compliant", { required: true }) as boolean,
    enrolledDateTime: now.toISOString(),
    deployed: {},
    notified: [],
  };
  if (cardIndex !== undefined) device.cardIndex = cardIndex as number;
  return device;
}

/** PATCH: compliance state and OS updates only. */
export function patchDevice(current: ManagedDevice, input: unknown): ManagedDevice {
  const body = asObject(input, "managedDevice");
  notWritable(body, READ_ONLY, "managedDevice");
  onlyKnown(body, ["compliant", "osVersion"], "managedDevice PATCH");
  return {
    ...current,
    compliant: bool(body, "compliant") ?? current.compliant,
    osVersion: parseOsVersion(body, current.platform, false) ?? current.osVersion,
  };
}

function parseOsVersion(body: JsonObject, platform: Platform, required: boolean): string | undefined {
  const osVersion = str(body, "osVersion", { required, max: 32 });
  if (osVersion === undefined) return undefined;
  if (!/^\d+(\.\d+){0,3}$/.test(osVersion)) throw bad(`"osVersion" must be dotted numbers such as 17.4 (got "${osVersion}")`);
  if (compareVersions(osVersion, MIN_OS_VERSION[platform]) < 0) {
    throw bad(`${platform} ${osVersion} is below the minimum ${MIN_OS_VERSION[platform]} for derived credentials`, "os-version-too-old");
  }
  return osVersion;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
