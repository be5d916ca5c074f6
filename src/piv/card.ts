import { DpclabError } from "../errors.js";
import { isCkr, Pkcs11Error, type Pkcs11Library, type Pkcs11Session } from "../pkcs11/index.js";
import type { KeyAlgorithm } from "../pki/index.js";
import { PIV_CONTAINERS, type PivContainerName } from "./containers.js";
import { validatePin, validatePuk } from "./pin.js";
import { MAX_PIN_TRIES, type PinRetryState, type PinRetryStore } from "./retry-counter.js";
import { PIV_KEY_SLOTS, type PivKeySlot } from "./slots.js";

/** The card layer's key to its tokens' PINs (Pkcs11Library.guardPin): held by this module only. */
const CARD_LAYER = Symbol("PivCard");

/**
 * A personalised virtual PIV card (one SoftHSM token) with the card-edge rules SoftHSM lacks: the PIN retry
 * counter (FIPS 201-3: ≤10, DC-ACT-07; 73-4 Pt2 §3.2.1 "63 CX" / "69 83"), PUK unblock, and per-key PIN policy
 * (9A/9D PIN, 9C PIN Always, 9E none — docs/sp800-157.md §3). SoftHSM itself has no PIN retry counter: this class is the
 * only way a PIN reaches a card's token, and it charges the counter before the token sees the PIN (#presentPin).
 * One PivCard, one caller; many PivCards (threads, processes) on one card share its counter safely.
 */
export class PivCard {
  readonly tokenLabel: string;
  /** The token serial; also the key of this card's retry counter. */
  readonly serial: string;
  readonly #session: Pkcs11Session;
  readonly #store: PinRetryStore;
  readonly #maxTries: number;
  readonly #algs = new Map<PivKeySlot, KeyAlgorithm>();
  #pinVerified = false;

  readonly #releaseGuard: () => void;

  private constructor(tokenLabel: string, serial: string, session: Pkcs11Session, store: PinRetryStore, maxTries: number, releaseGuard: () => void) {
    this.#releaseGuard = releaseGuard;
    this.tokenLabel = tokenLabel;
    this.serial = serial;
    this.#session = session;
    this.#store = store;
    this.#maxTries = maxTries;
  }

  /** Opens the card by token label (never by slot id: SoftHSM renumbers slots, docs/architecture.md pitfalls). */
  static open(lib: Pkcs11Library, tokenLabel: string, store: PinRetryStore, opts: { maxTries?: number } = {}): PivCard {
    const maxTries = opts.maxTries ?? MAX_PIN_TRIES;
    if (!Number.isInteger(maxTries) || maxTries < 1 || maxTries > MAX_PIN_TRIES) {
      throw new DpclabError(`maxTries must be 1 to ${MAX_PIN_TRIES} (FIPS 201-3 §4.3.1)`, "bad-max-tries");
    }
    const token = lib.tokenSettled(tokenLabel);
    if (!token) throw new DpclabError(`no card "${tokenLabel}" in the token store`, "card-not-found", 404);
    // Read-write: C_SetPIN and the SO login for unblocking need it, and SoftHSM refuses an SO login while RO sessions exist.
    // While this card is open, no PIN reaches its token but through #presentPin.
    const release = lib.guardPin(token.slot, CARD_LAYER);
    let session: Pkcs11Session;
    try {
      session = lib.openSession(token.slot, { readWrite: true });
    } catch (e) {
      release();
      throw e;
    }
    return new PivCard(tokenLabel, token.serial, session, store, maxTries, release);
  }

  get triesLeft(): number {
    return this.#state().triesLeft;
  }

  get isBlocked(): boolean {
    return this.triesLeft <= 0;
  }

  /** Whether the PIN has been verified in this session (73-4 security status). */
  get pinVerified(): boolean {
    return this.#pinVerified;
  }

  /** A certificate of a key slot, DER, or undefined if the slot holds none. Readable without PIN ("Always", 73-4 Table 3). */
  readCertificate(slot: PivKeySlot): Uint8Array<ArrayBuffer> | undefined {
    return this.#session.readCertificate(PIV_KEY_SLOTS[slot].id);
  }

  /** A public data container (CHUID, CCC, Discovery) by dpclab name or by its OpenSC label. */
  readDataObject(name: PivContainerName | string): Uint8Array<ArrayBuffer> | undefined {
    const label = (PIV_CONTAINERS as Record<string, { name: string }>)[name]?.name ?? name;
    return this.#session.readDataObject(label);
  }

  /** VERIFY (73-4 Pt2 §3.2.1). A wrong PIN costs a try; a right one resets the counter. */
  verifyPin(pin: string): void {
    this.#assertNotBlocked();
    validatePin(pin); // a malformed PIN is refused without costing a try, as a card answers 6A80
    if (this.#session.loggedInAs()) this.#session.logout(); // so C_Login really checks this PIN
    this.#pinVerified = false;
    this.#presentPin(() => this.#session.login("user", pin, CARD_LAYER));
    this.#pinVerified = true;
  }

  /**
   * Signs with a key slot: 9E needs no PIN; 9A needs the PIN verified in this session (give `pin` to verify it now);
   * 9C needs the PIN for every signature (PIN Always → CKU_CONTEXT_SPECIFIC after C_SignInit). 9D does not sign
   * (OpenSC usage decrypt/unwrap, ECDH; docs/sp800-157.md §4).
   */
  sign(slot: PivKeySlot, data: Uint8Array, pin?: string): Uint8Array<ArrayBuffer> {
    this.#assertNotBlocked();
    const info = PIV_KEY_SLOTS[slot];
    if (!info.usage.sign) {
      throw new DpclabError(`the ${info.name} key (${slot}) does not sign (docs/sp800-157.md §4 key usage)`, "key-usage");
    }
    if (info.pinPolicy === "pin-always" && pin === undefined) {
      throw new DpclabError(`the ${info.name} key (${slot}) needs the PIN for every signature (PIN Always)`, "pin-required", 401);
    }
    if (info.pinPolicy !== "never" && !this.#pinVerified) {
      if (pin === undefined) throw new DpclabError(`verify the PIN before using the ${info.name} key (${slot})`, "pin-required", 401);
      this.verifyPin(pin);
    }
    const key = this.#session.findPrivateKey(info.id);
    if (!key) throw new DpclabError(`the card has no ${info.name} key (${slot})`, "key-not-found", 404);
    const alg = this.#algorithm(slot);
    if (info.pinPolicy !== "pin-always") return retryTransient(() => this.#session.sign(key, alg, data));
    // PIN Always: the context-specific login presents the PIN to the token, so it costs an attempt like VERIFY.
    return this.#presentPin(() => this.#session.sign(key, alg, data, { contextPin: pin as string, guardKey: CARD_LAYER }));
  }

  /** The algorithm of a key slot's key pair. */
  keyAlgorithm(slot: PivKeySlot): KeyAlgorithm {
    return this.#algorithm(slot);
  }

  /** CHANGE REFERENCE DATA: needs the current PIN (DC-ACT-03); a wrong one costs a try. */
  changePin(oldPin: string, newPin: string): void {
    validatePin(newPin);
    this.verifyPin(oldPin);
    this.#session.setPin(oldPin, newPin, CARD_LAYER);
  }

  /**
   * RESET RETRY COUNTER with the PUK (DC-ACT-04): SO login with the PUK (SoftHSM SO PIN = PUK), C_InitPIN, counter
   * back to max. Works on a blocked card; that is its purpose.
   */
  unblock(puk: string, newPin: string): void {
    validatePuk(puk);
    validatePin(newPin);
    if (this.#session.loggedInAs()) this.#session.logout();
    this.#pinVerified = false;
    try {
      this.#session.login("so", puk, CARD_LAYER);
    } catch (e) {
      if (isCkr(e, "CKR_PIN_INCORRECT")) throw new DpclabError("wrong PUK: the card stays as it was", "puk-incorrect", 401);
      throw e;
    }
    try {
      this.#session.initPin(newPin);
    } finally {
      this.#session.logout();
    }
    this.#store.reset(this.serial, this.#maxTries);
  }

  close(): void {
    try {
      if (this.#session.loggedInAs()) this.#session.logout();
    } catch {
      // a dead session (library re-initialised) has nothing to log out of
    }
    this.#pinVerified = false;
    try {
      this.#session.close();
    } catch {
      // idem
    }
    this.#releaseGuard();
  }

  #algorithm(slot: PivKeySlot): KeyAlgorithm {
    let alg = this.#algs.get(slot);
    if (!alg) {
      const pub = this.#session.findPublicKey(PIV_KEY_SLOTS[slot].id);
      if (!pub) throw new DpclabError(`the card has no ${PIV_KEY_SLOTS[slot].name} key (${slot})`, "key-not-found", 404);
      alg = this.#session.keyAlgorithm(pub);
      this.#algs.set(slot, alg);
    }
    return alg;
  }

  #state(): PinRetryState {
    return this.#store.load(this.serial) ?? { triesLeft: this.#maxTries, maxTries: this.#maxTries };
  }

  #assertNotBlocked(): void {
    if (this.isBlocked) throw blocked();
  }

  /**
   * The only way a PIN reaches the token. SoftHSM has no retry counter of its own, so the attempt is reserved first
   * (an atomic decrement of the card's counter, across threads and processes), then the token judges the PIN, then a
   * right PIN resets the counter (DC-ACT-07, FIPS 201-3 §4.3.1). Checking the counter and counting afterwards let 15
   * of 20 parallel wrong PINs reach the token (issue 10 item 3).
   */
  #presentPin<R>(present: () => R): R {
    for (let round = 1; ; round++) {
      const attempt = this.#store.reserve(this.serial, this.#maxTries);
      if (!attempt.granted) throw blocked();
      let result: R;
      try {
        result = present();
      } catch (e) {
        if (isCkr(e, "CKR_PIN_INCORRECT")) this.#wrongPin(attempt.triesLeft);
        this.#store.refund(this.serial, this.#maxTries); // the token never judged the PIN: the try is not spent
        // SoftHSM rewrites its token file in place at every C_Login: a login in another process at that instant can
        // fail as the token's own error. A card reader's middleware retries such a failure; so does the card layer.
        if (round < TRANSIENT_ROUNDS && isTransientTokenError(e)) {
          Atomics.wait(pause, 0, 0, 5 * round);
          continue;
        }
        throw e;
      }
      this.#store.reset(this.serial, this.#maxTries);
      return result;
    }
  }

  /** Throws the card's answer to a wrong PIN (63 CX, or blocked at 0); the try was already charged. */
  #wrongPin(left: number): never {
    this.#pinVerified = false;
    if (this.#session.loggedInAs()) this.#session.logout();
    if (left === 0) {
      throw new DpclabError("wrong PIN: 0 tries left, the card is now blocked (unblock it with the PUK)", "pin-incorrect", 401);
    }
    throw new DpclabError(`wrong PIN: ${left} ${left === 1 ? "try" : "tries"} left`, "pin-incorrect", 401);
  }
}

/** How often a PIN is presented when the token fails with an error of its own (not a judgement of the PIN). */
const TRANSIENT_ROUNDS = 3;
const pause = new Int32Array(new SharedArrayBuffer(4));
const TRANSIENT_CKR = new Set([
  "CKR_GENERAL_ERROR",
  "CKR_FUNCTION_FAILED",
  "CKR_DEVICE_ERROR",
  "CKR_DEVICE_MEMORY",
  "CKR_TOKEN_NOT_PRESENT",
  "CKR_TOKEN_NOT_RECOGNIZED",
]);

function isTransientTokenError(e: unknown): boolean {
  return e instanceof Pkcs11Error && TRANSIENT_CKR.has(e.ckr);
}

/** A token operation that takes no PIN, tried again when the token fails with an error of its own (see #presentPin). */
function retryTransient<R>(operation: () => R): R {
  for (let round = 1; ; round++) {
    try {
      return operation();
    } catch (e) {
      if (round >= TRANSIENT_ROUNDS || !isTransientTokenError(e)) throw e;
      Atomics.wait(pause, 0, 0, 5 * round);
    }
  }
}

function blocked(): DpclabError {
  return new DpclabError("the card is blocked: too many wrong PINs; unblock it with the PUK", "card-blocked", 403);
}
