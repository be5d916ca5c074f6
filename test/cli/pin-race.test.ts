import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dpclab, tempDir } from "../helpers/cli.js";

// Issue 10 item 3: 20 parallel wrong PINs let 15 reach the token (10 allowed), and some processes failed with a
// spurious "no card … in the token store" (every process rewrote softhsm2.conf in place; SoftHSM read it empty).
const dir = tempDir();
const lab = join(dir.path, "lab");
const PARALLEL = 20;
let pins: string[];

beforeAll(async () => {
  const r = await dpclab(["cards", "create", "--dir", lab, "--count", "2", "--seed", "pin-race"]);
  expect(r.code, r.stderr).toBe(0);
  pins = JSON.parse((await dpclab(["cards", "list", "--dir", lab, "--json"])).stdout).cards.map((c: { pin: string }) => c.pin);
});

afterAll(() => dir.remove());

describe("PIN retry counter under parallel processes (DC-ACT-07, FIPS 201-3 §4.3.1)", () => {
  it(`${PARALLEL} parallel wrong PINs: exactly 10 reach the token, the rest find the card blocked, none fails otherwise`, async () => {
    const wrong = pins[0] === "000000" ? "111111" : "000000";
    const runs = await Promise.all(Array.from({ length: PARALLEL }, () => dpclab(["pki-auth", "--dir", lab, "--card", "0", "--pin", wrong])));
    const reason = (out: string) => /REJECTED \(([a-z-]+)\)/.exec(out)?.[1] ?? "none";
    const outcomes = runs.map((r) => `${r.code}:${reason(r.stdout)}:${r.stderr.trim()}`);
    // Anything else, with what the command said (a failure here must say why).
    const odd = runs.filter((r) => !/REJECTED \((pin-incorrect|card-blocked)\)/.test(r.stdout)).map((r) => `${r.code} ${r.stdout}${r.stderr}`);
    expect(odd, odd.join("\n---\n")).toEqual([]);
    expect(
      outcomes.filter((o) => o === "1:pin-incorrect:"),
      outcomes.join("\n"),
    ).toHaveLength(10);
    expect(
      outcomes.filter((o) => o === "1:card-blocked:"),
      outcomes.join("\n"),
    ).toHaveLength(PARALLEL - 10);
    // Every tries-left figure was handed out once: each wrong PIN was charged before the token saw it.
    const left = runs.map((r) => /wrong PIN: (\d+) tr/.exec(r.stdout)?.[1]).filter((n) => n !== undefined);
    expect(left.map(Number).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const counters = JSON.parse(readFileSync(join(lab, "cards", "pin-counters.json"), "utf8"));
    expect(Object.values(counters)).toContainEqual({ triesLeft: 0, maxTries: 10 });
    // The other card is untouched and still authenticates.
    expect((await dpclab(["pki-auth", "--dir", lab, "--card", "1"])).code).toBe(0);
  });
});
