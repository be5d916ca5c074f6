import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveModulePath } from "../../src/pkcs11/module-path.js";
import { dpclab, tempDir } from "../helpers/cli.js";

// Issue 10 item 9: deck.json (every PIN and PUK) was 0644, and the softhsm2.conf the README promises was missing.
const dir = tempDir();
const lab = join(dir.path, "lab");
const mode = (path: string) => statSync(path).mode & 0o777;

function pkcs11Tool(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile("pkcs11-tool", args, { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

let confAfterCreate = false;

beforeAll(async () => {
  const r = await dpclab(["cards", "create", "--dir", lab, "--count", "2", "--seed", "lab-files"]);
  expect(r.code, r.stderr).toBe(0);
  confAfterCreate = existsSync(join(lab, "softhsm", "softhsm2.conf")); // before anything else opens a card
  expect((await dpclab(["pki-auth", "--dir", lab, "--card", "0"])).code).toBe(0);
});
afterAll(() => dir.remove());

describe("the lab directory's files", () => {
  it("secrets are 0600: the deck (PINs, PUKs), the PIN counters and every private key", async () => {
    expect(mode(join(lab, "cards", "deck.json"))).toBe(0o600);
    expect(mode(join(lab, "cards", "pin-counters.json"))).toBe(0o600);
    const keys = readdirSync(join(lab, "piv-ca")).filter((f) => f.endsWith(".key.pem"));
    expect(keys.sort()).toEqual(["content-signer.key.pem", "piv-ca.key.pem", "root.key.pem"]);
    for (const k of keys) expect(mode(join(lab, "piv-ca", k)), k).toBe(0o600);
    // A rewrite (here: a revocation saves the deck) keeps the mode.
    expect((await dpclab(["cards", "revoke", "--dir", lab, "--card", "1"])).code).toBe(0);
    expect(mode(join(lab, "cards", "deck.json"))).toBe(0o600);
    // The issuers' CA keys, made on first use (an in-process enrolment).
    const e = await dpclab(["enroll", "--dir", lab, "--issuer", "entrust", "--card", "0", "--platform", "android", "--out", join(dir.path, "out")]);
    expect(e.code, e.stdout + e.stderr).toBe(0);
    const issuerKeys = readdirSync(join(lab, "issuers")).filter((f) => f.endsWith(".key.pem"));
    expect(issuerKeys.length).toBeGreaterThan(0);
    for (const k of issuerKeys) expect(mode(join(lab, "issuers", k)), k).toBe(0o600);
  });

  it("cards create writes softhsm/softhsm2.conf, with which pkcs11-tool lists the lab's cards", async () => {
    const conf = join(lab, "softhsm", "softhsm2.conf");
    expect(confAfterCreate).toBe(true);
    expect(readFileSync(conf, "utf8")).toContain(`directories.tokendir = ${join(lab, "softhsm", "tokens")}`);
    const cards = JSON.parse((await dpclab(["cards", "list", "--dir", lab, "--json"])).stdout).cards as { tokenLabel: string }[];
    const r = await pkcs11Tool(["--module", resolveModulePath(), "-L"], { SOFTHSM2_CONF: conf });
    expect(r.code, r.out).toBe(0);
    for (const c of cards) expect(r.out).toContain(c.tokenLabel);
  });

  it("cards create on a lab that lost its softhsm2.conf writes it again", async () => {
    const conf = join(lab, "softhsm", "softhsm2.conf");
    rmSync(conf);
    expect((await dpclab(["cards", "create", "--dir", lab, "--count", "1"])).code).toBe(0);
    const r = await pkcs11Tool(["--module", resolveModulePath(), "-L"], { SOFTHSM2_CONF: conf });
    expect(r.out.match(/token label/g)?.length).toBe(3);
  });
});
