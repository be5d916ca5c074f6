import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/index.js";
import { dpclab, tempDir } from "../helpers/cli.js";

// Issue 14 item 4: a store dpclab cannot use is one clear line and a non-zero exit, before anything is written;
// the file is left exactly as it was (no half-written migration, no "repair").
const dir = tempDir("dpclab-bad-store-");
afterAll(() => dir.remove());

/** A real lab store with some rows in it (what a lab that has been used has). */
function usedStore(path: string): void {
  const s = SqliteStore.open(path);
  s.transaction((tx) => {
    for (let i = 0; i < 2000; i++) tx.put("cards/deck", String(i).padStart(8, "0"), { filler: "x".repeat(100) });
  });
  s.close();
}

const digest = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

beforeAll(() => {
  usedStore(join(dir.path, "truncated.db"));
  truncateSync(join(dir.path, "truncated.db"), 8192);
  writeFileSync(join(dir.path, "garbage.db"), "this is no database\n".repeat(400));
  usedStore(join(dir.path, "newer.db"));
  const db = new Database(join(dir.path, "newer.db"));
  db.prepare("UPDATE meta SET v = ? WHERE k = 'schema_version'").run("999");
  db.close();
});

describe("dpclab serve on a store it cannot use", () => {
  const cases: [string, string, RegExp][] = [
    ["not a database", "garbage.db", /^dpclab: the lab store .*garbage\.db cannot be used: it is not a lab store/],
    ["a truncated database", "truncated.db", /^dpclab: the lab store .*truncated\.db cannot be used: .*damaged/],
    ["a newer schema", "newer.db", /^dpclab: the lab store .*newer\.db cannot be used: its schema is version 999, newer/],
  ];
  for (const [what, file, message] of cases) {
    it(`${what}: one line, exit 1, the file untouched, never "ready"`, async () => {
      const path = join(dir.path, file);
      const before = digest(path);
      const r = await dpclab(["serve", "--dir", join(dir.path, "lab"), "--store", `sqlite:${path}`, "--port", "0"]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stdout).not.toContain("ready");
      expect(digest(path)).toBe(before);
    });
  }

  it("the lab's own lab.db (the default store) is checked the same way", async () => {
    const lab = join(dir.path, "lab-default");
    spawnSync("mkdir", ["-p", lab]);
    copyFileSync(join(dir.path, "garbage.db"), join(lab, "lab.db"));
    const r = await dpclab(["serve", "--dir", lab, "--port", "0"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^dpclab: the lab store .*lab-default\/lab\.db cannot be used/);
  });

  it("a --store it does not know: one usage line", async () => {
    const r = await dpclab(["serve", "--dir", join(dir.path, "lab"), "--store", "mysql://x", "--port", "0"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/^dpclab: --store "mysql:\/\/x": say sqlite, sqlite:PATH, memory or postgres:/);
  });

  it("a read-only store (as root, served as the unprivileged nobody, for whom it is read-only): one line, exit 1", () => {
    const roDir = mkdtempSync(join(tmpdir(), "dpclab-ro-serve-"));
    const path = join(roDir, "lab.db");
    usedStore(path);
    chmodSync(path, 0o444);
    chmodSync(roDir, 0o755);
    const before = digest(path);
    const bin = resolve(import.meta.dirname, "../../bin/dpclab.js");
    const args = [bin, "serve", "--dir", roDir, "--port", "0"];
    const asRoot = process.getuid?.() === 0;
    const r = spawnSync(asRoot ? "runuser" : process.execPath, asRoot ? ["-u", "nobody", "--", process.execPath, ...args] : args, {
      encoding: "utf8",
      env: { ...process.env, CI: "true" },
      timeout: 30_000,
    });
    const after = digest(path);
    rmSync(roDir, { recursive: true, force: true });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      `dpclab: the lab store ${path} is unavailable: it is read-only here (the file or its directory): make both writable, or copy the lab elsewhere`,
    );
    expect(after).toBe(before);
  });
});
