import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dpclab, tempDir } from "../helpers/cli.js";

// Issue 10 item 10: truncated, empty, {} and null lab files printed "internal error: SyntaxError" with a stack trace,
// and a null deck was taken for an empty one. Every read checks the file's shape: one line naming it, exit != 0.
const dir = tempDir();
const good = join(dir.path, "good");

type Variant = [name: string, content: (original: string) => string];
const COMMON: Variant[] = [
  ["truncated", (o) => o.slice(0, Math.floor(o.length / 2))],
  ["empty", () => ""],
  ["null", () => "null"],
];

/** What each file reads as when corrupt, and the commands that read it (cards revoke never reads the PIN counters). */
const FILES: { file: string; variants: Variant[]; commands: string[][] }[] = [
  {
    file: "lab.json",
    variants: [...COMMON, ["{}", () => "{}"], ["wrong types", (o) => o.replace(/"alg": "p256"/, '"alg": 256')]],
    commands: [
      ["cards", "list"],
      ["pki-auth", "--card", "0"],
      ["cards", "revoke", "--card", "0"],
      ["cards", "create", "--count", "1"],
    ],
  },
  {
    file: "piv-ca/state.json",
    variants: [...COMMON, ["{}", () => "{}"], ["wrong types", () => '{"version": 1, "registries": {"root": [], "piv-ca": {}}, "accounts": "none"}']],
    commands: [
      ["cards", "list"],
      ["pki-auth", "--card", "0"],
      ["cards", "revoke", "--card", "0"],
    ],
  },
  {
    file: "cards/deck.json",
    variants: [...COMMON, ["{}", () => "{}"], ["wrong types", (o) => o.replace(/"pin": "(\d+)"/, '"pin": $1')]],
    commands: [
      ["cards", "list"],
      ["pki-auth", "--card", "0"],
      ["cards", "revoke", "--card", "0"],
    ],
  },
  {
    // {} is a valid counter file (no card has used its PIN yet), so it is not among the corrupt versions.
    file: "cards/pin-counters.json",
    variants: [...COMMON, ["an array", () => "[]"], ["wrong types", (o) => o.replace(/"triesLeft":\s*\d+/, '"triesLeft":"9"')]],
    commands: [
      ["cards", "list"],
      ["pki-auth", "--card", "0"],
    ],
  },
  {
    // Key material: no shape to check, but a cut or emptied PEM is the same one line naming the file.
    file: "piv-ca/root.pem",
    variants: [COMMON[0] as Variant, COMMON[1] as Variant],
    commands: [
      ["cards", "list"],
      ["pki-auth", "--card", "0"],
    ],
  },
];

beforeAll(async () => {
  const r = await dpclab(["cards", "create", "--dir", good, "--count", "1", "--seed", "corrupt-lab"]);
  expect(r.code, r.stderr).toBe(0);
  expect((await dpclab(["pki-auth", "--dir", good, "--card", "0", "--pin", "00000000"])).code).toBe(1); // writes pin-counters.json
});
afterAll(() => dir.remove());

let n = 0;
describe("corrupt lab files: one clear line naming the file, non-zero exit, no stack trace", () => {
  for (const { file, variants, commands } of FILES) {
    for (const [variant, content] of variants) {
      it(`${file} ${variant}: ${commands.map((c) => c.slice(0, 2).join(" ")).join(", ")}`, async () => {
        const lab = join(dir.path, `lab-${++n}`);
        cpSync(good, lab, { recursive: true });
        const original = readFileSync(join(lab, file), "utf8");
        const corrupt = content(original);
        expect(corrupt).not.toBe(original);
        writeFileSync(join(lab, file), corrupt);
        for (const command of commands) {
          const [first, ...rest] = command;
          const r = await dpclab([first as string, ...(first === "cards" ? [rest[0] as string, "--dir", lab, ...rest.slice(1)] : ["--dir", lab, ...rest])]);
          const what = `dpclab ${command.join(" ")} → ${r.code}\n${r.stdout}${r.stderr}`;
          expect(r.code, what).not.toBe(0);
          expect(r.code, what).not.toBe(70);
          expect(r.stderr, what).not.toMatch(/internal error|SyntaxError| {4}at /);
          const lines = r.stderr.trim().split("\n");
          expect(lines, what).toHaveLength(1);
          expect(lines[0], what).toContain(join(lab, file));
          expect(lines[0], what).toMatch(/corrupt lab file/);
        }
        // Nothing was written over the corrupt file: it is left for the user to restore.
        expect(readFileSync(join(lab, file), "utf8")).toBe(corrupt);
      });
    }
  }

  it("an empty counter file object ({}) is a valid, fresh one", async () => {
    const lab = join(dir.path, "lab-empty-counters");
    cpSync(good, lab, { recursive: true });
    writeFileSync(join(lab, "cards/pin-counters.json"), "{}");
    const r = await dpclab(["cards", "list", "--dir", lab, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).cards[0].status).toBe("active");
  });
});
