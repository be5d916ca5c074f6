import pkcs11js from "pkcs11js";
import { DpclabError } from "../errors.js";
import { isCkr, p11, toPkcs11Error } from "./errors.js";
import { resolveModulePath } from "./module-path.js";
import { Pkcs11Session, type SessionHost } from "./session.js";

/** A PKCS#11 slot id. Never persist it: SoftHSM renumbers slots after C_InitToken (docs/architecture.md pitfalls). */
export type SlotId = Buffer;

export interface TokenSummary {
  slot: SlotId;
  label: string;
  serial: string;
}

/**
 * C_Initialize is per process, so one library per module path per process — per JS realm, strictly: each worker
 * thread loads its own pkcs11js instance (and so its own Pkcs11Library and token index) onto the one native module.
 */
const registry = new Map<string, Pkcs11Library>();

/** How often a card missing from a fresh library is looked for again (see tokenSettled), and the first pause. */
const TOKEN_RESCANS = 4;
const RESCAN_PAUSE_MS = 10;
/** How often C_GetTokenInfo is asked when the token answers CKR_GENERAL_ERROR (a token file mid-rewrite). */
const TOKEN_INFO_ROUNDS = 4;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** C_GetTokenInfo answers for a slot id that no longer holds what it held (renumbered, removed). */
const SLOT_GONE = ["CKR_SLOT_ID_INVALID", "CKR_TOKEN_NOT_PRESENT", "CKR_DEVICE_REMOVED", "CKR_TOKEN_NOT_RECOGNIZED"];

/** What the token index knows about one slot: the label of its token, or null while it holds none. */
type SlotState = { slot: SlotId; label: string | null; serial: string };

/**
 * One loaded PKCS#11 module (SoftHSM by default). Synchronous pkcs11js calls only: the async variants read
 * borrowed Buffers on a worker thread (pkcs11js #121, docs/architecture.md pitfalls).
 */
export class Pkcs11Library implements SessionHost {
  readonly modulePath: string;
  #module: pkcs11js.PKCS11;
  #softhsmConf: string | undefined;
  #generation = 0;
  #open = true;
  /** Sessions opened in this generation and not closed: a re-initialisation would kill them. */
  #liveSessions = 0;
  /**
   * label → slot of every token seen in this generation, and every slot seen (by id, hex) with its state. A card open
   * looks a label up here and confirms it with one C_GetTokenInfo instead of scanning every slot (which made opening N
   * cards O(N²)); a miss scans only slots not seen before plus those seen empty (another thread may have initialised
   * them). Cleared on re-initialisation: slot ids and visible tokens change then.
   */
  readonly #byLabel = new Map<string, SlotState>();
  readonly #bySlot = new Map<string, SlotState>();
  /** Slots (hex) whose token's PIN only its guard's holder may present (PIV cards); reset with the slot ids. */
  readonly #pinGuards = new Map<string, { key: symbol; holders: number }>();

  private constructor(modulePath: string, softhsmConf: string | undefined) {
    this.modulePath = modulePath;
    this.#softhsmConf = softhsmConf;
    this.#module = new pkcs11js.PKCS11();
    p11("load", () => this.#module.load(modulePath));
    this.#initialize(softhsmConf);
  }

  /**
   * The process-wide library for this module. If it is already open with another SoftHSM config, it is
   * re-initialised onto the new one, which invalidates every session opened before.
   */
  static open(opts: { modulePath?: string; softhsmConf?: string } = {}): Pkcs11Library {
    const modulePath = opts.modulePath ?? resolveModulePath();
    const existing = registry.get(modulePath);
    if (existing) {
      if (opts.softhsmConf !== undefined && opts.softhsmConf !== existing.softhsmConf) {
        existing.reinitialize({ softhsmConf: opts.softhsmConf });
      }
      return existing;
    }
    const lib = new Pkcs11Library(modulePath, opts.softhsmConf);
    registry.set(modulePath, lib);
    return lib;
  }

  get softhsmConf(): string | undefined {
    return this.#softhsmConf;
  }

  /** Bumped on every re-initialisation; sessions from an older generation are dead. */
  get generation(): number {
    return this.#generation;
  }

  get module(): pkcs11js.PKCS11 {
    if (!this.#open) throw new DpclabError("the PKCS#11 library is closed", "pkcs11-closed", 500);
    return this.#module;
  }

  /**
   * C_Finalize + C_Initialize. SoftHSM reads SOFTHSM2_CONF and scans its token directory only at C_Initialize,
   * so this is how a process sees tokens another process made, or a token directory moved from tmpfs.
   */
  reinitialize(opts: { softhsmConf?: string } = {}): void {
    p11("C_Finalize", () => this.module.C_Finalize());
    this.#generation++;
    this.#liveSessions = 0;
    this.#forgetTokens();
    this.#pinGuards.clear();
    this.#initialize(opts.softhsmConf ?? this.#softhsmConf);
  }

  close(): void {
    if (!this.#open) return;
    try {
      p11("C_Finalize", () => this.#module.C_Finalize());
    } finally {
      this.#module.close();
      this.#open = false;
      this.#generation++;
      this.#forgetTokens();
      this.#pinGuards.clear();
      registry.delete(this.modulePath);
    }
  }

  /** Initialised tokens only (SoftHSM always shows one extra, empty slot). A full scan: it also refreshes the index. */
  tokens(): TokenSummary[] {
    const m = this.module;
    const slots = p11("C_GetSlotList", () => m.C_GetSlotList(true));
    this.#forgetTokens();
    const out: TokenSummary[] = [];
    for (const slot of slots) {
      const state = this.#observe(slot);
      if (state?.label != null) out.push({ slot, label: state.label, serial: state.serial });
    }
    return out;
  }

  /**
   * The initialised token with this label, found through the index: a known label costs one C_GetTokenInfo (to
   * confirm it is still there), an unknown one a C_GetSlotList plus C_GetTokenInfo of the slots not seen yet.
   */
  token(label: string): TokenSummary | undefined {
    const known = this.#byLabel.get(label);
    if (known) {
      const state = this.#observe(known.slot);
      if (state?.label === label) return { slot: state.slot, label, serial: state.serial };
    }
    const m = this.module;
    const slots = p11("C_GetSlotList", () => m.C_GetSlotList(true));
    const present = new Set<string>();
    for (const slot of slots) {
      const key = slot.toString("hex");
      present.add(key);
      const seen = this.#bySlot.get(key);
      // A slot seen holding a token keeps it (tokens are only initialised on empty slots); empty ones may have filled.
      if (seen?.label != null) continue;
      this.#observe(slot);
    }
    for (const [key, state] of this.#bySlot) if (!present.has(key)) this.#drop(key, state);
    const found = this.#byLabel.get(label);
    return found ? { slot: found.slot, label, serial: found.serial } : undefined;
  }

  /**
   * Until the returned release is called (by every holder) or the library re-initialises, a PIN reaches this slot's
   * token only with `key` (Pkcs11Session.login). SoftHSM has no PIN retry counter; PivCard keeps one and guards its
   * token while open, so nothing else in this process can present the PIN around it.
   */
  guardPin(slot: SlotId, key: symbol): () => void {
    const id = slot.toString("hex");
    const held = this.#pinGuards.get(id);
    if (held && held.key !== key) throw new DpclabError("this token's PIN is already guarded by another owner", "pin-guarded", 500);
    const guard = held ?? { key, holders: 0 };
    guard.holders++;
    this.#pinGuards.set(id, guard);
    const generation = this.#generation;
    let released = false;
    return () => {
      if (released || generation !== this.#generation) return; // re-initialised: the guards are gone already
      released = true;
      if (--guard.holders === 0 && this.#pinGuards.get(id) === guard) this.#pinGuards.delete(id);
    };
  }

  pinGuard(slot: SlotId): symbol | undefined {
    return this.#pinGuards.get(slot.toString("hex"))?.key;
  }

  /**
   * token(label), and while it is missing and this process holds no session, re-initialise and look again a few
   * times. SoftHSM rewrites a token's token.object on every C_Login (the CKF_USER_PIN_COUNT_LOW flag) without an
   * atomic replace, so a process whose C_Initialize scans the token dir at that instant does not see the token:
   * 3 of 60 parallel `pki-auth` with wrong PINs failed with "no card … in the token store" (issue 10 item 3).
   */
  tokenSettled(label: string): TokenSummary | undefined {
    let found = this.token(label);
    for (let i = 0; !found && i < TOKEN_RESCANS && this.#liveSessions === 0; i++) {
      Atomics.wait(pause, 0, 0, RESCAN_PAUSE_MS * 2 ** i); // synchronous: the callers are
      this.reinitialize();
      found = this.token(label);
    }
    return found;
  }

  sessionClosed(): void {
    if (this.#liveSessions > 0) this.#liveSessions--;
  }

  findSlotByLabel(label: string): SlotId | undefined {
    return this.token(label)?.slot;
  }

  /** C_GetTokenInfo of one slot, recorded in the index; undefined (and forgotten) when the slot is gone. */
  #observe(slot: SlotId): SlotState | undefined {
    const m = this.module;
    const key = slot.toString("hex");
    const old = this.#bySlot.get(key);
    let info: pkcs11js.TokenInfo;
    for (let round = 1; ; round++) {
      try {
        info = p11("C_GetTokenInfo", () => m.C_GetTokenInfo(slot));
        break;
      } catch (e) {
        // SoftHSM rewrites a token's file in place at every C_Login: read by another process at that instant, the
        // token answers CKR_GENERAL_ERROR (seen in 1 of 20 parallel pki-auth under load). Asked again, it answers.
        if (isCkr(e, "CKR_GENERAL_ERROR") && round < TOKEN_INFO_ROUNDS) {
          Atomics.wait(pause, 0, 0, RESCAN_PAUSE_MS * round);
          continue;
        }
        if (!SLOT_GONE.some((ckr) => isCkr(e, ckr))) throw e;
        if (old) this.#drop(key, old);
        return undefined;
      }
    }
    const label = info.flags & pkcs11js.CKF_TOKEN_INITIALIZED ? trimPadding(info.label) : null;
    if (old && old.label !== label) this.#drop(key, old);
    const state: SlotState = { slot, label, serial: trimPadding(info.serialNumber) };
    this.#bySlot.set(key, state);
    if (label !== null) {
      // Two tokens with one label: the first one seen wins, as a scan in slot order would have it.
      const holder = this.#byLabel.get(label);
      if (!holder || holder.slot.equals(slot) || !this.#bySlot.has(holder.slot.toString("hex"))) this.#byLabel.set(label, state);
    }
    return state;
  }

  #drop(key: string, state: SlotState): void {
    this.#bySlot.delete(key);
    if (state.label !== null && this.#byLabel.get(state.label)?.slot.equals(state.slot)) this.#byLabel.delete(state.label);
  }

  #forgetTokens(): void {
    this.#byLabel.clear();
    this.#bySlot.clear();
  }

  /**
   * Initialises the first free token with an SO PIN and a user PIN and returns its slot, re-found by label
   * because SoftHSM renumbers slots after C_InitToken.
   */
  initToken(label: string, soPin: string, userPin: string): SlotId {
    if (Buffer.byteLength(label, "utf8") > 32) {
      throw new DpclabError(`token label "${label}" is longer than 32 bytes (PKCS#11 CK_TOKEN_INFO.label)`, "bad-token-label");
    }
    // The miss refreshes the index, so it knows the empty slot(s) too.
    if (this.token(label)) throw new DpclabError(`a token labelled "${label}" already exists`, "token-exists", 409);
    const m = this.module;
    let free: SlotId | undefined;
    for (const state of this.#bySlot.values()) {
      if (state.label !== null) continue;
      // Confirm: another thread may have just initialised it.
      if (this.#observe(state.slot)?.label === null) {
        free = state.slot;
        break;
      }
    }
    if (!free) throw new DpclabError("no uninitialised token slot is left", "no-free-slot", 500);
    // pkcs11js pads a short label with NULs; PKCS#11 wants blanks (pkcs11-tool --token-label compares them).
    const padded = label + " ".repeat(32 - Buffer.byteLength(label, "utf8"));
    p11("C_InitToken", () => m.C_InitToken(free, soPin, padded));
    // SoftHSM gives the initialised token a new slot id and adds a new empty slot: the old id is forgotten here and
    // the next lookup finds both as slots not seen before.
    const stale = this.#bySlot.get(free.toString("hex"));
    if (stale) this.#drop(free.toString("hex"), stale);
    const slot = this.findSlotByLabel(label);
    if (!slot) throw new DpclabError(`token "${label}" vanished after C_InitToken`, "pkcs11-token-missing", 500);
    const session = this.openSession(slot, { readWrite: true });
    try {
      session.login("so", soPin);
      session.initPin(userPin);
      session.logout();
    } finally {
      session.close();
    }
    return slot;
  }

  openSession(slot: SlotId, opts: { readWrite: boolean } = { readWrite: false }): Pkcs11Session {
    const m = this.module;
    const flags = pkcs11js.CKF_SERIAL_SESSION | (opts.readWrite ? pkcs11js.CKF_RW_SESSION : 0);
    const handle = p11("C_OpenSession", () => m.C_OpenSession(slot, flags));
    this.#liveSessions++;
    return new Pkcs11Session(this, handle, slot);
  }

  #initialize(softhsmConf: string | undefined): void {
    if (softhsmConf !== undefined) process.env.SOFTHSM2_CONF = softhsmConf;
    this.#softhsmConf = softhsmConf;
    try {
      // OS locking: the module is one per process, and fleet worker threads share it (SoftHSM serialises nothing
      // unless asked to).
      this.#module.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (e) {
      const err = toPkcs11Error(e, "C_Initialize");
      // Another user of the same module in this process already initialised it: that is the same state.
      if (!isCkr(err, "CKR_CRYPTOKI_ALREADY_INITIALIZED")) throw err;
    }
  }
}

/** CK_TOKEN_INFO strings are fixed-width, blank-padded (or NUL-padded by some writers). */
function trimPadding(s: string): string {
  return s.replace(/[\s\0]+$/, "");
}
