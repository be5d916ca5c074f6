import type { StoreTx } from "../../src/store/index.js";
import type { DerivedCredentialSettings } from "./derived-credential-settings.js";
import type { DeviceConfiguration } from "./device-configuration.js";
import type { Group } from "./group.js";
import type { ManagedDevice } from "./managed-device.js";
import type { ConditionalAccessPolicy, TenantNotification } from "./notification.js";

/**
 * Where the tenant keeps its state in the lab store (issue 14), and the small indexes that keep every per-device
 * request a handful of keyed reads in a fleet of ten thousand. Keys are ids the tenant made (or serials); table names
 * are these fixed strings.
 */
export const TABLES = {
  /** One row, META_KEY: the tenant-wide scalars (TenantMeta). */
  meta: "tenant/meta",
  /** Profile id → DeviceConfiguration. */
  profiles: "tenant/profiles",
  /** Group id → StoredGroup (its members are the index below, not a list in the group: adding one writes one row). */
  groups: "tenant/groups",
  /** Device id → ManagedDevice. */
  devices: "tenant/devices",
  /** Serial → true: serials registered under a deleted issuer, never accepted again (docs/intune.md §1.3). */
  retired: "tenant/retired",
  /** Device id → the ids of its groups, in the order it joined them. */
  groupsOf: "tenant/groups-of",
  /** Group id → the ids of the profiles assigned to it: a check-in reads its groups' profiles, not every profile. */
  profilesOf: "tenant/profiles-of",
  /** Zero-padded sequence number → TenantNotification: key order is age order; the newest outboxLimit are kept. */
  outbox: "tenant/outbox",
} as const;

export const META_KEY = "tenant";
/** The MAC key of the Graph paging tokens (base64): one per lab, so a nextLink survives a restart and works on every server. */
export const SKIPTOKEN_KEY = "skiptoken-key";

/** The tenant-wide scalars, read by nearly every request: one small row. */
export interface TenantMeta {
  nextId: number;
  /** Bumped each time an issuer is added: credentials carry the generation they were obtained under (§1.3). */
  settingsGeneration: number;
  settings?: DerivedCredentialSettings;
  /** When an issuer was last deleted: a credential issued then or before belongs to a deleted issuer (§1.3). */
  settingsDeletedAt?: string;
  conditionalAccess: ConditionalAccessPolicy;
  /** The sequence number the next outbox entry gets (how many were ever sent). */
  outboxNext: number;
}

export type StoredGroup = Omit<Group, "members">;

export const EMPTY_META: TenantMeta = { nextId: 1, settingsGeneration: 0, conditionalAccess: { blockNonCompliantEmail: false }, outboxNext: 0 };

const SEQUENCE_DIGITS = 16;

export function readMeta(tx: StoreTx): TenantMeta {
  return tx.get<TenantMeta>(TABLES.meta, META_KEY) ?? { ...EMPTY_META };
}

export function writeMeta(tx: StoreTx, meta: TenantMeta): void {
  tx.put(TABLES.meta, META_KEY, meta);
}

export function groupIdsOf(tx: StoreTx, deviceId: string): string[] {
  return tx.get<string[]>(TABLES.groupsOf, deviceId) ?? [];
}

export function setGroupIdsOf(tx: StoreTx, deviceId: string, groupIds: string[]): void {
  if (groupIds.length === 0) tx.delete(TABLES.groupsOf, deviceId);
  else tx.put(TABLES.groupsOf, deviceId, groupIds);
}

/** The members of every group, from the device → groups index (a scan: for views and lints, not per-device requests). */
export function membersByGroup(tx: StoreTx): Map<string, string[]> {
  const members = new Map<string, string[]>();
  for (const [deviceId, groupIds] of tx.entries<string[]>(TABLES.groupsOf)) {
    for (const g of groupIds) {
      const list = members.get(g);
      if (list) list.push(deviceId);
      else members.set(g, [deviceId]);
    }
  }
  return members;
}

/** Moves a profile's entries in the group → profiles index from its old assignments to its new ones. */
export function reindexAssignments(tx: StoreTx, profileId: string, before: string[], after: string[]): void {
  const next = new Set(after);
  for (const g of before) {
    if (next.has(g)) continue;
    const left = (tx.get<string[]>(TABLES.profilesOf, g) ?? []).filter((p) => p !== profileId);
    if (left.length === 0) tx.delete(TABLES.profilesOf, g);
    else tx.put(TABLES.profilesOf, g, left);
  }
  const previous = new Set(before);
  for (const g of after) {
    if (previous.has(g)) continue;
    const ids = tx.get<string[]>(TABLES.profilesOf, g) ?? [];
    if (!ids.includes(profileId)) tx.put(TABLES.profilesOf, g, [...ids, profileId]);
  }
}

/**
 * The profiles assigned to any of these groups, in creation order (ids are made in order and compare as they were
 * made): what a check-in targets from, in as many keyed reads as there are groups and profiles.
 */
export function profilesAssignedTo(tx: StoreTx, groupIds: readonly string[]): DeviceConfiguration[] {
  const ids = new Set<string>();
  for (const g of groupIds) for (const p of tx.get<string[]>(TABLES.profilesOf, g) ?? []) ids.add(p);
  const out: DeviceConfiguration[] = [];
  for (const id of [...ids].sort()) {
    const profile = tx.get<DeviceConfiguration>(TABLES.profiles, id);
    if (profile) out.push(profile);
  }
  return out;
}

/** Appends to the outbox and drops the entry that falls out of the newest `limit` (meta.outboxNext advances; put meta after). */
export function appendToOutbox(tx: StoreTx, meta: TenantMeta, notification: TenantNotification, limit: number): void {
  const seq = meta.outboxNext;
  tx.put(TABLES.outbox, sequenceKey(seq), notification);
  if (seq >= limit) tx.delete(TABLES.outbox, sequenceKey(seq - limit));
  meta.outboxNext = seq + 1;
}

/** The newest `limit` notifications, oldest first (a store written with a larger limit may hold older ones too). */
export function outboxOf(tx: StoreTx, limit: number): TenantNotification[] {
  return tx
    .entries<TenantNotification>(TABLES.outbox)
    .slice(-limit)
    .map(([, n]) => n);
}

export function devicesOf(tx: StoreTx): ManagedDevice[] {
  return tx.entries<ManagedDevice>(TABLES.devices).map(([, d]) => d);
}

export function profilesOf(tx: StoreTx): DeviceConfiguration[] {
  return tx.entries<DeviceConfiguration>(TABLES.profiles).map(([, p]) => p);
}

/** Every group with its members. */
export function groupsOf(tx: StoreTx): Group[] {
  const members = membersByGroup(tx);
  return tx.entries<StoredGroup>(TABLES.groups).map(([id, g]) => ({ ...g, members: members.get(id) ?? [] }));
}

/** Whether any tenant state is in the store (a tenant was made on it before). */
export function hasTenant(tx: StoreTx): boolean {
  return tx.get(TABLES.meta, META_KEY) !== undefined;
}

function sequenceKey(seq: number): string {
  return String(seq).padStart(SEQUENCE_DIGITS, "0");
}
