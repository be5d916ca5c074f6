import { type LabStore, type StoreTx, StoreUnavailable } from "../../src/store/index.js";

/** How stale a cached setting may be: what another server on the same store changed shows here within this. */
export const SETTING_REFRESH_MS = 50;

/**
 * One piece of admin state in the lab store that is read very often (the clock's offset at every clock reading, the
 * fault knobs at every request): cached in memory and read again at most every SETTING_REFRESH_MS of real time. This
 * process's own changes show at once (write-through); another server's within the refresh interval.
 */
export class CachedSetting<T> {
  #value: T | undefined;
  #readAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: LabStore,
    private readonly table: string,
    private readonly key: string,
    private readonly initial: T,
  ) {}

  /** The value, from the cache when it is fresh enough. */
  get(): T {
    const real = performance.now();
    if (this.#value === undefined || real - this.#readAt >= SETTING_REFRESH_MS) {
      try {
        this.#value = this.store.read((tx) => this.#read(tx));
      } catch (error) {
        // A store gone for a moment must not stop the lab's time: the last value read stands until it is back
        // (every request that writes fails with 503 meanwhile anyway). Without any value yet there is nothing to stand on.
        if (this.#value === undefined || !(error instanceof StoreUnavailable)) throw error;
      }
      this.#readAt = real;
    }
    return this.#value;
  }

  /**
   * Changes the value in one transaction: `change` gets the stored value (not the cache) and returns the next one,
   * or throws to refuse, writing nothing.
   */
  update(change: (current: T) => T): T {
    const next = this.store.transaction((tx) => {
      const value = change(this.#read(tx));
      tx.put(this.table, this.key, value);
      return value;
    });
    this.#value = next;
    this.#readAt = performance.now();
    return next;
  }

  #read(tx: StoreTx): T {
    return tx.get<T>(this.table, this.key) ?? this.initial;
  }
}
