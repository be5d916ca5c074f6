import { describe, expect, it } from "vitest";
import { CATALOGUE } from "../../scenarios/index.js";
import { dpclab } from "../helpers/cli.js";

// The compiled command, as a user runs it (the global setup compiles first).
describe("dpclab scenario", () => {
  it("list shows every catalogue entry with what it covers", async () => {
    const r = await dpclab(["scenario", "list"]);
    expect(r.code).toBe(0);
    for (const s of CATALOGUE) expect(r.stdout).toContain(s.name);
    expect(r.stdout).toMatch(/DC-TRM-02/);
    const json = await dpclab(["scenario", "list", "--json"]);
    expect(JSON.parse(json.stdout).map((s: { name: string }) => s.name)).toEqual(CATALOGUE.map((s) => s.name));
  });

  it("run NAME --seed S --runs N: prints the seed and the replay command, passes, exits 0", async () => {
    const r = await dpclab(["scenario", "run", "enrol-entrust-android", "--seed", "7", "--runs", "2"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("seed 7, 2 runs");
    expect(r.stdout).toContain("replay: dpclab scenario run enrol-entrust-android --seed 7");
    expect(r.stdout).toMatch(/scenario enrol-entrust-android PASSED: 2 runs, \d+ commands, \d+ credentials/);
    expect(r.stdout).toMatch(/outcomes predicted by the model and given by the lab: ok \d+/);
  });

  it("--path replays one case of a seed", async () => {
    const r = await dpclab(["scenario", "run", "enrol-intercede-ios", "--seed=-12", "--path", "0", "--json"]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { ok: boolean; runs: number; seed: number };
    expect(result).toMatchObject({ ok: true, runs: 1, seed: -12 });
  });

  it("bad input is one line and exit 2", async () => {
    for (const args of [
      ["scenario"],
      ["scenario", "frobnicate"],
      ["scenario", "run"],
      ["scenario", "run", "no-such-scenario"],
      ["scenario", "run", "renewal-storm", "issuer-change"],
      ["scenario", "run", "renewal-storm", "--seed", "x"],
      ["scenario", "run", "renewal-storm", "--seed", "99999999999"],
      ["scenario", "run", "renewal-storm", "--runs", "0"],
      ["scenario", "run", "renewal-storm", "--path", "a:b"],
      ["scenario", "run", "renewal-storm", "--bogus"],
      ["scenario", "list", "extra"],
    ]) {
      const r = await dpclab(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr, args.join(" ")).toMatch(/^dpclab: /);
    }
  });
});
