import { fileVersion, integer, object, readJson, recordOf, type Shape, withFileLock, writeJson } from "../store/index.js";

/** FIPS 201-3 §4.3.1 / DC-ACT-07: at most 10 consecutive wrong PINs, then the card blocks. */
export const MAX_PIN_TRIES = 10;

export interface PinRetryState {
  triesLeft: number;
  maxTries: number;
}

/** What reserving an attempt gave: the state after taking one, or `granted: false` when none was left. */
export interface PinAttempt {
  granted: boolean;
  /** Tries left after this attempt, if it turns out wrong. */
  triesLeft: number;
}

/**
 * SoftHSM keeps no PIN retry counter (C_Login answers CKR_PIN_INCORRECT forever), so the card layer keeps one per
 * card, outside the token, and charges it *before* the token sees the PIN: reserve an attempt (atomic decrement),
 * then C_Login, then reset on success. However many threads or processes try at once, at most `maxTries` wrong PINs
 * reach the token between two right ones (DC-ACT-07).
 */
export interface PinRetryStore {
  load(cardId: string): PinRetryState | undefined;
  /** Atomically takes one try (a card without a counter yet starts at `maxTries`); none left: not granted, no change. */
  reserve(cardId: string, maxTries: number): PinAttempt;
  /** Gives back a reserved try the token never judged (e.g. CKR_DEVICE_ERROR), never above `maxTries`. */
  refund(cardId: string, maxTries: number): void;
  /** Back to `maxTries`: the right PIN, or an unblock with the PUK. */
  reset(cardId: string, maxTries: number): void;
}

function reserveIn(current: PinRetryState | undefined, maxTries: number): { next: PinRetryState; attempt: PinAttempt } {
  const s = current ?? { triesLeft: maxTries, maxTries };
  if (s.triesLeft <= 0) return { next: s, attempt: { granted: false, triesLeft: 0 } };
  const next = { triesLeft: s.triesLeft - 1, maxTries };
  return { next, attempt: { granted: true, triesLeft: next.triesLeft } };
}

function refundIn(current: PinRetryState | undefined, maxTries: number): PinRetryState {
  return { triesLeft: Math.min(maxTries, (current?.triesLeft ?? maxTries - 1) + 1), maxTries };
}

export class MemoryPinRetryStore implements PinRetryStore {
  readonly #states = new Map<string, PinRetryState>();
  load(cardId: string): PinRetryState | undefined {
    const s = this.#states.get(cardId);
    return s && { ...s };
  }
  reserve(cardId: string, maxTries: number): PinAttempt {
    const { next, attempt } = reserveIn(this.#states.get(cardId), maxTries);
    this.#states.set(cardId, next);
    return attempt;
  }
  refund(cardId: string, maxTries: number): void {
    this.#states.set(cardId, refundIn(this.#states.get(cardId), maxTries));
  }
  reset(cardId: string, maxTries: number): void {
    this.#states.set(cardId, { triesLeft: maxTries, maxTries });
  }
}

type Counters = Record<string, PinRetryState>;

/** cards/pin-counters.json: token serial → counter, each checked (a corrupt file is one clear error, not a crash). */
export const pinCountersShape: Shape<Counters> = recordOf(object<PinRetryState>({ triesLeft: integer(0, MAX_PIN_TRIES), maxTries: integer(1, MAX_PIN_TRIES) }));

/**
 * The last parsed version of each counter file in this thread (fileVersion → counters): a read costs a stat unless
 * the file changed. A lab of thousands of cards has one entry per card, and every PIN verification reads the file.
 */
const parsed = new Map<string, { version: string; counters: Counters }>();

/**
 * All cards' counters in one JSON file (mode 0600: it sits with the deck's PINs). Every change is a read-modify-write
 * under the file's lock with an atomic replace: a crash never leaves half a file, a counter survives a restart (no
 * free retries), and processes or fleet threads never undo each other's decrements.
 */
export class JsonFilePinRetryStore implements PinRetryStore {
  constructor(readonly path: string) {}

  load(cardId: string): PinRetryState | undefined {
    const s = this.#read()[cardId];
    return s && { triesLeft: s.triesLeft, maxTries: s.maxTries };
  }

  reserve(cardId: string, maxTries: number): PinAttempt {
    let attempt: PinAttempt = { granted: false, triesLeft: 0 };
    this.#update((all) => {
      const r = reserveIn(all[cardId], maxTries);
      attempt = r.attempt;
      all[cardId] = r.next;
    });
    return attempt;
  }

  refund(cardId: string, maxTries: number): void {
    this.#update((all) => {
      all[cardId] = refundIn(all[cardId], maxTries);
    });
  }

  reset(cardId: string, maxTries: number): void {
    // A right PIN on a full counter (no reservation, e.g. after an unblock) needs no write.
    const s = this.load(cardId);
    if (s && s.triesLeft === maxTries && s.maxTries === maxTries) return;
    this.#update((all) => {
      all[cardId] = { triesLeft: maxTries, maxTries };
    });
  }

  #read(): Counters {
    const version = fileVersion(this.path);
    if (version === "") return Object.create(null) as Counters;
    const cached = parsed.get(this.path);
    if (cached?.version === version) return cached.counters;
    const counters = readJson(this.path, pinCountersShape) ?? (Object.create(null) as Counters);
    parsed.set(this.path, { version, counters });
    return counters;
  }

  #update(change: (all: Counters) => void): void {
    withFileLock(this.path, () => {
      const all = this.#read(); // under the lock: what the file says now
      try {
        change(all);
        writeJson(this.path, all, { mode: 0o600, compact: true });
        parsed.set(this.path, { version: fileVersion(this.path), counters: all });
      } catch (e) {
        parsed.delete(this.path); // changed in memory, perhaps not on disk: read the file again next time
        throw e;
      }
    });
  }
}
