import type { IssuerName, Platform } from "../emulators/derived/index.js";
import { GRAPH_ISSUER } from "../emulators/derived/index.js";
import type { DeviationId } from "./deviations.js";

/**
 * The model of the scenarios: what the tenant, the issuers, the cards and the devices *should* be doing, kept small
 * enough to read. Every command predicts its outcome from it (and updates it); the invariants compare it with the
 * real stack. Times are milliseconds since the run's start on the virtual clock.
 *
 * Rules the model encodes, with where they come from:
 * - one issuer per tenant, delete = every credential obtained under it invalid, profiles need an edit (docs/intune.md §1.2, §1.3);
 * - renewal due at (100 − threshold) % of the lifetime, notified once per credential (docs/intune.md §1.4);
 * - card checks at PKI-AUTH: blocked card, revoked PIV Auth certificate, terminated account (DC-ISS-04, DC-LNK-02);
 * - seven-day recheck of the card used to obtain a credential (DC-ISS-06); card loss after the window leaves it (DC-LNK-04);
 * - account termination revokes every credential of the card at the issuer's next monitoring pass (DC-TRM-02);
 * - a lost device's credentials are revoked (DC-TRM-01); an Intercede rekey supersedes its predecessor (DC-MNT-06);
 * - the PIN blocks after 10 consecutive wrong tries and the PUK resets it (DC-ACT-07, DC-ACT-04).
 */

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
/** Derived credential lifetime in the scenarios: short, so the threshold, the seven days and expiry are all reachable. */
export const VALIDITY_DAYS = 60;
export const VALIDITY_MS = VALIDITY_DAYS * DAY_MS;
/** DC-ISS-06. */
export const RECHECK_AFTER_MS = 7 * DAY_MS;
/** Intercede MyID requests the rekey this long before expiry (emulators/intercede default, docs/anchors.md §5). */
export const INTERCEDE_REKEY_BEFORE_MS = 28 * DAY_MS;
/** DC-ISS-11: the issuers' cap of active credentials per PIV Card (emulators/derived default). */
export const MAX_ACTIVE_PER_CARD = 5;
/** DC-ACT-07 / FIPS 201-3 §4.3.1. */
export const MAX_PIN_TRIES = 10;
/** Card 0 of the deck is the Purebred registration agent: never revoked, terminated or blocked by a scenario. */
export const AGENT_CARD = 0;
/** The cardholders the commands pick from. */
export const USER_CARDS = [1, 2, 3, 4, 5, 6] as const;
export const DECK_SIZE = USER_CARDS.length + 1;
export const MAX_DEVICES = 6;
export const ISSUERS: readonly IssuerName[] = ["purebred", "entrust", "intercede"];
export const PLATFORMS: readonly Platform[] = ["ios", "android"];

export type NotificationType = "none" | "companyPortal" | "email" | "companyPortal,email";
export type Channel = "companyPortal" | "email";
export type ProfileKind = "wifi" | "vpn" | "email" | "appAuth" | "trustedRoot" | "restrictions";
export type RevokedFor = "lost" | "terminated" | "recheck" | "superseded";
export type TenantCredentialState = "none" | "valid" | "renewal-due" | "expired" | "invalid-issuer-deleted";

export interface IssuerSettingsModel {
  name: IssuerName;
  notificationType: NotificationType;
  /** renewalThresholdPercentage: the share of the lifetime still left when renewal becomes due. */
  threshold: number;
}

export interface CardModel {
  index: number;
  triesLeft: number;
  revokedAt?: number;
  terminatedAt?: number;
  /** Model.ticks when the account was terminated: the issuers act on it at the next tick. */
  terminatedAtTick?: number;
}

export interface CredentialModel {
  /** Index in Model.credentials; the world keeps the real record under the same index. */
  id: number;
  issuer: IssuerName;
  cardIndex: number;
  device: number;
  platform: Platform;
  issuedAt: number;
  notAfter: number;
  /** The tenant's settings generation when it was issued (undefined: no issuer was configured). */
  issuedUnder: number | undefined;
  /** How many issuer deletions had happened when it was issued: a later one makes it an old credential (docs/intune.md §1.3). */
  deletionsBefore: number;
  /** It was a device's registered credential when the tenant's issuer was deleted: never accepted again (§1.3). */
  retiredByDeletion?: true;
  /** How it was obtained: a PKI-AUTH at a kiosk, or an Intercede rekey of `predecessor` (DC-MNT-01). */
  via: "pki-auth" | "rekey";
  predecessor?: number;
  /** When the PKI-AUTH it descends from took place (its own issuance, or its rekey ancestor's). */
  pkiAuthAt: number;
  rechecked: boolean;
  /** The seven-day recheck found the card revoked inside the window (DC-ISS-06). */
  recheckFoundRevoked?: boolean;
  revokedAt?: number;
  revokedFor?: RevokedFor;
}

export interface DeviceModel {
  index: number;
  platform: Platform;
  cardIndex: number;
  compliant: boolean;
  lost: boolean;
  /** The latest credential the device received. */
  held?: number;
  /** What the tenant has on record for the device. */
  registered?: { credential: number; generation: number };
  /** The tenant's once-only notification keys of this device (renewal:<credential>, enrolment:…). */
  notified: string[];
}

export interface ProfileModel {
  index: number;
  kind: ProfileKind;
  platform: Platform;
  usesDerivedCredential: boolean;
  providesIssuerAccess: boolean;
  cameraBlocked: boolean;
  needsEdit: boolean;
  assigned: boolean;
}

/** A renewal notification the tenant should have produced (docs/intune.md §1.4). */
export interface RenewalNoticeModel {
  device: number;
  credential: number;
  channel: Channel;
  delivered: boolean;
  at: number;
  /** When renewal became due, with the threshold in force when the notice went out. */
  dueAt: number;
}

export interface Model {
  now: number;
  issuer?: IssuerSettingsModel;
  /** Bumped each time an issuer is added (the tenant's settingsGeneration). */
  generation: number;
  /** When issuers were deleted. */
  deletions: number[];
  blockNonCompliantEmail: boolean;
  cards: CardModel[];
  devices: DeviceModel[];
  profiles: ProfileModel[];
  credentials: CredentialModel[];
  renewalNotices: RenewalNoticeModel[];
  /** When the issuers last ran their due checks (every clock move through /__admin), and how many times they did. */
  lastTickAt?: number;
  ticks: number;
}

export function initialModel(): Model {
  return {
    now: 0,
    generation: 0,
    deletions: [],
    blockNonCompliantEmail: false,
    cards: Array.from({ length: DECK_SIZE }, (_, index) => ({ index, triesLeft: MAX_PIN_TRIES })),
    devices: [],
    profiles: [],
    credentials: [],
    renewalNotices: [],
    ticks: 0,
  };
}

export function card(m: Model, index: number): CardModel {
  const c = m.cards[index];
  if (!c) throw new Error(`the model has no card ${index}`);
  return c;
}

export function credential(m: Model, id: number): CredentialModel {
  const c = m.credentials[id];
  if (!c) throw new Error(`the model has no credential ${id}`);
  return c;
}

/** A command's pick among the live (not lost) devices, by slot modulo their count; undefined when there is none. */
export function pickDevice(m: Model, slot: number, filter: (d: DeviceModel) => boolean = () => true): DeviceModel | undefined {
  const live = m.devices.filter((d) => !d.lost && filter(d));
  return live.length ? live[slot % live.length] : undefined;
}

export function pickCard(slot: number): number {
  return USER_CARDS[slot % USER_CARDS.length] as number;
}

export function channelsOf(type: NotificationType): Channel[] {
  return type === "none" ? [] : (type.split(",") as Channel[]);
}

export function graphIssuer(name: IssuerName): string {
  return GRAPH_ISSUER[name];
}

// ── predictions ─────────────────────────────────────────────────────────────────────────────────────────────

/** A predicted outcome; `deviation`: what the emulator does here contradicts the reference (scenarios/deviations.ts). */
export type Outcome = { ok: true } | { ok: false; code: string; deviation?: DeviationId };
export const OK: Outcome = { ok: true };
export const refused = (code: string): Outcome => ({ ok: false, code });

export function isActive(c: CredentialModel, now: number): boolean {
  return c.revokedAt === undefined && now < c.notAfter;
}

/** DC-ISS-11: the issuer counts its credentials of a card that are neither revoked nor expired. */
export function activeCount(m: Model, issuer: IssuerName, cardIndex: number): number {
  return m.credentials.filter((c) => c.issuer === issuer && c.cardIndex === cardIndex && isActive(c, m.now)).length;
}

/** The cap check (DC-ISS-11), `replaced` credentials (a rekey's predecessor) not counted. */
function capCheck(m: Model, issuer: IssuerName, cardIndex: number, replaced: number): Outcome {
  return activeCount(m, issuer, cardIndex) - replaced >= MAX_ACTIVE_PER_CARD ? refused("too-many-credentials") : OK;
}

/** The cardholder's side of PKI-AUTH at a kiosk (DC-ISS-04, DC-LNK-02), with the right PIN. */
export function predictPkiAuth(m: Model, cardIndex: number): Outcome {
  const c = card(m, cardIndex);
  if (c.triesLeft <= 0) return refused("card-blocked");
  if (c.revokedAt !== undefined) return refused("pki-auth-failed:revoked");
  if (c.terminatedAt !== undefined) return refused("account-terminated");
  return OK;
}

/** Can the device reach the on-premises network (docs/intune.md §1.8)? Through an access profile that does not need the credential it is after. */
export function onPremises(m: Model, d: DeviceModel): boolean {
  const state = tenantState(m, d);
  const holdsValid = state === "valid" || state === "renewal-due";
  return m.profiles.some(
    (p) =>
      p.assigned &&
      p.platform === d.platform &&
      p.providesIssuerAccess &&
      (!p.usesDerivedCredential || (holdsValid && !p.needsEdit && d.held !== undefined && isActive(credential(m, d.held), m.now))),
  );
}

/** A device restriction blocking the camera reaches every device of its platform (all devices are in the scenario group). */
export function cameraBlocked(m: Model, platform: Platform): boolean {
  return m.profiles.some((p) => p.assigned && p.platform === platform && p.cameraBlocked);
}

/**
 * The issuer workflow for a device (docs/intune.md §2), in the order each issuer checks things: Entrust checks the camera
 * before anyone goes to the kiosk; Intercede after its QR code is shown; Purebred needs the on-premises network; the
 * issuance core then checks the device approval (DC-ISS-02), the account (DC-LNK-02) and the cap (DC-ISS-11).
 */
export function predictWorkflow(m: Model, d: DeviceModel, issuer: IssuerName, opts: { typo?: boolean } = {}): Outcome {
  const camera = !cameraBlocked(m, d.platform);
  if (issuer === "entrust" && !camera) return refused("camera-blocked");
  const c = card(m, d.cardIndex);
  if (opts.typo && c.triesLeft === 1) return refused("card-blocked"); // the typo used up the last try
  const auth = predictPkiAuth(m, d.cardIndex);
  if (!auth.ok) return auth;
  if (issuer === "intercede" && !camera) return refused("camera-blocked");
  if (issuer === "purebred" && !onPremises(m, d)) return refused("no-on-premises-network");
  if (d.lost || !d.compliant) return refused("device-not-approved"); // a lost device was retired: no longer enrolled (DC-ISS-02)
  return capCheck(m, issuer, d.cardIndex, 0);
}

/** a is in an earlier whole second than b (model times count from SCENARIO_START, a whole second). */
export function issuedEarlierSecond(a: number, b: number): boolean {
  return Math.floor(a / 1000) < Math.floor(b / 1000);
}

/**
 * Whether the tenant must refuse this credential because of an issuer deletion (docs/intune.md §1.3): it was registered
 * when the issuer was deleted, or issued in a second before the last deletion. One issued within the deletion's own
 * second and never registered cannot be told apart from a newer one (X.509 times have one-second precision).
 */
export function predatesIssuer(m: Model, c: CredentialModel): boolean {
  const lastDeletion = m.deletions.at(-1);
  return c.retiredByDeletion === true || (lastDeletion !== undefined && issuedEarlierSecond(c.issuedAt, lastDeletion));
}

/** The tenant's answer to POST …/derivedCredential (docs/intune.md §1.2). */
export function predictRegistration(m: Model, issuer: IssuerName, issuedAt: number): Outcome {
  if (!m.issuer) return refused("no-derived-credential-issuer");
  if (m.issuer.name !== issuer) return refused("issuer-mismatch");
  // the tenant refuses a credential issued in a second before the last issuer deletion (docs/intune.md §1.3; X.509 times
  // have one-second precision); re-registering one registered before a deletion is refused too (ReRegisterOldCredential)
  const lastDeletion = m.deletions.at(-1);
  if (lastDeletion !== undefined && issuedEarlierSecond(issuedAt, lastDeletion)) return refused("credential-predates-issuer");
  return OK;
}

/** MyID automatic rekey (docs/anchors.md §5; DC-MNT-01/03/06): the poll and, when due, the rekey itself. */
export function predictRekey(m: Model, d: DeviceModel, held: CredentialModel): Outcome | { ok: false; code: "not-due" } {
  if (held.revokedAt !== undefined) return refused("credential-revoked");
  if (m.now >= held.notAfter) return refused("credential-expired");
  if (card(m, held.cardIndex).terminatedAt !== undefined) return refused("account-terminated");
  if (m.now < held.notAfter - INTERCEDE_REKEY_BEFORE_MS) return { ok: false, code: "not-due" };
  if (d.lost || !d.compliant) return refused("device-not-approved");
  return capCheck(m, "intercede", held.cardIndex, 1);
}

export function renewalDueAt(c: CredentialModel, threshold: number): number {
  return c.notAfter - Math.round(((c.notAfter - c.issuedAt) * threshold) / 100);
}

/** emulators/tenant credential-state, from the model (docs/intune.md §1.3, §1.4). */
export function tenantState(m: Model, d: DeviceModel): TenantCredentialState {
  if (!d.registered) return "none";
  const c = credential(m, d.registered.credential);
  if (!m.issuer || d.registered.generation !== m.generation) return "invalid-issuer-deleted";
  if (m.now >= c.notAfter) return "expired";
  if (m.now >= renewalDueAt(c, m.issuer.threshold)) return "renewal-due";
  return "valid";
}

/** The credential's status at its issuer's CA now: "good" or "revoked" (expiry is judged separately). */
export function caStatus(c: CredentialModel): "good" | "revoked" {
  return c.revokedAt === undefined ? "good" : "revoked";
}

// ── state changes ───────────────────────────────────────────────────────────────────────────────────────────

export function revoke(c: CredentialModel, at: number, why: RevokedFor): void {
  if (c.revokedAt === undefined) {
    c.revokedAt = at;
    c.revokedFor = why;
  }
}

/**
 * What the issuers' due checks do at a clock move (emulators/stack tick): the seven-day recheck of the card that was
 * used (DC-ISS-06; a revocation after the window is card loss, DC-LNK-04), then account monitoring (DC-TRM-02).
 *
 * A rekeyed credential was obtained with its predecessor, not with the card: its recheck is the predecessor's (due
 * seven days after the PKI-AUTH it descends from, and done once), so only a card revocation within that window counts.
 */
export function tick(m: Model): void {
  m.lastTickAt = m.now;
  m.ticks++;
  for (const c of m.credentials) {
    if (c.rechecked || m.now < c.pkiAuthAt + RECHECK_AFTER_MS) continue;
    c.rechecked = true;
    if (c.predecessor !== undefined && credential(m, c.predecessor).rechecked) continue; // already done for the card
    const revokedAt = card(m, c.cardIndex).revokedAt;
    if (revokedAt === undefined) continue;
    c.recheckFoundRevoked = revokedAt <= c.pkiAuthAt + RECHECK_AFTER_MS;
    if (c.recheckFoundRevoked) revoke(c, m.now, "recheck");
  }
  for (const c of m.credentials) if (card(m, c.cardIndex).terminatedAt !== undefined) revoke(c, m.now, "terminated");
}

/** The tenant's check-in (emulators/tenant check-in): only the renewal notice is modelled (docs/intune.md §1.4). */
export function checkIn(m: Model, d: DeviceModel): TenantCredentialState {
  const state = tenantState(m, d);
  if (state === "renewal-due" && m.issuer && d.registered) {
    const key = `renewal:${d.registered.credential}`;
    if (!d.notified.includes(key)) {
      for (const channel of channelsOf(m.issuer.notificationType)) {
        const delivered = !(channel === "email" && m.blockNonCompliantEmail && !d.compliant);
        const dueAt = renewalDueAt(credential(m, d.registered.credential), m.issuer.threshold);
        m.renewalNotices.push({ device: d.index, credential: d.registered.credential, channel, delivered, at: m.now, dueAt });
      }
      d.notified.push(key);
    }
  }
  return state;
}

// ── lints (docs/intune.md §1.7, §4) ──────────────────────────────────────────────────────────────────────────────

export function expectedLints(m: Model): string[] {
  const out = new Set<string>();
  const assigned = m.profiles.filter((p) => p.assigned);
  if (m.issuer && m.issuer.name !== "purebred" && assigned.some((p) => p.cameraBlocked)) out.add("camera-blocked-qr-enrolment");
  if (m.profiles.some((p) => p.providesIssuerAccess && p.usesDerivedCredential)) out.add("issuer-access-deadlock");
  if (m.issuer?.notificationType === "email" && m.blockNonCompliantEmail) out.add("email-notifications-blocked");
  if (m.issuer?.notificationType === "none") out.add("notifications-off");
  for (const platform of PLATFORMS) {
    const dc = assigned.some((p) => p.platform === platform && p.usesDerivedCredential);
    const root = assigned.some((p) => p.platform === platform && p.kind === "trustedRoot");
    if (dc && !root) out.add("trusted-root-missing");
  }
  if (m.issuer?.name === "purebred" && !assigned.some((p) => p.providesIssuerAccess && !p.usesDerivedCredential)) out.add("purebred-no-network-access");
  return [...out].sort();
}
