import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { checkTable, type LabStore, type PutOptions, type StoreTx, StoreUnavailable, StoreUnusable } from "./lab-store.js";
import type { PgAnswer, PgOp } from "./postgres-worker.js";
import { SCHEMA_VERSION } from "./schema.js";

/** How long one operation may take before the database counts as gone (the worker's own query timeout is 15 s). */
const OPERATION_TIMEOUT_MS = 20_000;
/** A serialisation failure (two servers wrote the same rows) is retried this many times before it is a 503. */
const MAX_RETRIES = 20;
/** PostgreSQL's "try again" answers: serialization_failure and deadlock_detected. */
const RETRYABLE = new Set(["40001", "40P01"]);

class Retry extends Error {}

/**
 * The lab store in PostgreSQL (`--store postgres://…`): the same schema as SQLite, so two `dpclab serve` processes
 * on one database serve one lab. Every write transaction runs SERIALIZABLE and is run again when PostgreSQL reports
 * a conflict, so a single-use secret stays single-use and a PIN counter never loses an attempt across servers.
 *
 * The store's interface is synchronous and `pg` is not: a worker thread holds the connection, and each operation
 * is posted to it and waited for (Atomics.wait, then receiveMessageOnPort). The caller's thread blocks for the
 * round trip — a lab server's requests are short, and the alternative is every component turning async.
 */
export class PostgresStore implements LabStore {
  readonly kind = "postgres" as const;
  readonly where: string;
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #flag = new Int32Array(new SharedArrayBuffer(4));
  #next = 0;
  #depth = 0;
  readonly #tx: StoreTx;

  private constructor(url: string) {
    this.where = redact(url);
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(workerEntry(), { workerData: { url, port: port2, flag: this.#flag }, transferList: [port2] });
    this.#worker.unref();
    const live = (row: { expires: number | null }, now: number | undefined) => now === undefined || row.expires === null || now < row.expires;
    this.#tx = {
      get: <T>(table: string, key: string, now?: number) => {
        const row = this.#call({ op: "get", table, key }) as { v: string; expires: number | null } | null;
        return row && live(row, now) ? (JSON.parse(row.v) as T) : undefined;
      },
      put: (table: string, key: string, value: unknown, opts: PutOptions = {}) => {
        checkTable(table);
        const v = JSON.stringify(value);
        if (v === undefined) throw new TypeError(`store value for ${table}/${key} is not JSON`);
        this.#call({ op: "put", table, key, value: v, expiresAt: opts.expiresAt ?? null, cap: opts.cap ?? null, now: opts.now ?? null });
      },
      delete: (table, key) => this.#call({ op: "delete", table, key }) as boolean,
      entries: <T>(table: string, opts: { prefix?: string; now?: number } = {}) => {
        const rows = this.#call({ op: "entries", table, prefix: opts.prefix ?? null }) as { k: string; v: string; expires: number | null }[];
        return rows.filter((r) => live(r, opts.now)).map((r) => [r.k, JSON.parse(r.v) as T] as [string, T]);
      },
      size: (table) => (this.#call({ op: "size", table }) as { n: number }).n,
      evicted: (table) => (this.#call({ op: "size", table }) as { evicted: number }).evicted,
    };
  }

  /** Connects, brings the schema up to date, and refuses a database written by a newer dpclab. */
  static open(url: string): PostgresStore {
    const store = new PostgresStore(url);
    try {
      const opened = store.#call({ op: "open" }) as { version: number } | { newer: number };
      if ("newer" in opened) {
        throw new StoreUnusable(store.where, `its schema is version ${opened.newer}, newer than this dpclab's ${SCHEMA_VERSION}: open it with a newer dpclab`);
      }
    } catch (e) {
      store.close();
      throw e;
    }
    return store;
  }

  transaction<R>(fn: (tx: StoreTx) => R): R {
    return this.#run(fn, false);
  }

  read<R>(fn: (tx: StoreTx) => R): R {
    return this.#run(fn, true);
  }

  close(): void {
    void this.#worker.terminate();
    this.#port.close();
  }

  #run<R>(fn: (tx: StoreTx) => R, readOnly: boolean): R {
    if (this.#depth > 0) return fn(this.#tx); // joins the running transaction
    for (let attempt = 0; ; attempt++) {
      this.#depth++;
      try {
        this.#call({ op: "begin", readOnly });
        const result = fn(this.#tx);
        this.#call({ op: "commit" });
        return result;
      } catch (e) {
        this.#rollback();
        if (!(e instanceof Retry)) throw e;
        if (attempt >= MAX_RETRIES) throw new StoreUnavailable(this.where, `another server kept writing the same state (${MAX_RETRIES} retries)`);
      } finally {
        this.#depth--;
      }
    }
  }

  #rollback(): void {
    try {
      this.#call({ op: "rollback" });
    } catch {
      // the connection is gone, and the transaction with it
    }
  }

  /** One operation, waited for: its result, a Retry on a serialisation conflict, or the store's own errors. */
  #call(op: PgOp): unknown {
    const id = ++this.#next;
    Atomics.store(this.#flag, 0, 0);
    this.#port.postMessage({ ...op, id });
    const deadline = Date.now() + OPERATION_TIMEOUT_MS;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new StoreUnavailable(this.where, `no answer in ${OPERATION_TIMEOUT_MS / 1000} s`);
      Atomics.wait(this.#flag, 0, 0, left);
      const message = receiveMessageOnPort(this.#port);
      if (!message) continue;
      const answer = message.message as PgAnswer;
      if (answer.id !== id) continue; // the late answer of an operation that timed out
      if (answer.ok) return answer.result;
      if (answer.code && RETRYABLE.has(answer.code)) throw new Retry(answer.message);
      throw new StoreUnavailable(this.where, answer.message.split("\n")[0] ?? "error");
    }
  }
}

/** postgres://user:secret@host/db → postgres://user@host/db: the password never reaches a message or a log. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  } catch {
    return "the PostgreSQL database";
  }
}

/** The worker's compiled file: beside this one in dist, or under dist/ when this runs from source (the tests). */
function workerEntry(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".js")) return new URL("./postgres-worker.js", import.meta.url);
  let dir = dirname(here);
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  const entry = join(dir, "dist", "src", "store", "postgres-worker.js");
  if (!existsSync(entry)) throw new StoreUnavailable("postgres", `${entry} is missing: build first (npx tsc -p tsconfig.json)`);
  return pathToFileURL(entry);
}
