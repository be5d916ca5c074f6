import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LabStore, openStore, PostgresStore, SCHEMA_VERSION } from "../../src/store/index.js";
import { type PostgresServer, startPostgres } from "../helpers/postgres-server.js";

// A real PostgreSQL server (Debian's package), started for this file: the shared lab's store.
let server: PostgresServer | undefined;
let skip: string | undefined;
beforeAll(async () => {
  const started = await startPostgres();
  if ("skip" in started) {
    skip = started.skip;
    console.warn(`[postgres-store] skipped: ${skip}`);
  } else server = started;
}, 120_000);
afterAll(() => server?.stop());

const stores: LabStore[] = [];
const open = () => {
  const s = openStore(server!.url, "unused");
  stores.push(s);
  return s;
};
afterAll(() => {
  for (const s of stores) s.close();
});

describe("the PostgreSQL store", () => {
  it("keeps, expires, caps and rolls back as the other stores do", ({ skip: skipTest }) => {
    if (skip) return skipTest(skip);
    const s = open();
    expect(s.kind).toBe("postgres");
    expect(s.where).not.toContain(":@"); // no password shown, not even an empty one
    s.transaction((tx) => {
      for (let i = 0; i < 5; i++) tx.put("pg-secrets", `s${i}`, { i }, { expiresAt: 1000 + i, cap: 3, now: 0 });
      tx.put("pg-plain", "__proto__", "data");
    });
    expect(s.read((tx) => tx.entries("pg-secrets").map(([k]) => k))).toEqual(["s2", "s3", "s4"]);
    expect(s.read((tx) => [tx.evicted("pg-secrets"), tx.size("pg-secrets"), tx.get("pg-plain", "__proto__")])).toEqual([2, 3, "data"]);
    expect(s.read((tx) => tx.get("pg-secrets", "s3", 1003))).toBeUndefined();
    expect(() =>
      s.transaction((tx) => {
        tx.put("pg-plain", "half", 1);
        throw new Error("refused");
      }),
    ).toThrow("refused");
    expect(s.read((tx) => tx.get("pg-plain", "half"))).toBeUndefined();
  });

  it("two servers' stores never lose an update or spend a single-use secret twice", ({ skip: skipTest }) => {
    if (skip) return skipTest(skip);
    const [a, b] = [open(), open()];
    a.transaction((tx) => tx.put("pg-otp", "123456", { usedAt: null }));
    const redeem = (s: LabStore) =>
      s.transaction((tx) => {
        const e = tx.get<{ usedAt: number | null }>("pg-otp", "123456");
        if (!e || e.usedAt !== null) return false;
        tx.put("pg-otp", "123456", { usedAt: 1 });
        return true;
      });
    expect([redeem(a), redeem(b), redeem(a)]).toEqual([true, false, false]);
    for (let i = 0; i < 40; i++) for (const s of [a, b]) s.transaction((tx) => tx.put("pg-count", "n", (tx.get<number>("pg-count", "n") ?? 0) + 1));
    expect(a.read((tx) => tx.get("pg-count", "n"))).toBe(80);
  });

  it("answers 503 while the database is gone and works again when it is back", ({ skip: skipTest }) => {
    if (skip) return skipTest(skip);
    const s = open();
    s.transaction((tx) => tx.put("pg-plain", "before", 1));
    server!.kill();
    let error: (Error & { status?: number; code?: string }) | undefined;
    try {
      s.transaction((tx) => tx.put("pg-plain", "during", 2));
    } catch (e) {
      error = e as Error;
    }
    expect(error?.code).toBe("store-unavailable");
    expect(error?.status).toBe(503);
    expect(error?.message).toContain("127.0.0.1");
    server!.start();
    expect(s.read((tx) => [tx.get("pg-plain", "before"), tx.get("pg-plain", "during")])).toEqual([1, undefined]);
  });

  it("refuses a database whose schema is newer, with one line, and leaves it as it was", async ({ skip: skipTest }) => {
    if (skip) return skipTest(skip);
    open(); // the schema is there
    const client = new pg.Client({ connectionString: server!.url });
    await client.connect();
    try {
      await client.query("UPDATE meta SET v = $1 WHERE k = 'schema_version'", [String(SCHEMA_VERSION + 1)]);
      expect(() => PostgresStore.open(server!.url)).toThrow(
        new RegExp(`cannot be used: its schema is version ${SCHEMA_VERSION + 1}, newer than this dpclab's ${SCHEMA_VERSION}`),
      );
      expect((await client.query("SELECT v FROM meta WHERE k = 'schema_version'")).rows[0].v).toBe(String(SCHEMA_VERSION + 1));
    } finally {
      await client.query("UPDATE meta SET v = $1 WHERE k = 'schema_version'", [String(SCHEMA_VERSION)]);
      await client.end();
    }
  });
});
