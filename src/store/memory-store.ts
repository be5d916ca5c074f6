import { checkTable, type LabStore, type PutOptions, type StoreTx } from "./lab-store.js";

interface Row {
  v: string;
  expires: number | undefined;
}

interface Table {
  /** Insertion order (a put moves a key to the back): where lifetimes are constant per table, expiry order. */
  rows: Map<string, Row>;
  evicted: number;
}

type Undo = () => void;

/**
 * The lab store in this process's memory: what `--store memory` and the fleet's private stacks use, and the
 * baseline the bench measures SQLite against. Same semantics as the databases: values are copied through JSON,
 * a transaction's writes are undone when it throws.
 */
export class MemoryStore implements LabStore {
  readonly kind = "memory" as const;
  readonly where = "memory";
  readonly #tables = new Map<string, Table>();
  #undo: Undo[] | undefined;
  readonly #tx: StoreTx;

  constructor() {
    this.#tx = {
      get: (table, key, now) => {
        const row = this.#table(table).rows.get(key);
        if (!row || (now !== undefined && row.expires !== undefined && now >= row.expires)) return undefined;
        return JSON.parse(row.v);
      },
      put: (table, key, value, opts) => this.#put(table, key, value, opts),
      delete: (table, key) => this.#delete(this.#table(table), key),
      entries: <T>(table: string, opts: { prefix?: string; now?: number } = {}) => {
        const out: [string, T][] = [];
        for (const [k, row] of this.#table(table).rows) {
          if (opts.prefix !== undefined && !k.startsWith(opts.prefix)) continue;
          if (opts.now !== undefined && row.expires !== undefined && opts.now >= row.expires) continue;
          out.push([k, JSON.parse(row.v) as T]);
        }
        return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      },
      size: (table) => this.#table(table).rows.size,
      evicted: (table) => this.#table(table).evicted,
    };
  }

  transaction<R>(fn: (tx: StoreTx) => R): R {
    if (this.#undo) return fn(this.#tx);
    const undo: Undo[] = [];
    this.#undo = undo;
    try {
      return fn(this.#tx);
    } catch (e) {
      for (let i = undo.length - 1; i >= 0; i--) (undo[i] as Undo)();
      throw e;
    } finally {
      this.#undo = undefined;
    }
  }

  read<R>(fn: (tx: StoreTx) => R): R {
    return this.transaction(fn);
  }

  close(): void {
    this.#tables.clear();
  }

  #table(name: string): Table {
    let t = this.#tables.get(name);
    if (!t) {
      checkTable(name);
      t = { rows: new Map(), evicted: 0 };
      this.#tables.set(name, t);
    }
    return t;
  }

  #put(table: string, key: string, value: unknown, opts: PutOptions = {}): void {
    const t = this.#table(table);
    const v = JSON.stringify(value);
    if (v === undefined) throw new TypeError(`store value for ${table}/${key} is not JSON`);
    if (opts.now !== undefined) this.#sweep(t, opts.now);
    this.#delete(t, key);
    t.rows.set(key, { v, expires: opts.expiresAt });
    this.#undo?.push(() => t.rows.delete(key));
    if (opts.cap !== undefined) {
      for (const [k, row] of t.rows) {
        if (t.rows.size <= opts.cap) break;
        if (row.expires === undefined) continue; // as in the databases: a cap drops expiring entries only
        this.#delete(t, k);
        t.evicted++;
        this.#undo?.push(() => t.evicted--);
      }
    }
  }

  /** Drops expired rows from the front, up to the first live one. */
  #sweep(t: Table, now: number): void {
    for (const [k, row] of t.rows) {
      if (row.expires === undefined || now < row.expires) break;
      this.#delete(t, k);
    }
  }

  #delete(t: Table, key: string): boolean {
    const row = t.rows.get(key);
    if (!row) return false;
    t.rows.delete(key);
    // Undone in reverse order: the row goes back, though at the back of the insertion order.
    this.#undo?.push(() => t.rows.set(key, row));
    return true;
  }
}
