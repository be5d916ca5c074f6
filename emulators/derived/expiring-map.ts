/**
 * A bounded map whose entries are dropped when their time is up: the store behind every challenge, session, one-time
 * secret, tombstone and attempt counter of the issuers (issue 10 §8: an unauthenticated endpoint must not grow state
 * without bound, nor slow down as it grows).
 *
 * Entries sit in insertion order (a JS Map keeps it), and `set` moves a key to the end. Where every entry of a store
 * lives the same time — the stores here — insertion order is expiry order, so expired entries are always at the front
 * and each operation drops them from there: amortised O(1), no scan. Where lifetimes differ, an expired entry behind
 * a longer-lived one is invisible to `get` and dropped when it reaches the front; `maxEntries` bounds the size anyway.
 *
 * At `maxEntries` the oldest entry is evicted to make room (it is also the one closest to expiry); `evicted` counts
 * them. Evicting beats refusing: a flood then shortens how long entries survive instead of shutting everyone out.
 */
export interface ExpiringMapOptions {
  /** Hard cap on live entries; at the cap the oldest is evicted. */
  maxEntries: number;
}

interface Slot<K, V> {
  key: K;
  value: V;
  /** Epoch ms from which the entry is gone. */
  until: number;
  /** Replaced or deleted: its place in the queue is skipped. */
  dead: boolean;
}

export class ExpiringMap<K, V> {
  readonly #slots = new Map<K, Slot<K, V>>();
  /**
   * Insertion order, oldest first, read from `#head`. Our own queue rather than the Map's order: a Map iterator
   * starts at the front and walks every entry deleted there since the last rehash, which made each sweep O(n).
   */
  #queue: Slot<K, V>[] = [];
  #head = 0;
  readonly #max: number;
  #evicted = 0;

  constructor(opts: ExpiringMapOptions) {
    if (!Number.isInteger(opts.maxEntries) || opts.maxEntries < 1) throw new RangeError("maxEntries must be a positive integer");
    this.#max = opts.maxEntries;
  }

  /** The value while `now` is before its time, else undefined (and the entry is dropped). */
  get(key: K, now: number): V | undefined {
    const slot = this.#slots.get(key);
    if (!slot) return undefined;
    if (now >= slot.until) {
      this.delete(key);
      return undefined;
    }
    return slot.value;
  }

  has(key: K, now: number): boolean {
    return this.get(key, now) !== undefined;
  }

  /** Stores `value` until `until` (epoch ms), as the newest entry; expired entries go first, then the oldest if full. */
  set(key: K, value: V, until: number, now: number): void {
    this.delete(key);
    const slot: Slot<K, V> = { key, value, until, dead: false };
    this.#slots.set(key, slot);
    this.#queue.push(slot);
    this.sweep(now);
    while (this.#slots.size > this.#max) {
      const oldest = this.#front();
      if (!oldest) break;
      this.#drop(oldest);
      this.#evicted++;
    }
    this.#compact();
  }

  delete(key: K): boolean {
    const slot = this.#slots.get(key);
    if (!slot) return false;
    slot.dead = true;
    return this.#slots.delete(key);
  }

  /** Drops expired entries from the front; stops at the first live one. */
  sweep(now: number): void {
    for (let slot = this.#front(); slot && now >= slot.until; slot = this.#front()) this.#drop(slot);
  }

  /** Live and not yet swept entries (never above maxEntries). */
  get size(): number {
    return this.#slots.size;
  }

  get maxEntries(): number {
    return this.#max;
  }

  /** Slots in the expiry queue, deleted ones not yet skipped included: stays within 2 × maxEntries + 2,048. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Entries evicted at the cap since creation. */
  get evicted(): number {
    return this.#evicted;
  }

  /** Live values, oldest first. O(n): for views and tests, never on a request path. */
  *values(now: number): IterableIterator<V> {
    for (const slot of this.#slots.values()) if (now < slot.until) yield slot.value;
  }

  /** The oldest live slot, skipping (and forgetting) dead ones. */
  #front(): Slot<K, V> | undefined {
    while (this.#head < this.#queue.length) {
      const slot = this.#queue[this.#head] as Slot<K, V>;
      if (!slot.dead) return slot;
      this.#head++;
    }
    return undefined;
  }

  #drop(slot: Slot<K, V>): void {
    slot.dead = true;
    this.#slots.delete(slot.key);
    this.#head++;
  }

  /**
   * Keeps the queue within twice the live entries plus the consumed front: deleted entries (a challenge used at
   * once) would otherwise pile up until their time. Each compaction follows at least maxEntries pushes: O(1) amortised.
   */
  #compact(): void {
    if (this.#head > 1_024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (this.#queue.length - this.#head > 2 * this.#max + 1_024) {
      this.#queue = this.#queue.slice(this.#head).filter((s) => !s.dead);
      this.#head = 0;
    }
  }
}
