import pkcs11js from "pkcs11js";
import { DpclabError } from "../errors.js";
import { isCkr, p11, toPkcs11Error } from "./errors.js";
import { resolveModulePath } from "./module-path.js";
import { Pkcs11Session, type SessionHost } from "./session.js";

/** A PKCS#11 slot id. Never persist it: SoftHSM renumbers slots after C_InitToken (DESIGN.md pitfalls). */
export type SlotId = Buffer;

export interface TokenSummary {
  slot: SlotId;
  label: string;
  serial: string;
}

/** C_Initialize is per process, so one library per module path per process. */
const registry = new Map<string, Pkcs11Library>();

/**
 * One loaded PKCS#11 module (SoftHSM by default). Synchronous pkcs11js calls only: the async variants read
 * borrowed Buffers on a worker thread (pkcs11js #121, DESIGN.md pitfalls).
 */
export class Pkcs11Library implements SessionHost {
  readonly modulePath: string;
  #module: pkcs11js.PKCS11;
  #softhsmConf: string | undefined;
  #generation = 0;
  #open = true;

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
      registry.delete(this.modulePath);
    }
  }

  /** Initialised tokens only (SoftHSM always shows one extra, empty slot). */
  tokens(): TokenSummary[] {
    const m = this.module;
    const out: TokenSummary[] = [];
    for (const slot of p11("C_GetSlotList", () => m.C_GetSlotList(true))) {
      const info = p11("C_GetTokenInfo", () => m.C_GetTokenInfo(slot));
      if (!(info.flags & pkcs11js.CKF_TOKEN_INITIALIZED)) continue;
      out.push({ slot, label: trimPadding(info.label), serial: trimPadding(info.serialNumber) });
    }
    return out;
  }

  findSlotByLabel(label: string): SlotId | undefined {
    return this.tokens().find((t) => t.label === label)?.slot;
  }

  /**
   * Initialises the first free token with an SO PIN and a user PIN and returns its slot, re-found by label
   * because SoftHSM renumbers slots after C_InitToken.
   */
  initToken(label: string, soPin: string, userPin: string): SlotId {
    if (Buffer.byteLength(label, "utf8") > 32) {
      throw new DpclabError(`token label "${label}" is longer than 32 bytes (PKCS#11 CK_TOKEN_INFO.label)`, "bad-token-label");
    }
    if (this.findSlotByLabel(label)) throw new DpclabError(`a token labelled "${label}" already exists`, "token-exists", 409);
    const m = this.module;
    const free = p11("C_GetSlotList", () => m.C_GetSlotList(true)).find(
      (slot) => !(p11("C_GetTokenInfo", () => m.C_GetTokenInfo(slot)).flags & pkcs11js.CKF_TOKEN_INITIALIZED),
    );
    if (!free) throw new DpclabError("no uninitialised token slot is left", "no-free-slot", 500);
    // pkcs11js pads a short label with NULs; PKCS#11 wants blanks (pkcs11-tool --token-label compares them).
    const padded = label + " ".repeat(32 - Buffer.byteLength(label, "utf8"));
    p11("C_InitToken", () => m.C_InitToken(free, soPin, padded));
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
