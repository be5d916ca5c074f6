import type { Clock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import type { Applicant, DeviceApprover, IssuedCredentialLookup } from "../derived/index.js";
import { parseAssignAction } from "./assignment.js";
import { type CheckInResult, planCheckIn } from "./check-in.js";
import { parseReportedCredential, verifyWithIssuer } from "./credential-registration.js";
import { credentialState, renewalDueAt } from "./credential-state.js";
import { channelsOf, type DerivedCredentialSettings, type GraphIssuer, parseNewSettings, patchSettings } from "./derived-credential-settings.js";
import {
  type DeviceConfiguration,
  hasDerivedCredentialSettings,
  parseProfile,
  parseProfileType,
  toGraphProfile,
  usesDerivedCredential,
} from "./device-configuration.js";
import { type Group, parseGroup, parseMemberRef } from "./group.js";
import { asObject, bad, onlyKnown } from "./input.js";
import { type LintFinding, lint } from "./lints.js";
import { type ManagedDevice, parseEnrolment, patchDevice, type RegisteredCredential } from "./managed-device.js";
import { type ConditionalAccessPolicy, EMAIL_BLOCKED_REASON, type TenantNotification } from "./notification.js";

/**
 * Everything the tenant knows, as plain JSON: `new Tenant(clock, options, tenant.toJSON())` restores it. Objects are
 * lists, never maps keyed by id: an id comes from a URL, and an outside string never becomes a plain-object key.
 */
export interface TenantState {
  format: 2;
  nextId: number;
  /** Bumped each time an issuer is added: credentials carry the generation they were obtained under (§1.3). */
  settingsGeneration: number;
  settings?: DerivedCredentialSettings;
  /** When an issuer was last deleted: a credential issued then or before belongs to a deleted issuer (§1.3). */
  settingsDeletedAt?: string;
  /** Serials registered under deleted issuers: never accepted again (§1.3). */
  retiredSerials?: string[];
  profiles: DeviceConfiguration[];
  groups: Group[];
  devices: ManagedDevice[];
  conditionalAccess: ConditionalAccessPolicy;
  outbox: TenantNotification[];
}

/** The state as the tenant works on it: the same, with the lists as Maps by id (lookups by outside ids are safe). */
interface LiveState extends Omit<TenantState, "profiles" | "groups" | "devices"> {
  profiles: Map<string, DeviceConfiguration>;
  groups: Map<string, Group>;
  devices: Map<string, ManagedDevice>;
}

export interface TenantOptions {
  /** DeviceApprover: approve only compliant devices (default true). */
  requireCompliance?: boolean;
  /**
   * The issuer behind each Graph issuer value: the tenant confirms every credential a device reports with it (its CA
   * and its record of the credential). Without one, no credential is accepted.
   */
  issuerLink?: (issuer: GraphIssuer) => IssuedCredentialLookup | undefined;
  /** How many notifications the outbox keeps, newest first (default 10,000): bounded, so a long run cannot grow it. */
  outboxLimit?: number;
}

/** The notification outbox keeps the newest this many by default (admins read it; devices get theirs at check-in). */
const OUTBOX_LIMIT = 10_000;

/** A Graph JSON body, validated by the tenant (unknown properties are refused). */
export type GraphBody = Record<string, unknown>;

/** The view of a device a client gets: no internal bookkeeping, the credential without its certificate. */
/** The key of a create or PATCH body that binds a profile's `derivedCredentialSettings` (docs/intune.md §6.2). */
export const SETTINGS_BIND = "derivedCredentialSettings@odata.bind";

export type ManagedDeviceView = Omit<ManagedDevice, "deployed" | "notified" | "derivedCredential"> & {
  /** `renewalDueAt` as at check-in: the tenant's threshold, the one place the renewal-due formula lives. */
  derivedCredential?: Omit<RegisteredCredential, "certificate" | "settingsGeneration"> & { state: string; renewalDueAt?: string };
};

/**
 * The Intune-like tenant (docs/intune.md): one derived credential issuer, device configuration profiles that may use
 * "Derived credential", groups, managed devices, check-in with notifications, conditional access and planning lints.
 * Every method validates fully before it changes anything; bad input is a DpclabError with a 4xx status.
 */
export class Tenant implements DeviceApprover {
  #state: LiveState;
  /** Indexes over #state (not persisted): a device's groups and the retired serials, so a check-in or a registration
   * costs the same in a fleet of ten thousand as in one of ten. */
  readonly #groupsOf = new Map<string, Set<string>>();
  #retired = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly options: TenantOptions = {},
    state?: TenantState,
  ) {
    const initial: TenantState = state
      ? structuredClone(state)
      : {
          format: 2,
          nextId: 1,
          settingsGeneration: 0,
          profiles: [],
          groups: [],
          devices: [],
          conditionalAccess: { blockNonCompliantEmail: false },
          outbox: [],
        };
    const byId = <T extends { id: string }>(items: T[]) => new Map(items.map((item) => [item.id, item]));
    this.#state = { ...initial, profiles: byId(initial.profiles), groups: byId(initial.groups), devices: byId(initial.devices) };
    for (const g of this.#state.groups.values()) for (const m of g.members) this.#groupSet(m).add(g.id);
    this.#retired = new Set(this.#state.retiredSerials);
  }

  toJSON(): TenantState {
    const s = this.#state;
    return structuredClone({ ...s, profiles: [...s.profiles.values()], groups: [...s.groups.values()], devices: [...s.devices.values()] });
  }

  // ── derived credential settings (§1.2, §1.3, §3.1) ──────────────────────────────────────────────────────────

  listDerivedCredentialSettings(): DerivedCredentialSettings[] {
    return this.#state.settings ? [{ ...this.#state.settings }] : [];
  }

  getDerivedCredentialSettings(id: string): DerivedCredentialSettings {
    return { ...this.#settings(id) };
  }

  /** Only one issuer per tenant (§1.2): a second one is 409. */
  addDerivedCredentialSettings(body: GraphBody): DerivedCredentialSettings {
    const settings = parseNewSettings(body, this.#peekId());
    if (this.#state.settings) {
      throw new DpclabError(
        `this tenant already has a derived credential issuer (${this.#state.settings.issuer}, id ${this.#state.settings.id}): only one issuer per tenant (docs/intune.md §1.2)`,
        "issuer-already-configured",
        409,
      );
    }
    this.#takeId();
    this.#state.settings = settings;
    this.#state.settingsGeneration++;
    return { ...settings };
  }

  /** Everything but the issuer is editable (§1.2). */
  updateDerivedCredentialSettings(id: string, body: GraphBody): DerivedCredentialSettings {
    const next = patchSettings(this.#settings(id), body);
    this.#state.settings = next;
    return { ...next };
  }

  /**
   * Deletes the issuer (§1.3): every credential obtained under it is invalid from now on (even if the same issuer is
   * added again), and every profile that uses derived credentials needs an edit before it is redeployed.
   */
  deleteDerivedCredentialSettings(id: string): void {
    this.#settings(id);
    delete this.#state.settings;
    this.#state.settingsDeletedAt = this.clock.now().toISOString();
    for (const d of this.#state.devices.values()) if (d.derivedCredential) this.#retired.add(d.derivedCredential.serialNumber);
    this.#state.retiredSerials = [...this.#retired];
    for (const p of this.#state.profiles.values()) {
      if (usesDerivedCredential(p.type, p.settings)) p.needsEdit = true;
      delete p.derivedCredentialSettingsId; // the navigation property pointed at the deleted settings
    }
  }

  // ── device configuration profiles (§1.6, §3.2) ────────────────────────────────────────────────────────────────

  listProfiles(): DeviceConfiguration[] {
    return [...this.#state.profiles.values()].map((p) => structuredClone(p));
  }

  getProfile(id: string): DeviceConfiguration {
    return structuredClone(this.#profile(id));
  }

  /**
   * A new profile. `derivedCredentialSettings@odata.bind` links it to the tenant's issuer settings (§6.2); a profile
   * that uses the derived credential is linked to them without it (the tenant has one issuer).
   */
  createProfile(input: GraphBody): DeviceConfiguration {
    const type = parseProfileType(input);
    const { body, bound } = this.#takeSettingsBind(type, input);
    const parsed = parseProfile(type, body, { issuerConfigured: this.#state.settings !== undefined });
    const now = this.clock.now().toISOString();
    const profile: DeviceConfiguration = {
      type,
      id: this.#takeId(),
      ...parsed,
      version: 1,
      needsEdit: false,
      createdDateTime: now,
      lastModifiedDateTime: now,
      assignments: [],
    };
    const link = bound ?? (usesDerivedCredential(type, parsed.settings) ? this.#state.settings?.id : undefined);
    if (link !== undefined) profile.derivedCredentialSettingsId = link;
    this.#state.profiles.set(profile.id, profile);
    return structuredClone(profile);
  }

  /** Any PATCH, even of the description alone, bumps the version: a redeploy, which clears needsEdit (§1.3). */
  updateProfile(id: string, input: GraphBody): DeviceConfiguration {
    const current = this.#profile(id);
    const { body: patch, bound } = this.#takeSettingsBind(current.type, asObject(input, current.type));
    const graph = toGraphProfile(current);
    for (const key of ["id", "version", "needsEdit", "createdDateTime", "lastModifiedDateTime", "@odata.type"]) delete graph[key];
    const parsed = parseProfile(current.type, { ...graph, ...patch }, { issuerConfigured: this.#state.settings !== undefined });
    const next: DeviceConfiguration = {
      ...current,
      ...parsed,
      version: current.version + 1,
      needsEdit: false,
      lastModifiedDateTime: this.clock.now().toISOString(),
    };
    // The edit §1.3 asks for after an issuer change links a profile that uses the derived credential to the new issuer.
    const link = bound ?? current.derivedCredentialSettingsId ?? (usesDerivedCredential(next.type, next.settings) ? this.#state.settings?.id : undefined);
    if (link !== undefined) next.derivedCredentialSettingsId = link;
    this.#state.profiles.set(id, next);
    return structuredClone(next);
  }

  /** GET …/deviceConfigurations/{id}/derivedCredentialSettings: the settings the profile is linked to (§6.2). */
  getProfileDerivedCredentialSettings(id: string): DerivedCredentialSettings {
    const profile = this.#navigable(id);
    const linked = profile.derivedCredentialSettingsId;
    const settings = this.#state.settings;
    if (linked === undefined || !settings || settings.id !== linked) {
      throw new DpclabError(`device configuration ${id} is not linked to derived credential settings`, "not-found", 404);
    }
    return { ...settings };
  }

  /** PUT …/derivedCredentialSettings/$ref `{ "@odata.id": "…/deviceManagement/derivedCredentials/{id}" }` (§6.2). */
  linkProfileDerivedCredentialSettings(id: string, body: GraphBody): void {
    const profile = this.#navigable(id);
    const input = asObject(body, "reference");
    onlyKnown(input, ["@odata.id"], "reference");
    profile.derivedCredentialSettingsId = this.#settingsReference(input["@odata.id"], `"@odata.id"`);
  }

  /** DELETE …/derivedCredentialSettings/$ref: refused while the profile uses the derived credential (§6.2). */
  unlinkProfileDerivedCredentialSettings(id: string): void {
    const profile = this.#navigable(id);
    if (profile.derivedCredentialSettingsId === undefined)
      throw new DpclabError(`device configuration ${id} is not linked to derived credential settings`, "not-found", 404);
    if (usesDerivedCredential(profile.type, profile.settings)) {
      throw new DpclabError(
        `device configuration ${id} uses "Derived credential": change its authentication first, then remove the link (docs/intune.md §6.2)`,
        "profile-uses-derived-credential",
        409,
      );
    }
    delete profile.derivedCredentialSettingsId;
  }

  deleteProfile(id: string): void {
    this.#profile(id);
    this.#state.profiles.delete(id);
  }

  /** The Graph `assign` action: replaces the profile's group assignments; returns the group ids. */
  assignProfile(id: string, body: GraphBody): string[] {
    const profile = this.#profile(id);
    const groupIds = parseAssignAction(body);
    const missing = groupIds.filter((g) => !this.#state.groups.has(g));
    if (missing.length > 0) throw bad(`no group with id ${missing.join(", ")}`, "unknown-group");
    profile.assignments = groupIds;
    return [...groupIds];
  }

  // ── groups ───────────────────────────────────────────────────────────────────────────────────────────────────

  listGroups(): Group[] {
    return [...this.#state.groups.values()].map((g) => structuredClone(g));
  }

  getGroup(id: string): Group {
    return structuredClone(this.#group(id));
  }

  createGroup(body: GraphBody): Group {
    const group = parseGroup(body, this.#peekId());
    this.#takeId();
    this.#state.groups.set(group.id, group);
    return structuredClone(group);
  }

  addGroupMember(groupId: string, body: GraphBody): Group {
    const group = this.#group(groupId);
    const deviceId = parseMemberRef(body);
    if (!this.#state.devices.has(deviceId)) throw bad(`no managed device with id ${deviceId}`, "unknown-device");
    if (!this.#groupSet(deviceId).has(groupId)) {
      group.members.push(deviceId);
      this.#groupSet(deviceId).add(groupId);
    }
    return structuredClone(group);
  }

  removeGroupMember(groupId: string, deviceId: string): void {
    const group = this.#group(groupId);
    if (!this.#groupsOf.get(deviceId)?.has(groupId)) throw new DpclabError(`device ${deviceId} is not a member of group ${groupId}`, "not-a-member", 404);
    group.members = group.members.filter((m) => m !== deviceId);
    this.#groupsOf.get(deviceId)?.delete(groupId);
  }

  // ── managed devices ──────────────────────────────────────────────────────────────────────────────────────────

  listDevices(): ManagedDeviceView[] {
    return [...this.#state.devices.values()].map((d) => this.#view(d));
  }

  hasDevice(id: string): boolean {
    return this.#state.devices.has(id);
  }

  getDevice(id: string): ManagedDeviceView {
    return this.#view(this.#device(id));
  }

  enrolDevice(body: GraphBody): ManagedDeviceView {
    const device = parseEnrolment(body, this.#peekId(), this.clock.now());
    this.#takeId();
    this.#state.devices.set(device.id, device);
    return this.#view(device);
  }

  /**
   * Graph `retire` (the device leaves management: unenrolled, or lost and retired by the admin): its company data,
   * the derived credential included, is removed from the device; the device leaves every group and the tenant.
   */
  retireDevice(id: string): void {
    this.#device(id);
    for (const g of this.#groupsOf.get(id) ?? []) {
      const group = this.#state.groups.get(g);
      if (group) group.members = group.members.filter((m) => m !== id);
    }
    this.#groupsOf.delete(id);
    this.#state.devices.delete(id);
  }

  /**
   * Graph `syncDevice` (docs/intune.md §6.1): Intune pushes the device to check in now. The lab has no push channel:
   * the device's `deviceActionResults` gets a `syncDevice` entry, `pending` until its next check-in, which marks it
   * `done` — a simulated device that asks its managed device sees that a check-in is due at once.
   */
  syncDevice(id: string): void {
    const device = this.#device(id);
    const now = this.clock.now().toISOString();
    const others = (device.deviceActionResults ?? []).filter((a) => a.actionName !== "syncDevice");
    device.deviceActionResults = [...others, { actionName: "syncDevice", actionState: "pending", startDateTime: now, lastUpdatedDateTime: now }];
  }

  /** Compliance state (and OS updates). */
  updateDevice(id: string, body: GraphBody): ManagedDeviceView {
    const next = patchDevice(this.#device(id), body);
    this.#state.devices.set(id, next);
    return this.#view(next);
  }

  /**
   * DeviceApprover (DC-ISS-02): an issuer asks whether the MDM approves this device for a derived credential — and,
   * naming the applicant, whether the device is that applicant's (its enrolled user principal name).
   */
  isApproved(deviceId: string, applicant?: Applicant): { approved: true } | { approved: false; reason: string } {
    const device = typeof deviceId === "string" ? this.#state.devices.get(deviceId) : undefined;
    if (!device) return { approved: false, reason: `device ${deviceId} is not enrolled in the tenant` };
    if ((this.options.requireCompliance ?? true) && !device.compliant) return { approved: false, reason: `device ${deviceId} is not compliant` };
    if (applicant && applicant.userPrincipalName.toLowerCase() !== device.userPrincipalName.toLowerCase()) {
      return { approved: false, reason: `device ${deviceId} is enrolled for another user, not for the applicant ${applicant.userPrincipalName}` };
    }
    return { approved: true };
  }

  /**
   * Records the derived credential an issuer delivered to a device, once the issuer confirmed it (credential-
   * registration.ts: signed by the issuer's CA, in the issuer's records, issued for this device and its user). It
   * must come from the configured issuer; it is stored with the settings generation, and every derived-credential
   * policy deployed to the device is redeployed (§1.4), except profiles waiting for an edit after an issuer deletion (§1.3).
   */
  registerDerivedCredential(deviceId: string, body: GraphBody): { device: ManagedDeviceView; redeployed: string[] } {
    const device = this.#device(deviceId);
    const reported = parseReportedCredential(body);
    const { issuer, serialNumber, notBefore, notAfter } = reported;
    const now = this.clock.now();
    if (notAfter.getTime() <= now.getTime()) throw bad(`the credential expired at ${notAfter.toISOString()}: register a current one`, "credential-expired");
    const settings = this.#state.settings;
    if (!settings)
      throw new DpclabError(
        "no derived credential issuer is configured in this tenant: add one first (docs/intune.md §1.2)",
        "no-derived-credential-issuer",
        409,
      );
    if (issuer !== settings.issuer) {
      throw new DpclabError(
        `issuer mismatch: the tenant's derived credential issuer is ${settings.issuer}, not ${issuer} (docs/intune.md §1.2)`,
        "issuer-mismatch",
        409,
      );
    }
    // §1.3: deleting the issuer invalidates every credential obtained under it, even if the same issuer is re-added:
    // one registered before the last deletion, or issued in an earlier second (X.509 times have one-second precision,
    // so within the deletion's own second the order cannot be told), is never accepted again.
    const deletedAt = this.#state.settingsDeletedAt;
    const issuedEarlier = deletedAt !== undefined && Math.floor(notBefore.getTime() / 1000) < Math.floor(Date.parse(deletedAt) / 1000);
    if (this.#retired.has(serialNumber) || issuedEarlier) {
      throw new DpclabError(
        `credential ${serialNumber} was obtained before this tenant's issuer was deleted (${deletedAt}): credentials of a deleted issuer stay invalid (docs/intune.md §1.3)`,
        "credential-predates-issuer",
        409,
      );
    }
    if (device.derivedCredential?.serialNumber === serialNumber && device.derivedCredential.settingsGeneration === this.#state.settingsGeneration) {
      throw new DpclabError(
        `credential ${serialNumber} is already registered on device ${deviceId}: a new credential has a new certificate`,
        "credential-already-registered",
        409,
      );
    }
    verifyWithIssuer(reported, device, this.options.issuerLink?.(settings.issuer));
    device.derivedCredential = {
      issuer,
      certificate: reported.certificate,
      serialNumber,
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      registeredAt: now.toISOString(),
      settingsGeneration: this.#state.settingsGeneration,
    };
    const redeployed: string[] = [];
    for (const [id, deployment] of Object.entries(device.deployed)) {
      const p = this.#state.profiles.get(id);
      if (p && !p.needsEdit && usesDerivedCredential(p.type, p.settings)) {
        deployment.deployment++;
        redeployed.push(id);
      }
    }
    return { device: this.#view(device), redeployed };
  }

  /** The device polls (§1.4, §1.5, §2): its policies, where its derived credential stands, and the notifications due. */
  checkIn(deviceId: string): CheckInResult {
    const device = this.#device(deviceId);
    const now = this.clock.now();
    const groupIds: ReadonlySet<string> = this.#groupsOf.get(deviceId) ?? new Set();
    const settings = this.#state.settings;
    const plan = planCheckIn(device, groupIds, [...this.#state.profiles.values()], settings, this.#state.settingsGeneration, now);
    const notifications: TenantNotification[] = [];
    for (const notice of plan.notices) {
      for (const channel of settings ? channelsOf(settings.notificationType) : []) {
        const blocked = channel === "email" && this.#state.conditionalAccess.blockNonCompliantEmail && !device.compliant;
        const notification: TenantNotification = {
          id: this.#takeId(),
          at: now.toISOString(),
          channel,
          deviceId,
          userPrincipalName: device.userPrincipalName,
          recipient: channel === "email" ? device.email : device.app,
          kind: notice.kind,
          message: notice.message,
          helpUrl: settings?.helpUrl || null,
          delivered: !blocked,
        };
        if (blocked) notification.reason = EMAIL_BLOCKED_REASON;
        notifications.push(notification);
      }
      if (notice.key) device.notified.push(notice.key);
    }
    device.deployed = plan.deployed;
    device.lastSyncDateTime = now.toISOString();
    for (const action of device.deviceActionResults ?? []) {
      if (action.actionName === "syncDevice" && action.actionState === "pending")
        Object.assign(action, { actionState: "done", lastUpdatedDateTime: now.toISOString() });
    }
    this.#state.outbox.push(...notifications);
    // Bounded like the issuers' NoticeOutbox, and trimmed in batches (dropping one per notice shifts the whole array).
    const limit = this.#outboxLimit;
    if (this.#state.outbox.length >= 2 * limit) this.#state.outbox.splice(0, this.#state.outbox.length - limit);
    return {
      deviceId,
      at: now.toISOString(),
      policies: plan.policies,
      derivedCredential: plan.derivedCredential,
      notifications: structuredClone(notifications),
    };
  }

  // ── conditional access, lints, outbox ──────────────────────────────────────────────────────────────────────

  getConditionalAccess(): ConditionalAccessPolicy {
    return { ...this.#state.conditionalAccess };
  }

  /** Our minimal policy `{ blockNonCompliantEmail }` (docs/intune.md §1.7, §4; a simplification of Entra conditional access). */
  setConditionalAccess(body: GraphBody): ConditionalAccessPolicy {
    const input = asObject(body, "conditional access policy");
    onlyKnown(input, ["blockNonCompliantEmail"], "conditional access policy");
    if (typeof input.blockNonCompliantEmail !== "boolean") throw bad(`"blockNonCompliantEmail" must be true or false`, "missing-property");
    this.#state.conditionalAccess = { blockNonCompliantEmail: input.blockNonCompliantEmail };
    return this.getConditionalAccess();
  }

  lints(): LintFinding[] {
    const s = this.#state;
    return lint({ settings: s.settings, profiles: [...s.profiles.values()], groups: [...s.groups.values()], conditionalAccess: s.conditionalAccess });
  }

  /** The newest notifications (TenantOptions.outboxLimit), oldest first. */
  outbox(): TenantNotification[] {
    return structuredClone(this.#state.outbox.slice(-this.#outboxLimit));
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────────────────────

  get #outboxLimit(): number {
    return this.options.outboxLimit ?? OUTBOX_LIMIT;
  }

  #settings(id: string): DerivedCredentialSettings {
    const s = this.#state.settings;
    if (!s || s.id !== id) throw new DpclabError(`no derived credential settings with id ${id}`, "not-found", 404);
    return s;
  }

  #profile(id: string): DeviceConfiguration {
    const p = this.#state.profiles.get(id);
    if (!p) throw new DpclabError(`no device configuration with id ${id}`, "not-found", 404);
    return p;
  }

  /** A profile whose type has the derivedCredentialSettings navigation property (others: 400, as Graph). */
  #navigable(id: string): DeviceConfiguration {
    const profile = this.#profile(id);
    if (!hasDerivedCredentialSettings(profile.type)) {
      throw bad(`${profile.type} has no navigation property "derivedCredentialSettings" (docs/intune.md §3.2)`, "no-such-navigation-property");
    }
    return profile;
  }

  /** Splits `derivedCredentialSettings@odata.bind` off a profile body and resolves it (nothing is stored here). */
  #takeSettingsBind(type: DeviceConfiguration["type"], input: GraphBody): { body: GraphBody; bound?: string } {
    if (!Object.hasOwn(input, SETTINGS_BIND)) return { body: input };
    if (!hasDerivedCredentialSettings(type))
      throw bad(`${type} has no navigation property "derivedCredentialSettings" (docs/intune.md §3.2)`, "no-such-navigation-property");
    const body: GraphBody = Object.create(null);
    for (const [k, v] of Object.entries(input)) if (k !== SETTINGS_BIND) body[k] = v;
    return { body, bound: this.#settingsReference(input[SETTINGS_BIND], `"${SETTINGS_BIND}"`) };
  }

  /** An entity reference to the tenant's settings: a URL (absolute or relative) ending …/deviceManagement/derivedCredentials/{id}. */
  #settingsReference(value: unknown, what: string): string {
    if (typeof value !== "string" || value.length > 2048) throw bad(`${what} must be the URL of the tenant's derivedCredentials entity`, "invalid-reference");
    let id: string | undefined;
    try {
      const match = /\/deviceManagement\/derivedCredentials\/([^/]+)$/.exec(new URL(value, "http://relative.invalid").pathname);
      id = match ? decodeURIComponent(match[1] as string) : undefined;
    } catch {
      id = undefined;
    }
    if (id === undefined)
      throw bad(`${what} must be a URL ending in /deviceManagement/derivedCredentials/{id} (got ${JSON.stringify(value.slice(0, 120))})`, "invalid-reference");
    const settings = this.#state.settings;
    if (!settings || settings.id !== id)
      throw bad(`${what} names derived credential settings ${JSON.stringify(id.slice(0, 64))}, which this tenant does not have`, "unknown-reference");
    return id;
  }

  #group(id: string): Group {
    const g = this.#state.groups.get(id);
    if (!g) throw new DpclabError(`no group with id ${id}`, "not-found", 404);
    return g;
  }

  /** The device's groups in the membership index (created empty on first use). */
  #groupSet(deviceId: string): Set<string> {
    const known = this.#groupsOf.get(deviceId);
    if (known) return known;
    const created = new Set<string>();
    this.#groupsOf.set(deviceId, created);
    return created;
  }

  #device(id: string): ManagedDevice {
    const d = this.#state.devices.get(id);
    if (!d) throw new DpclabError(`no managed device with id ${id}`, "not-found", 404);
    return d;
  }

  #view(device: ManagedDevice): ManagedDeviceView {
    const { deployed: _d, notified: _n, derivedCredential, ...rest } = structuredClone(device);
    const view: ManagedDeviceView = rest;
    const settings = this.#state.settings;
    if (derivedCredential) {
      const { certificate: _c, settingsGeneration: _g, ...summary } = derivedCredential;
      view.derivedCredential = {
        ...summary,
        state: credentialState(derivedCredential, settings, this.#state.settingsGeneration, this.clock.now()),
        ...(settings ? { renewalDueAt: renewalDueAt(derivedCredential, settings.renewalThresholdPercentage).toISOString() } : {}),
      };
    }
    return view;
  }

  /** Deterministic GUID-shaped ids (a seeded run gets the same ids every time). */
  #peekId(): string {
    return `00000000-0000-4000-8000-${this.#state.nextId.toString(16).padStart(12, "0")}`;
  }

  #takeId(): string {
    const id = this.#peekId();
    this.#state.nextId++;
    return id;
  }
}
