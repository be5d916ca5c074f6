import { accessSync, constants, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { checkTable, type LabStore, type PutOptions, type StoreTx, StoreUnavailable, StoreUnusable } from "./lab-store.js";
import { META_TABLE, MIGRATIONS, SCHEMA_VERSION } from "./schema.js";

/** How long a writer waits for another process's transaction before the store counts as unavailable. */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * The default lab store: one SQLite file (`<lab>/lab.db`) through better-sqlite3, in WAL mode so readers never wait
 * for the writer, with `synchronous = NORMAL`: a committed transaction survives the process being killed (kill -9)
 * at any point; only a power loss may take the last few back. Several processes (`dpclab serve`, `dpclab cards
 * revoke`, fleet worker threads) share it: writers are serialised by SQLite's lock (BEGIN IMMEDIATE), so a
 * read-decide-write never loses another's change.
 */
export class SqliteStore implements LabStore {
  readonly kind = "sqlite" as const;
  readonly where: string;
  readonly #db: Database.Database;
  readonly #tx: StoreTx;
  readonly #write: (fn: (tx: StoreTx) => unknown) => unknown;
  readonly #readTx: (fn: (tx: StoreTx) => unknown) => unknown;
  #depth = 0;

  private constructor(path: string, db: Database.Database) {
    this.where = path;
    this.#db = db;
    const q = {
      get: db.prepare<[string, string], { v: string; expires: number | null }>("SELECT v, expires FROM entries WHERE tbl = ? AND k = ?"),
      insert: db.prepare("INSERT INTO entries (tbl, k, v, expires) VALUES (?, ?, ?, ?) ON CONFLICT (tbl, k) DO NOTHING"),
      update: db.prepare("UPDATE entries SET v = ?, expires = ? WHERE tbl = ? AND k = ?"),
      delete: db.prepare("DELETE FROM entries WHERE tbl = ? AND k = ?"),
      sweep: db.prepare("DELETE FROM entries WHERE tbl = ? AND expires IS NOT NULL AND expires <= ?"),
      evict: db.prepare("DELETE FROM entries WHERE tbl = ? AND k IN (SELECT k FROM entries WHERE tbl = ? AND expires IS NOT NULL ORDER BY expires LIMIT ?)"),
      all: db.prepare<[string], { k: string; v: string; expires: number | null }>("SELECT k, v, expires FROM entries WHERE tbl = ? ORDER BY k"),
      prefixed: db.prepare<[string, string, string], { k: string; v: string; expires: number | null }>(
        "SELECT k, v, expires FROM entries WHERE tbl = ? AND k >= ? AND k < ? ORDER BY k",
      ),
      size: db.prepare<[string], { n: number; evicted: number }>("SELECT n, evicted FROM sizes WHERE tbl = ?"),
      grow: db.prepare(
        "INSERT INTO sizes (tbl, n, evicted) VALUES (?, ?, ?) ON CONFLICT (tbl) DO UPDATE SET n = n + excluded.n, evicted = evicted + excluded.evicted",
      ),
    };
    const live = (row: { expires: number | null }, now: number | undefined) => now === undefined || row.expires === null || now < row.expires;
    const remove = (table: string, key: string): boolean => {
      if (q.delete.run(table, key).changes === 0) return false;
      q.grow.run(table, -1, 0);
      return true;
    };
    const put = (table: string, key: string, value: unknown, opts: PutOptions = {}): void => {
      checkTable(table);
      const v = JSON.stringify(value);
      if (v === undefined) throw new TypeError(`store value for ${table}/${key} is not JSON`);
      if (opts.now !== undefined) {
        const swept = q.sweep.run(table, opts.now).changes;
        if (swept) q.grow.run(table, -swept, 0);
      }
      const expires = opts.expiresAt ?? null;
      if (q.insert.run(table, key, v, expires).changes === 1) q.grow.run(table, 1, 0);
      else q.update.run(v, expires, table, key);
      if (opts.cap !== undefined) {
        const over = (q.size.get(table)?.n ?? 0) - opts.cap;
        if (over > 0) {
          const dropped = q.evict.run(table, table, over).changes;
          q.grow.run(table, -dropped, dropped);
        }
      }
    };
    this.#tx = {
      get: <T>(table: string, key: string, now?: number) => {
        const row = q.get.get(table, key);
        return row && live(row, now) ? (JSON.parse(row.v) as T) : undefined;
      },
      put,
      delete: remove,
      entries: <T>(table: string, opts: { prefix?: string; now?: number } = {}) => {
        const rows = opts.prefix === undefined ? q.all.all(table) : q.prefixed.all(table, opts.prefix, `${opts.prefix}\uffff`);
        const out: [string, T][] = [];
        for (const row of rows) if (live(row, opts.now)) out.push([row.k, JSON.parse(row.v) as T]);
        return out;
      },
      size: (table) => q.size.get(table)?.n ?? 0,
      evicted: (table) => q.size.get(table)?.evicted ?? 0,
    };
    const run = (fn: (tx: StoreTx) => unknown) => fn(this.#tx);
    this.#write = (fn) => db.transaction(run).immediate(fn);
    this.#readTx = (fn) => db.transaction(run).deferred(fn);
  }

  /**
   * Opens (creating when missing) the store at `path` and brings its schema up to date. Refuses, with one line
   * naming the file, a file that is not a lab store or is damaged, one written by a newer dpclab, and one this
   * process cannot write.
   */
  static open(path: string): SqliteStore {
    if (existsSync(path)) {
      try {
        accessSync(path, constants.R_OK | constants.W_OK);
        accessSync(dirname(path), constants.W_OK); // WAL keeps its -wal and -shm files beside the database
      } catch {
        throw new StoreUnavailable(path, "it is read-only here (the file or its directory): make both writable, or copy the lab elsewhere");
      }
    } else {
      mkdirSync(dirname(path), { recursive: true });
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
      // Judged before anything is written: a refused file is left exactly as it was.
      const version = schemaVersion(db, path);
      const check = db.pragma("quick_check", { simple: true });
      if (check !== "ok") throw new StoreUnusable(path, `it is damaged (${String(check)}); restore it from a copy or create a new lab`);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      migrate(db, version);
      return new SqliteStore(path, db);
    } catch (e) {
      db?.close();
      throw explain(e, path);
    }
  }

  transaction<R>(fn: (tx: StoreTx) => R): R {
    return this.#run(fn, this.#write) as R;
  }

  read<R>(fn: (tx: StoreTx) => R): R {
    return this.#run(fn, this.#readTx) as R;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #run(fn: (tx: StoreTx) => unknown, begin: (fn: (tx: StoreTx) => unknown) => unknown): unknown {
    if (this.#depth > 0) return fn(this.#tx); // joins the running transaction
    this.#depth++;
    try {
      return begin(fn);
    } catch (e) {
      throw explain(e, this.where);
    } finally {
      this.#depth--;
    }
  }
}

/** The schema version a store was written with (0: a new file); refuses one newer than this dpclab's. */
function schemaVersion(db: Database.Database, path: string): number {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
  const row = hasMeta ? db.prepare<[], { v: string }>("SELECT v FROM meta WHERE k = 'schema_version'").get() : undefined;
  const version = row ? Number(row.v) : 0;
  if (!/^\d{1,6}$/.test(row?.v ?? "0")) throw new StoreUnusable(path, `its schema version ${JSON.stringify(row?.v)} is not a number`);
  if (version > SCHEMA_VERSION) {
    throw new StoreUnusable(path, `its schema is version ${version}, newer than this dpclab's ${SCHEMA_VERSION}: open it with a newer dpclab`);
  }
  return version;
}

/** Applies the migrations after `version`, in one transaction with the version they reach. */
function migrate(db: Database.Database, version: number): void {
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    db.exec(META_TABLE);
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] as string);
    db.prepare("INSERT INTO meta (k, v) VALUES ('schema_version', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v").run(String(SCHEMA_VERSION));
  }).immediate();
}

/** SQLite's own errors as the store's: a fault of the file is "unusable", anything passing is "unavailable". */
function explain(e: unknown, path: string): unknown {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) return e;
  const message = (e as Error).message;
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT"))
    return new StoreUnusable(path, `it is not a lab store or it is damaged (${message}); restore it from a copy or create a new lab`);
  if (code.startsWith("SQLITE_READONLY")) return new StoreUnavailable(path, `it cannot be written (${message})`);
  if (code.startsWith("SQLITE_BUSY")) return new StoreUnavailable(path, `another process held it for more than ${BUSY_TIMEOUT_MS / 1000} s`);
  return new StoreUnavailable(path, message);
}
