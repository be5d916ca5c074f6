import { type LabStore, MemoryStore } from "../../src/store/index.js";

/** Something happened that the cardholder must hear of through an independent channel (DC-ISS-09). */
export interface CardholderNotice {
  cardIndex: number;
  email: string;
  subject: string;
  body: string;
  at: string;
}

/** Where an issuer sends its cardholder notices (DC-ISS-09). */
export interface CardholderNotifier {
  notify(notice: CardholderNotice): void;
}

export interface NoticeOutboxOptions {
  /** The lab store the notices live in (default: a private one in memory). */
  store?: LabStore;
  /** How many notices it keeps, the newest (default 10,000). */
  limit?: number;
}

/** The notices, keyed by their sequence number zero-padded, so key order is age order. */
const NOTICES = "notices/outbox";
/** The next sequence number: one row, so an append costs keyed reads and writes only. */
const META = "notices/meta";
const NEXT = "next";
const SEQUENCE_DIGITS = 16;

/**
 * Where the issuers' cardholder notices go (DC-ISS-09: notify the cardholder at the address in the identity
 * account): kept in the lab store for the admin API and tests to read, newest last, bounded so a long run cannot grow
 * it forever. Two servers on one store append to one outbox.
 */
export class NoticeOutbox implements CardholderNotifier {
  readonly #store: LabStore;
  readonly #limit: number;

  constructor(options: NoticeOutboxOptions = {}) {
    this.#store = options.store ?? new MemoryStore();
    this.#limit = options.limit ?? 10_000;
  }

  /** Appends the notice and drops the one that falls out of the window (joins a caller's running transaction). */
  notify(notice: CardholderNotice): void {
    this.#store.transaction((tx) => {
      const seq = tx.get<number>(META, NEXT) ?? 0;
      tx.put(NOTICES, sequenceKey(seq), notice);
      if (seq >= this.#limit) tx.delete(NOTICES, sequenceKey(seq - this.#limit));
      tx.put(META, NEXT, seq + 1);
    });
  }

  /** The newest `limit` notices, oldest first. */
  list(): readonly CardholderNotice[] {
    const all = this.#store.read((tx) => tx.entries<CardholderNotice>(NOTICES));
    // A store written with a larger limit may hold older ones too: the view is still the newest `limit`.
    return all.slice(-this.#limit).map(([, notice]) => notice);
  }
}

function sequenceKey(seq: number): string {
  return String(seq).padStart(SEQUENCE_DIGITS, "0");
}
