import { randomBytes } from "node:crypto";
import type { Clock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import { type LabStore, MemoryStore, type StoreTx } from "../../src/store/index.js";
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
import {
  appendToOutbox,
  devicesOf,
  EMPTY_META,
  groupIdsOf,
  groupsOf,
  hasTenant,
  membersByGroup,
  outboxOf,
  profilesAssignedTo,
  profilesOf,
  readMeta,
  reindexAssignments,
  SKIPTOKEN_KEY,
  type StoredGroup,
  setGroupIdsOf,
  TABLES,
  type TenantMeta,
  writeMeta,
} from "./tenant-tables.js";

/**
 * Everything the tenant knows, as plain JSON: `toJSON()` reads it from the store and `new Tenant(clock, options,
 * state)` imports it into an empty store. Objects are lists, never maps keyed by id: an id comes from a URL, and an
 * outside string never becomes a plain-object key.
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
  /** The lab store the tenant lives in (default: a private one in memory). */
  store?: LabStore;
}

/** The notification outbox keeps the newest this many by default (admins read it; devices get theirs at check-in). */
const OUTBOX_LIMIT = 10_000;

/** A Graph JSON body, validated by the tenant (unknown properties are refused). */
export type GraphBody = Record<string, unknown>;

/** The key of a create or PATCH body that binds a profile's `derivedCredentialSettings` (docs/intune.md §6.2). */
export const SETTINGS_BIND = "derivedCredentialSettings@odata.bind";

/** The view of a device a client gets: no internal bookkeeping, the credential without its certificate. */
export type ManagedDeviceView = Omit<ManagedDevice, "deployed" | "notified" | "derivedCredential"> & {
  /** `renewalDueAt` as at check-in: the tenant's threshold, the one place the renewal-due formula lives. */
  derivedCredential?: Omit<RegisteredCredential, "certificate" | "settingsGeneration"> & { state: string; renewalDueAt?: string };
};

/**
 * The Intune-like tenant (docs/intune.md): one derived credential issuer, device configuration profiles that may use
 * "Derived credential", groups, managed devices, check-in with notifications, conditional access and planning lints.
 * Its state is in the lab store (tenant-tables.ts): every method that changes anything is one transaction that
 * validates fully before it writes, so bad input (a DpclabError with a 4xx status) changes nothing, and two servers on
 * one store serve one tenant.
 */
export class Tenant implements DeviceApprover {
  readonly #store: LabStore;
  readonly #skipTokenKey: Buffer;

  constructor(
    private readonly clock: Clock,
    private readonly options: TenantOptions = {},
    state?: TenantState,
  ) {
    this.#store = options.store ?? new MemoryStore();
    const key = this.#store.transaction((tx) => {
      if (state) {
        if (hasTenant(tx))
          throw new Error(`the lab store ${this.#store.where} already holds a tenant: a saved tenant state is imported only into an empty one`);
        this.#import(tx, state);
      } else if (!hasTenant(tx)) writeMeta(tx, { ...EMPTY_META });
      const known = tx.get<string>(TABLES.meta, SKIPTOKEN_KEY);
      if (known !== undefined) return known;
      const made = randomBytes(32).toString("base64");
      tx.put(TABLES.meta, SKIPTOKEN_KEY, made);
      return made;
    });
    this.#skipTokenKey = Buffer.from(key, "base64");
  }

  /** The key the Graph paging tokens ($skiptoken) are MACed with: the lab's, so a nextLink works on every server and after a restart. */
  get skipTokenKey(): Buffer {
    return Buffer.from(this.#skipTokenKey);
  }

  toJSON(): TenantState {
    return this.#store.read((tx) => {
      const { outboxNext: _o, ...meta } = readMeta(tx);
      const retired = tx.entries(TABLES.retired).map(([serial]) => serial);
      return {
        format: 2,
        ...meta,
        ...(retired.length > 0 ? { retiredSerials: retired } : {}),
        profiles: profilesOf(tx),
        groups: groupsOf(tx),
        devices: devicesOf(tx),
        outbox: outboxOf(tx, this.#outboxLimit),
      };
    });
  }

  // ── derived credential settings (§1.2, §1.3, §3.1) ──────────────────────────────────────────────────────────

  listDerivedCredentialSettings(): DerivedCredentialSettings[] {
    const { settings } = this.#read(readMeta);
    return settings ? [settings] : [];
  }

  getDerivedCredentialSettings(id: string): DerivedCredentialSettings {
    return this.#read((tx) => settingsOf(readMeta(tx), id));
  }

  /** Only one issuer per tenant (§1.2): a second one is 409. */
  addDerivedCredentialSettings(body: GraphBody): DerivedCredentialSettings {
    return this.#write((tx) => {
      const meta = readMeta(tx);
      const settings = parseNewSettings(body, peekId(meta));
      if (meta.settings) {
        throw new DpclabError(
          `this tenant already has a derived credential issuer (${meta.settings.issuer}, id ${meta.settings.id}): only one issuer per tenant (docs/intune.md §1.2)`,
          "issuer-already-configured",
          409,
        );
      }
      takeId(meta);
      meta.settings = settings;
      meta.settingsGeneration++;
      writeMeta(tx, meta);
      return settings;
    });
  }

  /** Everything but the issuer is editable (§1.2). */
  updateDerivedCredentialSettings(id: string, body: GraphBody): DerivedCredentialSettings {
    return this.#write((tx) => {
      const meta = readMeta(tx);
      const next = patchSettings(settingsOf(meta, id), body);
      writeMeta(tx, { ...meta, settings: next });
      return next;
    });
  }

  /**
   * Deletes the issuer (§1.3): every credential obtained under it is invalid from now on (even if the same issuer is
   * added again), and every profile that uses derived credentials needs an edit before it is redeployed. (It visits
   * every device and profile: an issuer change is an admin's rare act, not a device's request.)
   */
  deleteDerivedCredentialSettings(id: string): void {
    this.#write((tx) => {
      const meta = readMeta(tx);
      settingsOf(meta, id);
      delete meta.settings;
      meta.settingsDeletedAt = this.clock.now().toISOString();
      writeMeta(tx, meta);
      for (const d of devicesOf(tx)) if (d.derivedCredential) tx.put(TABLES.retired, d.derivedCredential.serialNumber, true);
      for (const p of profilesOf(tx)) {
        if (usesDerivedCredential(p.type, p.settings)) p.needsEdit = true;
        delete p.derivedCredentialSettingsId; // the navigation property pointed at the deleted settings
        tx.put(TABLES.profiles, p.id, p);
      }
    });
  }

  // ── device configuration profiles (§1.6, §3.2) ────────────────────────────────────────────────────────────────

  listProfiles(): DeviceConfiguration[] {
    return this.#read(profilesOf);
  }

  getProfile(id: string): DeviceConfiguration {
    return this.#read((tx) => profileIn(tx, id));
  }

  /**
   * A new profile. `derivedCredentialSettings@odata.bind` links it to the tenant's issuer settings (§6.2); a profile
   * that uses the derived credential is linked to them without it (the tenant has one issuer).
   */
  createProfile(input: GraphBody): DeviceConfiguration {
    return this.#write((tx) => {
      const meta = readMeta(tx);
      const type = parseProfileType(input);
      const { body, bound } = takeSettingsBind(meta, type, input);
      const parsed = parseProfile(type, body, { issuerConfigured: meta.settings !== undefined });
      const now = this.clock.now().toISOString();
      const profile: DeviceConfiguration = {
        type,
        id: takeId(meta),
        ...parsed,
        version: 1,
        needsEdit: false,
        createdDateTime: now,
        lastModifiedDateTime: now,
        assignments: [],
      };
      const link = bound ?? (usesDerivedCredential(type, parsed.settings) ? meta.settings?.id : undefined);
      if (link !== undefined) profile.derivedCredentialSettingsId = link;
      tx.put(TABLES.profiles, profile.id, profile);
      writeMeta(tx, meta);
      return profile;
    });
  }

  /** Any PATCH, even of the description alone, bumps the version: a redeploy, which clears needsEdit (§1.3). */
  updateProfile(id: string, input: GraphBody): DeviceConfiguration {
    return this.#write((tx) => {
      const current = profileIn(tx, id);
      const meta = readMeta(tx);
      const { body: patch, bound } = takeSettingsBind(meta, current.type, asObject(input, current.type));
      const graph = toGraphProfile(current);
      for (const key of ["id", "version", "needsEdit", "createdDateTime", "lastModifiedDateTime", "@odata.type"]) delete graph[key];
      const parsed = parseProfile(current.type, { ...graph, ...patch }, { issuerConfigured: meta.settings !== undefined });
      const next: DeviceConfiguration = {
        ...current,
        ...parsed,
        version: current.version + 1,
        needsEdit: false,
        lastModifiedDateTime: this.clock.now().toISOString(),
      };
      // The edit §1.3 asks for after an issuer change links a profile that uses the derived credential to the new issuer.
      const link = bound ?? current.derivedCredentialSettingsId ?? (usesDerivedCredential(next.type, next.settings) ? meta.settings?.id : undefined);
      if (link !== undefined) next.derivedCredentialSettingsId = link;
      tx.put(TABLES.profiles, id, next);
      return next;
    });
  }

  /** GET …/deviceConfigurations/{id}/derivedCredentialSettings: the settings the profile is linked to (§6.2). */
  getProfileDerivedCredentialSettings(id: string): DerivedCredentialSettings {
    return this.#read((tx) => {
      const linked = navigable(tx, id).derivedCredentialSettingsId;
      const { settings } = readMeta(tx);
      if (linked === undefined || !settings || settings.id !== linked) {
        throw new DpclabError(`device configuration ${id} is not linked to derived credential settings`, "not-found", 404);
      }
      return settings;
    });
  }

  /** PUT …/derivedCredentialSettings/$ref `{ "@odata.id": "…/deviceManagement/derivedCredentials/{id}" }` (§6.2). */
  linkProfileDerivedCredentialSettings(id: string, body: GraphBody): void {
    this.#write((tx) => {
      const profile = navigable(tx, id);
      const input = asObject(body, "reference");
      onlyKnown(input, ["@odata.id"], "reference");
      profile.derivedCredentialSettingsId = settingsReference(readMeta(tx), input["@odata.id"], `"@odata.id"`);
      tx.put(TABLES.profiles, id, profile);
    });
  }

  /** DELETE …/derivedCredentialSettings/$ref: refused while the profile uses the derived credential (§6.2). */
  unlinkProfileDerivedCredentialSettings(id: string): void {
    this.#write((tx) => {
      const profile = navigable(tx, id);
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
      tx.put(TABLES.profiles, id, profile);
    });
  }

  deleteProfile(id: string): void {
    this.#write((tx) => {
      const profile = profileIn(tx, id);
      reindexAssignments(tx, id, profile.assignments, []);
      tx.delete(TABLES.profiles, id);
    });
  }

  /** The Graph `assign` action: replaces the profile's group assignments; returns the group ids. */
  assignProfile(id: string, body: GraphBody): string[] {
    return this.#write((tx) => {
      const profile = profileIn(tx, id);
      const groupIds = parseAssignAction(body);
      const missing = groupIds.filter((g) => tx.get(TABLES.groups, g) === undefined);
      if (missing.length > 0) throw bad(`no group with id ${missing.join(", ")}`, "unknown-group");
      reindexAssignments(tx, id, profile.assignments, groupIds);
      tx.put(TABLES.profiles, id, { ...profile, assignments: groupIds });
      return groupIds;
    });
  }

  // ── groups ───────────────────────────────────────────────────────────────────────────────────────────────────

  listGroups(): Group[] {
    return this.#read(groupsOf);
  }

  getGroup(id: string): Group {
    return this.#read((tx) => ({ ...groupIn(tx, id), members: membersByGroup(tx).get(id) ?? [] }));
  }

  createGroup(body: GraphBody): Group {
    return this.#write((tx) => {
      const meta = readMeta(tx);
      const { members, ...group } = parseGroup(body, peekId(meta));
      takeId(meta);
      tx.put(TABLES.groups, group.id, group);
      writeMeta(tx, meta);
      return { ...group, members };
    });
  }

  /**
   * Adds a device to a group: keyed reads and one write however large the group (a fleet puts every device in one);
   * read the group with getGroup() when its members are wanted.
   */
  addGroupMember(groupId: string, body: GraphBody): void {
    this.#write((tx) => {
      groupIn(tx, groupId);
      const deviceId = parseMemberRef(body);
      if (tx.get(TABLES.devices, deviceId) === undefined) throw bad(`no managed device with id ${deviceId}`, "unknown-device");
      const groupIds = groupIdsOf(tx, deviceId);
      if (!groupIds.includes(groupId)) setGroupIdsOf(tx, deviceId, [...groupIds, groupId]);
    });
  }

  removeGroupMember(groupId: string, deviceId: string): void {
    this.#write((tx) => {
      groupIn(tx, groupId);
      const groupIds = groupIdsOf(tx, deviceId);
      if (!groupIds.includes(groupId)) throw new DpclabError(`device ${deviceId} is not a member of group ${groupId}`, "not-a-member", 404);
      setGroupIdsOf(
        tx,
        deviceId,
        groupIds.filter((g) => g !== groupId),
      );
    });
  }

  // ── managed devices ──────────────────────────────────────────────────────────────────────────────────────────

  listDevices(): ManagedDeviceView[] {
    return this.#read((tx) => {
      const meta = readMeta(tx);
      const now = this.clock.now();
      return devicesOf(tx).map((d) => view(d, meta, now));
    });
  }

  hasDevice(id: string): boolean {
    return this.#read((tx) => tx.get(TABLES.devices, id) !== undefined);
  }

  getDevice(id: string): ManagedDeviceView {
    return this.#read((tx) => view(deviceIn(tx, id), readMeta(tx), this.clock.now()));
  }

  enrolDevice(body: GraphBody): ManagedDeviceView {
    return this.#write((tx) => {
      const meta = readMeta(tx);
      const now = this.clock.now();
      const device = parseEnrolment(body, peekId(meta), now);
      takeId(meta);
      tx.put(TABLES.devices, device.id, device);
      writeMeta(tx, meta);
      return view(device, meta, now);
    });
  }

  /**
   * Graph `retire` (the device leaves management: unenrolled, or lost and retired by the admin): its company data,
   * the derived credential included, is removed from the device; the device leaves every group and the tenant.
   */
  retireDevice(id: string): void {
    this.#write((tx) => {
      deviceIn(tx, id);
      tx.delete(TABLES.groupsOf, id);
      tx.delete(TABLES.devices, id);
    });
  }

  /**
   * Graph `syncDevice` (docs/intune.md §6.1): Intune pushes the device to check in now. The lab has no push channel:
   * the device's `deviceActionResults` gets a `syncDevice` entry, `pending` until its next check-in, which marks it
   * `done` — a simulated device that asks its managed device sees that a check-in is due at once.
   */
  syncDevice(id: string): void {
    this.#write((tx) => {
      const device = deviceIn(tx, id);
      const now = this.clock.now().toISOString();
      const others = (device.deviceActionResults ?? []).filter((a) => a.actionName !== "syncDevice");
      device.deviceActionResults = [...others, { actionName: "syncDevice", actionState: "pending", startDateTime: now, lastUpdatedDateTime: now }];
      tx.put(TABLES.devices, id, device);
    });
  }

  /** Compliance state (and OS updates). */
  updateDevice(id: string, body: GraphBody): ManagedDeviceView {
    return this.#write((tx) => {
      const next = patchDevice(deviceIn(tx, id), body);
      tx.put(TABLES.devices, id, next);
      return view(next, readMeta(tx), this.clock.now());
    });
  }

  /**
   * DeviceApprover (DC-ISS-02): an issuer asks whether the MDM approves this device for a derived credential — and,
   * naming the applicant, whether the device is that applicant's (its enrolled user principal name).
   */
  isApproved(deviceId: string, applicant?: Applicant): { approved: true } | { approved: false; reason: string } {
    const device = typeof deviceId === "string" ? this.#read((tx) => tx.get<ManagedDevice>(TABLES.devices, deviceId)) : undefined;
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
    return this.#write((tx) => {
      const device = deviceIn(tx, deviceId);
      const reported = parseReportedCredential(body);
      const { issuer, serialNumber, notBefore, notAfter } = reported;
      const now = this.clock.now();
      if (notAfter.getTime() <= now.getTime()) throw bad(`the credential expired at ${notAfter.toISOString()}: register a current one`, "credential-expired");
      const meta = readMeta(tx);
      const settings = meta.settings;
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
      const deletedAt = meta.settingsDeletedAt;
      const issuedEarlier = deletedAt !== undefined && Math.floor(notBefore.getTime() / 1000) < Math.floor(Date.parse(deletedAt) / 1000);
      if (tx.get(TABLES.retired, serialNumber) !== undefined || issuedEarlier) {
        throw new DpclabError(
          `credential ${serialNumber} was obtained before this tenant's issuer was deleted (${deletedAt}): credentials of a deleted issuer stay invalid (docs/intune.md §1.3)`,
          "credential-predates-issuer",
          409,
        );
      }
      if (device.derivedCredential?.serialNumber === serialNumber && device.derivedCredential.settingsGeneration === meta.settingsGeneration) {
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
        settingsGeneration: meta.settingsGeneration,
      };
      const redeployed: string[] = [];
      for (const [id, deployment] of Object.entries(device.deployed)) {
        const p = tx.get<DeviceConfiguration>(TABLES.profiles, id);
        if (p && !p.needsEdit && usesDerivedCredential(p.type, p.settings)) {
          deployment.deployment++;
          redeployed.push(id);
        }
      }
      tx.put(TABLES.devices, deviceId, device);
      return { device: view(device, meta, now), redeployed };
    });
  }

  /**
   * The device polls (§1.4, §1.5, §2): its policies, where its derived credential stands, and the notifications due.
   * Keyed reads only (the device, its groups, their profiles), so a renewal storm's check-ins cost the same in a fleet
   * of ten thousand as in one of ten.
   */
  checkIn(deviceId: string): CheckInResult {
    return this.#write((tx) => {
      const device = deviceIn(tx, deviceId);
      const now = this.clock.now();
      const meta = readMeta(tx);
      const groupIds = groupIdsOf(tx, deviceId);
      const settings = meta.settings;
      const plan = planCheckIn(device, new Set(groupIds), profilesAssignedTo(tx, groupIds), settings, meta.settingsGeneration, now);
      const notifications: TenantNotification[] = [];
      for (const notice of plan.notices) {
        for (const channel of settings ? channelsOf(settings.notificationType) : []) {
          const blocked = channel === "email" && meta.conditionalAccess.blockNonCompliantEmail && !device.compliant;
          const notification: TenantNotification = {
            id: takeId(meta),
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
      tx.put(TABLES.devices, deviceId, device);
      if (notifications.length > 0) {
        for (const n of notifications) appendToOutbox(tx, meta, n, this.#outboxLimit);
        writeMeta(tx, meta);
      }
      return {
        deviceId,
        at: now.toISOString(),
        policies: plan.policies,
        derivedCredential: plan.derivedCredential,
        notifications,
      };
    });
  }

  // ── conditional access, lints, outbox ──────────────────────────────────────────────────────────────────────

  getConditionalAccess(): ConditionalAccessPolicy {
    return this.#read(readMeta).conditionalAccess;
  }

  /** Our minimal policy `{ blockNonCompliantEmail }` (docs/intune.md §1.7, §4; a simplification of Entra conditional access). */
  setConditionalAccess(body: GraphBody): ConditionalAccessPolicy {
    return this.#write((tx) => {
      const input = asObject(body, "conditional access policy");
      onlyKnown(input, ["blockNonCompliantEmail"], "conditional access policy");
      if (typeof input.blockNonCompliantEmail !== "boolean") throw bad(`"blockNonCompliantEmail" must be true or false`, "missing-property");
      const conditionalAccess = { blockNonCompliantEmail: input.blockNonCompliantEmail };
      writeMeta(tx, { ...readMeta(tx), conditionalAccess });
      return conditionalAccess;
    });
  }

  lints(): LintFinding[] {
    return this.#read((tx) => {
      const { settings, conditionalAccess } = readMeta(tx);
      return lint({ settings, profiles: profilesOf(tx), groups: groupsOf(tx), conditionalAccess });
    });
  }

  /** The newest notifications (TenantOptions.outboxLimit), oldest first. */
  outbox(): TenantNotification[] {
    return this.#read((tx) => outboxOf(tx, this.#outboxLimit));
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────────────────────

  get #outboxLimit(): number {
    return this.options.outboxLimit ?? OUTBOX_LIMIT;
  }

  #write<R>(fn: (tx: StoreTx) => R): R {
    return this.#store.transaction(fn);
  }

  #read<R>(fn: (tx: StoreTx) => R): R {
    return this.#store.read(fn);
  }

  /** A saved state into the (empty) store, the indexes rebuilt from it. */
  #import(tx: StoreTx, state: TenantState): void {
    const meta: TenantMeta = {
      nextId: state.nextId,
      settingsGeneration: state.settingsGeneration,
      conditionalAccess: state.conditionalAccess,
      outboxNext: 0,
    };
    if (state.settings) meta.settings = state.settings;
    if (state.settingsDeletedAt !== undefined) meta.settingsDeletedAt = state.settingsDeletedAt;
    for (const serial of state.retiredSerials ?? []) tx.put(TABLES.retired, serial, true);
    for (const p of state.profiles) {
      tx.put(TABLES.profiles, p.id, p);
      reindexAssignments(tx, p.id, [], p.assignments);
    }
    for (const d of state.devices) tx.put(TABLES.devices, d.id, d);
    for (const { members, ...g } of state.groups) {
      tx.put(TABLES.groups, g.id, g satisfies StoredGroup);
      for (const m of members) {
        const groupIds = groupIdsOf(tx, m);
        if (!groupIds.includes(g.id)) setGroupIdsOf(tx, m, [...groupIds, g.id]);
      }
    }
    for (const n of state.outbox) appendToOutbox(tx, meta, n, this.#outboxLimit);
    writeMeta(tx, meta);
  }
}

function settingsOf(meta: TenantMeta, id: string): DerivedCredentialSettings {
  const s = meta.settings;
  if (!s || s.id !== id) throw new DpclabError(`no derived credential settings with id ${id}`, "not-found", 404);
  return s;
}

function profileIn(tx: StoreTx, id: string): DeviceConfiguration {
  const p = tx.get<DeviceConfiguration>(TABLES.profiles, id);
  if (!p) throw new DpclabError(`no device configuration with id ${id}`, "not-found", 404);
  return p;
}

/** A profile whose type has the derivedCredentialSettings navigation property (others: 400, as Graph). */
function navigable(tx: StoreTx, id: string): DeviceConfiguration {
  const profile = profileIn(tx, id);
  if (!hasDerivedCredentialSettings(profile.type)) {
    throw bad(`${profile.type} has no navigation property "derivedCredentialSettings" (docs/intune.md §3.2)`, "no-such-navigation-property");
  }
  return profile;
}

/** Splits `derivedCredentialSettings@odata.bind` off a profile body and resolves it (nothing is stored here). */
function takeSettingsBind(meta: TenantMeta, type: DeviceConfiguration["type"], input: GraphBody): { body: GraphBody; bound?: string } {
  if (!Object.hasOwn(input, SETTINGS_BIND)) return { body: input };
  if (!hasDerivedCredentialSettings(type))
    throw bad(`${type} has no navigation property "derivedCredentialSettings" (docs/intune.md §3.2)`, "no-such-navigation-property");
  const body: GraphBody = Object.create(null);
  for (const [k, v] of Object.entries(input)) if (k !== SETTINGS_BIND) body[k] = v;
  return { body, bound: settingsReference(meta, input[SETTINGS_BIND], `"${SETTINGS_BIND}"`) };
}

/** An entity reference to the tenant's settings: a URL (absolute or relative) ending …/deviceManagement/derivedCredentials/{id}. */
function settingsReference(meta: TenantMeta, value: unknown, what: string): string {
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
  const settings = meta.settings;
  if (!settings || settings.id !== id)
    throw bad(`${what} names derived credential settings ${JSON.stringify(id.slice(0, 64))}, which this tenant does not have`, "unknown-reference");
  return id;
}

function groupIn(tx: StoreTx, id: string): StoredGroup {
  const g = tx.get<StoredGroup>(TABLES.groups, id);
  if (!g) throw new DpclabError(`no group with id ${id}`, "not-found", 404);
  return g;
}

function deviceIn(tx: StoreTx, id: string): ManagedDevice {
  const d = tx.get<ManagedDevice>(TABLES.devices, id);
  if (!d) throw new DpclabError(`no managed device with id ${id}`, "not-found", 404);
  return d;
}

function view(device: ManagedDevice, meta: TenantMeta, now: Date): ManagedDeviceView {
  const { deployed: _d, notified: _n, derivedCredential, ...rest } = device;
  const result: ManagedDeviceView = rest;
  const settings = meta.settings;
  if (derivedCredential) {
    const { certificate: _c, settingsGeneration: _g, ...summary } = derivedCredential;
    result.derivedCredential = {
      ...summary,
      state: credentialState(derivedCredential, settings, meta.settingsGeneration, now),
      ...(settings ? { renewalDueAt: renewalDueAt(derivedCredential, settings.renewalThresholdPercentage).toISOString() } : {}),
    };
  }
  return result;
}

/** Deterministic GUID-shaped ids (a seeded run gets the same ids every time). */
function peekId(meta: TenantMeta): string {
  return `00000000-0000-4000-8000-${meta.nextId.toString(16).padStart(12, "0")}`;
}

function takeId(meta: TenantMeta): string {
  const id = peekId(meta);
  meta.nextId++;
  return id;
}
