import { DpclabError } from "../errors.js";

/**
 * The one store behind all lab state (issue 14): the CAs' books, the card deck and PIN counters, identity accounts,
 * every emulator's state, the tenant and the admin state. A small key-value interface over named tables, so the same
 * schema sits in SQLite (the default, `<lab>/lab.db`), in PostgreSQL (a lab shared by several servers) or in memory
 * (the baseline the bench compares with, and the fleet's private per-run stacks).
 *
 * Every state change is one synchronous transaction: read what it needs, decide, write; nothing awaits inside, so a
 * transaction never spans a signature or a network call, and a refused request (a throw) changes nothing.
 * Values are JSON: what goes in is what comes out (no shared objects), and an outside string is only ever a key in a
 * table, never a plain-object key.
 */
export interface StoreTx {
  /** The value under `key`, or undefined when absent or (with `now`) expired. */
  get<T>(table: string, key: string, now?: number): T | undefined;
  /**
   * Stores `value` (JSON) under `key`, replacing any. With `expiresAt` (epoch ms) the entry is gone from then on;
   * with `cap` the table keeps at most that many entries, dropping those closest to expiry first (only entries with
   * an expiry are dropped: a cap is for tables of expiring entries); with `now`, entries already expired are swept
   * first (amortised O(1): the expiry index is read from its front).
   */
  put(table: string, key: string, value: unknown, opts?: PutOptions): void;
  delete(table: string, key: string): boolean;
  /** Entries in key order (with `prefix`, those whose key starts with it; with `now`, live ones only). O(n): views. */
  entries<T>(table: string, opts?: { prefix?: string; now?: number }): [string, T][];
  /** Entries held, expired but not yet swept ones included (what a cap counts). */
  size(table: string): number;
  /** How many entries the table's cap has dropped since it was made. */
  evicted(table: string): number;
}

export interface PutOptions {
  expiresAt?: number;
  cap?: number;
  now?: number;
}

export type StoreKind = "memory" | "sqlite" | "postgres";

export interface LabStore {
  readonly kind: StoreKind;
  /** Where it is, for messages: a file, a database URL without its password, or "memory". */
  readonly where: string;
  /**
   * Runs `fn` as one transaction: all its writes or none (a throw rolls back and rethrows). Writers are serialised
   * across processes; a nested call joins the running transaction. `fn` must be synchronous and may run again when
   * the database asks for a retry (PostgreSQL serialisation), so it must not act outside the store.
   */
  transaction<R>(fn: (tx: StoreTx) => R): R;
  /** A read-only transaction: sees one consistent state and takes no write lock. */
  read<R>(fn: (tx: StoreTx) => R): R;
  close(): void;
}

/**
 * The store cannot be reached or written (disk full, file made read-only, PostgreSQL gone): served, a 503 problem+json
 * with Retry-After while it lasts; in the CLI, one line and exit 1. Nothing was written.
 */
export class StoreUnavailable extends DpclabError {
  /** Sent as Retry-After: a store that went away usually comes back in seconds (a restarted database). */
  readonly retryAfterSeconds = 2;

  constructor(where: string, why: string) {
    super(`the lab store ${where} is unavailable: ${why}`, "store-unavailable", 503);
    this.name = "StoreUnavailable";
  }
}

/** The store's content cannot be used as it is (not a database, damaged, a schema newer than this dpclab). */
export class StoreUnusable extends DpclabError {
  constructor(where: string, why: string) {
    super(`the lab store ${where} cannot be used: ${why}`, "store-unusable", 500);
    this.name = "StoreUnusable";
  }
}

/** Checks a table name: a fixed name from the code, never outside input (keys carry that). */
export function checkTable(table: string): string {
  if (!/^[a-z][a-z0-9:/._-]{0,127}$/.test(table)) throw new RangeError(`bad store table name ${JSON.stringify(table)}`);
  return table;
}
