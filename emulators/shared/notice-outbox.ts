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

/**
 * Where the issuers' cardholder notices go (DC-ISS-09: notify the cardholder at the address in the identity
 * account): kept for the admin API and tests to read, newest last, bounded so a long run cannot grow it forever.
 */
export class NoticeOutbox implements CardholderNotifier {
  readonly #notices: CardholderNotice[] = [];

  constructor(private readonly limit = 10_000) {}

  notify(notice: CardholderNotice): void {
    this.#notices.push(notice);
    // Trimmed in batches: dropping the oldest one per notice shifts the whole array every time (a storm's hot spot).
    if (this.#notices.length >= 2 * this.limit) this.#notices.splice(0, this.#notices.length - this.limit);
  }

  /** The newest `limit` notices, oldest first. */
  list(): readonly CardholderNotice[] {
    return this.#notices.length > this.limit ? this.#notices.slice(-this.limit) : this.#notices;
  }
}
