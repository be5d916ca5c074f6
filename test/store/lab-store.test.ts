import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { type LabStore, MemoryStore, openStore, SCHEMA_VERSION, SqliteStore } from "../../src/store/index.js";
import { propertySeed } from "../helpers/fast-check-seed.js";

const dir = mkdtempSync(join(tmpdir(), "dpclab-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshSqlite = () => SqliteStore.open(join(dir, `s${++n}.db`));

describe.each([
  ["memory", () => new MemoryStore()],
  ["sqlite", freshSqlite],
] as [string, () => LabStore][])("%s store", (_kind, make) => {
  it("keeps JSON values by table and key, copies them, lists in key order", () => {
    const s = make();
    const v = { a: 1, list: ["x"] };
    s.transaction((tx) => {
      tx.put("t", "b", v);
      tx.put("t", "a", 2);
      tx.put("u", "a", 3);
      tx.put("t", "__proto__", "data, not a prototype");
    });
    v.a = 9; // the store took a copy
    expect(s.read((tx) => tx.get("t", "b"))).toEqual({ a: 1, list: ["x"] });
    expect(s.read((tx) => tx.entries("t").map(([k]) => k))).toEqual(["__proto__", "a", "b"]);
    expect(s.read((tx) => tx.get("t", "__proto__"))).toBe("data, not a prototype");
    expect(s.read((tx) => tx.size("t"))).toBe(3);
    expect(s.read((tx) => tx.delete("t", "a"))).toBe(true);
    expect(s.read((tx) => [tx.get("t", "a"), tx.size("t"), tx.get("u", "a")])).toEqual([undefined, 2, 3]);
    s.close();
  });

  it("a transaction that throws writes nothing", () => {
    const s = make();
    s.transaction((tx) => tx.put("t", "k", 1));
    expect(() =>
      s.transaction((tx) => {
        tx.put("t", "k", 2);
        tx.put("t", "other", 3);
        tx.delete("t", "k");
        throw new Error("refused");
      }),
    ).toThrow("refused");
    expect(s.read((tx) => [tx.get("t", "k"), tx.get("t", "other"), tx.size("t")])).toEqual([1, undefined, 1]);
    s.close();
  });

  it("expires entries on the caller's clock and caps a table, dropping the soonest to expire", () => {
    const s = make();
    s.transaction((tx) => {
      for (let i = 0; i < 5; i++) tx.put("secrets", `s${i}`, i, { expiresAt: 1000 + i, cap: 3, now: 0 });
    });
    expect(s.read((tx) => tx.entries("secrets").map(([k]) => k))).toEqual(["s2", "s3", "s4"]);
    expect(s.read((tx) => tx.evicted("secrets"))).toBe(2);
    expect(s.read((tx) => tx.get("secrets", "s3", 1003))).toBeUndefined(); // from its expiry on, gone
    expect(s.read((tx) => tx.get("secrets", "s3", 1002))).toBe(3);
    s.transaction((tx) => tx.put("secrets", "late", 9, { expiresAt: 9000, cap: 3, now: 1004 })); // sweeps s2..s4
    expect(s.read((tx) => [tx.size("secrets"), tx.entries("secrets", { now: 1004 }).length])).toEqual([1, 1]);
    s.close();
  });

  it("finds entries by key prefix", () => {
    const s = make();
    s.transaction((tx) => {
      for (const k of ["card:1", "card:10", "card:2", "cards", "dc:1"]) tx.put("t", k, k);
    });
    expect(s.read((tx) => tx.entries("t", { prefix: "card:" }).map(([k]) => k))).toEqual(["card:1", "card:10", "card:2"]);
    s.close();
  });
});

describe("the stores agree", () => {
  const { params } = propertySeed("lab-store");
  it("any sequence of puts, deletes and expiries leaves memory and SQLite holding the same", () => {
    const op = fc.oneof(
      fc.record({
        op: fc.constant("put" as const),
        key: fc.string({ maxLength: 4 }),
        value: fc.jsonValue({ maxDepth: 2 }),
        ttl: fc.option(fc.integer({ min: 1, max: 50 })),
      }),
      fc.record({ op: fc.constant("delete" as const), key: fc.string({ maxLength: 4 }) }),
      fc.record({ op: fc.constant("throw" as const), key: fc.string({ maxLength: 4 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const stores = [new MemoryStore(), freshSqlite()];
        let now = 0;
        for (const o of ops) {
          now += 3;
          for (const s of stores) {
            try {
              s.transaction((tx) => {
                if (o.op === "put") tx.put("t", o.key, o.value, o.ttl === null ? {} : { expiresAt: now + o.ttl, cap: 8, now });
                else if (o.op === "delete") tx.delete("t", o.key);
                else {
                  tx.put("t", o.key, "half-done");
                  throw new Error("refused");
                }
              });
            } catch {
              // the refused one: nothing may be left of it
            }
          }
        }
        const views = stores.map((s) => s.read((tx) => JSON.stringify(tx.entries("t", { now }))));
        for (const s of stores) s.close();
        expect(views[1]).toBe(views[0]);
      }),
      params(60),
    );
  });
});

describe("the SQLite store", () => {
  it("keeps what was committed across a reopen", () => {
    const path = join(dir, "reopen.db");
    const a = SqliteStore.open(path);
    a.transaction((tx) => tx.put("t", "k", { kept: true }));
    a.close();
    const b = openStore(`sqlite:${path}`, "unused");
    expect(b.read((tx) => tx.get("t", "k"))).toEqual({ kept: true });
    b.close();
  });

  it("two connections serialise their read-modify-writes: no update is lost", () => {
    const path = join(dir, "two.db");
    const [a, b] = [SqliteStore.open(path), SqliteStore.open(path)];
    const bump = (s: LabStore) => s.transaction((tx) => tx.put("c", "n", (tx.get<number>("c", "n") ?? 0) + 1));
    for (let i = 0; i < 50; i++) {
      bump(a);
      bump(b);
    }
    expect(a.read((tx) => tx.get("c", "n"))).toBe(100);
    a.close();
    b.close();
  });

  it.each([
    [
      "not a database",
      (p: string) => writeFileSync(p, "this is not a database, it is a text file that happens to be long enough\n".repeat(20)),
      /cannot be used: it is not a lab store or it is damaged/,
    ],
    ["an empty schema version", (p: string) => seedDb(p, "schema_version", "x"), /schema version "x" is not a number/],
    [
      "a newer schema",
      (p: string) => seedDb(p, "schema_version", String(SCHEMA_VERSION + 1)),
      new RegExp(`version ${SCHEMA_VERSION + 1}, newer than this dpclab's ${SCHEMA_VERSION}`),
    ],
  ])("refuses %s with one line naming the file, and leaves it as it was", (_what, spoil, message) => {
    const path = join(dir, `bad-${++n}.db`);
    spoil(path);
    const before = readFileSync(path);
    let error: Error | undefined;
    try {
      SqliteStore.open(path);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).toContain(path);
    expect(error?.message).not.toContain("\n");
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("refuses a truncated database", () => {
    const path = join(dir, "truncated.db");
    const s = SqliteStore.open(path);
    s.transaction((tx) => {
      for (let i = 0; i < 2000; i++) tx.put("t", `k${i}`, "x".repeat(100));
    });
    s.close();
    truncateSync(path, 8192);
    expect(() => SqliteStore.open(path)).toThrow(/cannot be used: .*damaged/);
  });

  it("refuses a read-only file with one line (as root, checked as the unprivileged nobody, for whom it is read-only)", () => {
    const roDir = mkdtempSync(join(tmpdir(), "dpclab-ro-"));
    const path = join(roDir, "ro.db");
    SqliteStore.open(path).close();
    chmodSync(path, 0o444);
    chmodSync(roDir, 0o755);
    const store = new URL("../../dist/src/store/index.js", import.meta.url).href;
    const script = `import(${JSON.stringify(store)}).then((m) => m.SqliteStore.open(${JSON.stringify(path)})).then(() => console.log("opened"), (e) => console.log(e.message))`;
    const asRoot = process.getuid?.() === 0;
    const r = spawnSync(asRoot ? "runuser" : process.execPath, asRoot ? ["-u", "nobody", "--", process.execPath, "-e", script] : ["-e", script], {
      encoding: "utf8",
    });
    rmSync(roDir, { recursive: true, force: true });
    expect(r.stdout.trim()).toBe(
      `the lab store ${path} is unavailable: it is read-only here (the file or its directory): make both writable, or copy the lab elsewhere`,
    );
  });
});

function seedDb(path: string, key: string, value: string): void {
  const db = new Database(path);
  db.exec("CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
  db.prepare("INSERT INTO meta VALUES (?, ?)").run(key, value);
  db.close();
}
