import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dpclab, tempDir } from "../helpers/cli.js";

const dir = tempDir();
const lab = join(dir.path, "lab");

beforeAll(async () => {
  expect((await dpclab(["cards", "create", "--dir", lab, "--count", "1", "--seed", "errors"])).code).toBe(0);
});
afterAll(() => dir.remove());

/** Bad input: one clear line on stderr, a non-zero exit, no stack trace, and the lab unchanged. */
describe("bad input to the CLI", () => {
  const cases: [string, string[], RegExp][] = [
    ["unknown command", ["frobnicate"], /unknown command "frobnicate"/],
    ["unknown flag", ["cards", "list", "--dir", lab, "--colour"], /Unknown option '--colour'/],
    ["count not a number", ["cards", "create", "--dir", lab, "--count", "lots"], /--count must be a whole number/],
    ["count zero", ["cards", "create", "--dir", lab, "--count", "0"], /--count must be a whole number/],
    ["missing count", ["cards", "create", "--dir", lab], /--count is required/],
    ["unknown algorithm", ["cards", "create", "--dir", join(dir.path, "x"), "--count", "1", "--alg", "ed25519"], /unknown key algorithm "ed25519"/],
    ["another algorithm in an existing lab", ["cards", "create", "--dir", lab, "--count", "1", "--alg", "p384"], /uses p256/],
    ["https base URL", ["cards", "create", "--dir", join(dir.path, "y"), "--count", "1", "--base-url", "https://x.test"], /--base-url must be an http origin/],
    ["no such card", ["pki-auth", "--dir", lab, "--card", "7"], /no card 7 in this lab/],
    ["card not a number", ["cards", "export", "--dir", lab, "--card", "two", "--out", dir.path], /--card must be a whole number/],
    ["unknown revocation reason", ["cards", "revoke", "--dir", lab, "--card", "0", "--reason", "bored"], /bored/],
    ["no lab", ["cards", "list", "--dir", join(dir.path, "none")], /no lab in/],
    ["bad port", ["pki", "serve", "--dir", lab, "--port", "99999"], /--port must be a whole number from 0 to 65535/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const r = await dpclab(args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).not.toMatch(/internal error|\bat .+\.js:\d+/);
    });
  }

  it("a refused command leaves the lab as it was", async () => {
    const before = (await dpclab(["cards", "list", "--dir", lab, "--json"])).stdout;
    await dpclab(["cards", "revoke", "--dir", lab, "--card", "0", "--reason", "bored"]);
    await dpclab(["cards", "create", "--dir", lab, "--count", "1", "--alg", "p384"]);
    expect((await dpclab(["cards", "list", "--dir", lab, "--json"])).stdout).toBe(before);
  });
});
