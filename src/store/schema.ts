/**
 * The lab store's schema, the same text in SQLite and PostgreSQL, versioned: migration N takes a store from version
 * N-1 to N. A store whose version is newer than the last migration here was written by a newer dpclab, and is
 * refused rather than half-understood.
 *
 * - `entries`: every piece of lab state, one row per (table, key), the value as JSON; `expires` (epoch ms) for what
 *   lives a limited time (one-time secrets, challenges, sessions, attempt counters).
 * - `sizes`: per table, rows held and rows a cap dropped, kept in the same transaction as the rows: a cap check costs
 *   one row, not a count.
 * - `meta`: the schema version.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the key-value schema
  `CREATE TABLE IF NOT EXISTS entries (tbl TEXT NOT NULL, k TEXT NOT NULL, v TEXT NOT NULL, expires BIGINT, PRIMARY KEY (tbl, k));
   CREATE INDEX IF NOT EXISTS entries_expiry ON entries (tbl, expires);
   CREATE TABLE IF NOT EXISTS sizes (tbl TEXT PRIMARY KEY, n BIGINT NOT NULL, evicted BIGINT NOT NULL);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export const META_TABLE = "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)";
