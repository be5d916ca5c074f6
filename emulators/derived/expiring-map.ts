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

interface Slot<V> {
  value: V;
  /** Epoch ms from which the entry is gone. */
  until: number;
}

export class ExpiringMap<K, V> {
  readonly #slots = new Map<K, Slot<V>>();
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
      this.#slots.delete(key);
      return undefined;
    }
    return slot.value;
  }

  has(key: K, now: number): boolean {
    return this.get(key, now) !== undefined;
  }

  /** Stores `value` until `until` (epoch ms), as the newest entry; expired entries go first, then the oldest if full. */
  set(key: K, value: V, until: number, now: number): void {
    this.#slots.delete(key);
    this.#slots.set(key, { value, until });
    this.sweep(now);
    while (this.#slots.size > this.#max) {
      const oldest = this.#slots.keys().next();
      if (oldest.done) break;
      this.#slots.delete(oldest.value);
      this.#evicted++;
    }
  }

  delete(key: K): boolean {
    return this.#slots.delete(key);
  }

  /** Drops expired entries from the front; stops at the first live one. */
  sweep(now: number): void {
    for (const [key, slot] of this.#slots) {
      if (now < slot.until) return;
      this.#slots.delete(key);
    }
  }

  /** Live and not yet swept entries (never above maxEntries). */
  get size(): number {
    return this.#slots.size;
  }

  get maxEntries(): number {
    return this.#max;
  }

  /** Entries evicted at the cap since creation. */
  get evicted(): number {
    return this.#evicted;
  }

  /** Live values, oldest first. O(n): for views and tests, never on a request path. */
  *values(now: number): IterableIterator<V> {
    for (const slot of this.#slots.values()) if (now < slot.until) yield slot.value;
  }
}
