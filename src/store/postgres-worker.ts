// The thread that talks to PostgreSQL for PostgresStore: the store's interface is synchronous (every state change is
// one synchronous transaction) and `pg` is asynchronous, so the caller posts one operation here and sleeps on a shared
// flag until the answer is posted back. One connection, one transaction at a time, as the caller's thread runs them.
import { type MessagePort, workerData } from "node:worker_threads";
import pg from "pg";
import { META_TABLE, MIGRATIONS, SCHEMA_VERSION } from "./schema.js";

export type PgOp =
  | { op: "open" }
  | { op: "begin"; readOnly: boolean }
  | { op: "commit" }
  | { op: "rollback" }
  | { op: "get"; table: string; key: string }
  | { op: "put"; table: string; key: string; value: string; expiresAt: number | null; cap: number | null; now: number | null }
  | { op: "delete"; table: string; key: string }
  | { op: "entries"; table: string; prefix: string | null }
  | { op: "size"; table: string };

export type PgAnswer = { id: number; ok: true; result: unknown } | { id: number; ok: false; code?: string; message: string };

interface Init {
  url: string;
  port: MessagePort;
  flag: Int32Array;
}

const { url, port, flag } = workerData as Init;
let client: pg.Client | undefined;

async function connected(): Promise<pg.Client> {
  if (client) return client;
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, query_timeout: 15_000 });
  // A server that goes away is seen as an error on the next query; drop the client so the next operation reconnects.
  c.on("error", () => {
    if (client === c) client = undefined;
  });
  await c.connect();
  client = c;
  return c;
}

async function run(m: PgOp): Promise<unknown> {
  const c = await connected();
  switch (m.op) {
    case "open":
      return open(c);
    case "begin":
      await c.query(m.readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN ISOLATION LEVEL SERIALIZABLE");
      return null;
    case "commit":
      await c.query("COMMIT");
      return null;
    case "rollback":
      await c.query("ROLLBACK");
      return null;
    case "get": {
      const r = await c.query("SELECT v, expires FROM entries WHERE tbl = $1 AND k = $2", [m.table, m.key]);
      const row = r.rows[0];
      return row ? { v: row.v, expires: row.expires === null ? null : Number(row.expires) } : null;
    }
    case "put":
      return put(c, m);
    case "delete": {
      const r = await c.query("DELETE FROM entries WHERE tbl = $1 AND k = $2", [m.table, m.key]);
      if (r.rowCount) await grow(c, m.table, -1, 0);
      return (r.rowCount ?? 0) > 0;
    }
    case "entries": {
      const r =
        m.prefix === null
          ? await c.query('SELECT k, v, expires FROM entries WHERE tbl = $1 ORDER BY k COLLATE "C"', [m.table])
          : await c.query('SELECT k, v, expires FROM entries WHERE tbl = $1 AND starts_with(k, $2) ORDER BY k COLLATE "C"', [m.table, m.prefix]);
      return r.rows.map((row) => ({ k: row.k, v: row.v, expires: row.expires === null ? null : Number(row.expires) }));
    }
    case "size": {
      const r = await c.query("SELECT n, evicted FROM sizes WHERE tbl = $1", [m.table]);
      const row = r.rows[0];
      return row ? { n: Number(row.n), evicted: Number(row.evicted) } : { n: 0, evicted: 0 };
    }
  }
}

async function grow(c: pg.Client, table: string, n: number, evicted: number): Promise<void> {
  await c.query(
    "INSERT INTO sizes (tbl, n, evicted) VALUES ($1, $2, $3) ON CONFLICT (tbl) DO UPDATE SET n = sizes.n + excluded.n, evicted = sizes.evicted + excluded.evicted",
    [table, n, evicted],
  );
}

async function put(c: pg.Client, m: Extract<PgOp, { op: "put" }>): Promise<null> {
  if (m.now !== null) {
    const swept = await c.query("DELETE FROM entries WHERE tbl = $1 AND expires IS NOT NULL AND expires <= $2", [m.table, m.now]);
    if (swept.rowCount) await grow(c, m.table, -swept.rowCount, 0);
  }
  const inserted = await c.query("INSERT INTO entries (tbl, k, v, expires) VALUES ($1, $2, $3, $4) ON CONFLICT (tbl, k) DO NOTHING", [
    m.table,
    m.key,
    m.value,
    m.expiresAt,
  ]);
  if (inserted.rowCount === 1) await grow(c, m.table, 1, 0);
  else await c.query("UPDATE entries SET v = $3, expires = $4 WHERE tbl = $1 AND k = $2", [m.table, m.key, m.value, m.expiresAt]);
  if (m.cap !== null) {
    const size = await c.query("SELECT n FROM sizes WHERE tbl = $1", [m.table]);
    const over = Number(size.rows[0]?.n ?? 0) - m.cap;
    if (over > 0) {
      const dropped = await c.query(
        "DELETE FROM entries WHERE tbl = $1 AND k IN (SELECT k FROM entries WHERE tbl = $1 AND expires IS NOT NULL ORDER BY expires LIMIT $2)",
        [m.table, over],
      );
      await grow(c, m.table, -(dropped.rowCount ?? 0), dropped.rowCount ?? 0);
    }
  }
  return null;
}

/** Brings the schema up to date under an advisory lock, so two servers starting together migrate once. */
async function open(c: pg.Client): Promise<{ version: number } | { newer: number }> {
  await c.query("BEGIN");
  try {
    await c.query("SELECT pg_advisory_xact_lock(157)");
    await c.query(META_TABLE);
    const r = await c.query("SELECT v FROM meta WHERE k = 'schema_version'");
    const version = r.rows[0] ? Number(r.rows[0].v) : 0;
    if (!Number.isSafeInteger(version) || version > SCHEMA_VERSION) {
      await c.query("ROLLBACK");
      return { newer: version };
    }
    for (let v = version; v < SCHEMA_VERSION; v++) await c.query(MIGRATIONS[v] as string);
    await c.query("INSERT INTO meta (k, v) VALUES ('schema_version', $1) ON CONFLICT (k) DO UPDATE SET v = excluded.v", [String(SCHEMA_VERSION)]);
    await c.query("COMMIT");
    return { version: SCHEMA_VERSION };
  } catch (e) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
}

port.on("message", async (m: PgOp & { id: number }) => {
  let answer: PgAnswer;
  try {
    answer = { id: m.id, ok: true, result: await run(m) };
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (!err.code || /^(08|57P|53)/.test(err.code) || err.message?.includes("Connection terminated")) {
      // Connection-level trouble: start afresh on the next operation.
      const old = client;
      client = undefined;
      old?.end().catch(() => undefined);
    }
    answer = { id: m.id, ok: false, ...(err.code ? { code: err.code } : {}), message: String(err.message ?? e) };
  }
  port.postMessage(answer);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
