import { existsSync, readFileSync } from "node:fs";
import { updateJson } from "../lab/json-file.js";

/** FIPS 201-3 §4.3.1 / DC-ACT-07: at most 10 consecutive wrong PINs, then the card blocks. */
export const MAX_PIN_TRIES = 10;

export interface PinRetryState {
  triesLeft: number;
  maxTries: number;
}

/** SoftHSM keeps no PIN retry counter, so the card layer keeps one per card, outside the token. */
export interface PinRetryStore {
  load(cardId: string): PinRetryState | undefined;
  save(cardId: string, s: PinRetryState): void;
}

export class MemoryPinRetryStore implements PinRetryStore {
  readonly #states = new Map<string, PinRetryState>();
  load(cardId: string): PinRetryState | undefined {
    const s = this.#states.get(cardId);
    return s && { ...s };
  }
  save(cardId: string, s: PinRetryState): void {
    this.#states.set(cardId, { ...s });
  }
}

/**
 * All cards' counters in one JSON file. Every save re-reads the file under a lock and replaces it atomically (temp
 * file + rename): a crash never leaves half a file, a counter survives a restart (no free retries), and processes or
 * fleet threads saving different cards' counters never undo each other's.
 */
export class JsonFilePinRetryStore implements PinRetryStore {
  constructor(readonly path: string) {}

  load(cardId: string): PinRetryState | undefined {
    const s = this.#read()[cardId];
    return s && { triesLeft: s.triesLeft, maxTries: s.maxTries };
  }

  save(cardId: string, s: PinRetryState): void {
    updateJson<Record<string, PinRetryState>>(this.path, (all = {}) => ({ ...all, [cardId]: { triesLeft: s.triesLeft, maxTries: s.maxTries } }));
  }

  #read(): Record<string, PinRetryState> {
    if (!existsSync(this.path)) return {};
    return JSON.parse(readFileSync(this.path, "utf8")) as Record<string, PinRetryState>;
  }
}
