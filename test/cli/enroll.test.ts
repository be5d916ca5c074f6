import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dpclab, freePort, startDpclab, tempDir } from "../helpers/cli.js";
import { openssl } from "../helpers/openssl.js";

// `dpclab enroll` as a user runs it: in-process, and against a running `dpclab serve`; OpenSSL judges the output.
const dir = tempDir();
const lab = join(dir.path, "lab");
let port: number;

beforeAll(async () => {
  port = await freePort();
  const r = await dpclab(["cards", "create", "--dir", lab, "--count", "4", "--seed", "enroll-cli", "--base-url", `http://127.0.0.1:${port}`]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => dir.remove());

async function verifyChain(out: string, files: string[]): Promise<void> {
  for (const f of files) {
    const v = await openssl(["verify", "-CAfile", join(out, "root.pem"), "-untrusted", join(out, "chain.pem"), join(out, f)]);
    expect(v.out, f).toContain(": OK");
  }
}

describe("dpclab enroll", () => {
  for (const [issuer, platform, keystore, policy] of [
    ["purebred", "ios", "software", "2.16.840.1.101.3.2.1.3.40"],
    ["entrust", "android", "hardware", "2.16.840.1.101.3.2.1.3.41"],
    ["intercede", "ios", "software", "2.16.840.1.101.3.2.1.3.40"],
  ] as const) {
    it(`${issuer} on ${platform} (${keystore} keystore), in-process: prints each step and writes a chain OpenSSL accepts`, async () => {
      const out = join(dir.path, `out-${issuer}`);
      const r = await dpclab(["enroll", "--dir", lab, "--issuer", issuer, "--card", "1", "--platform", platform, "--keystore", keystore, "--out", out]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain("✓ mdm-enrol");
      expect(r.stdout).toContain("✓ register-credential");
      expect(r.stdout).toContain("derived credential valid");
      const files = platform === "ios" ? ["derived-piv-auth.pem", "derived-signing.pem", "derived-encryption.pem"] : ["derived-piv-auth.pem"];
      await verifyChain(out, files);
      expect(existsSync(join(out, "derived-signing.pem"))).toBe(platform === "ios");
      const text = (await openssl(["x509", "-in", join(out, "derived-piv-auth.pem"), "-noout", "-text"])).out;
      expect(text).toContain(policy);
      expect(text).toContain(`DPCLAB TEST ${issuer[0]?.toUpperCase()}${issuer.slice(1)} Derived PIV CA`);
    });
  }

  it("against a running dpclab serve (--url), with OCSP from the issuer's responder", async () => {
    const server = await startDpclab(["serve", "--dir", lab, "--port", String(port)]);
    try {
      const out = join(dir.path, "out-served");
      const r = await dpclab([
        "enroll",
        "--dir",
        lab,
        "--issuer",
        "entrust",
        "--card",
        "2",
        "--platform",
        "android",
        "--url",
        `http://127.0.0.1:${port}`,
        "--out",
        out,
      ]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain("over HTTP");
      await verifyChain(out, ["derived-piv-auth.pem"]);
      const ocsp = await openssl([
        "ocsp",
        "-issuer",
        join(out, "chain.pem"),
        "-cert",
        join(out, "derived-piv-auth.pem"),
        "-CAfile",
        join(out, "root.pem"),
        "-url",
        `http://127.0.0.1:${port}/pki/ocsp/entrust-ca`,
      ]);
      expect(ocsp.out).toContain("Response verify OK");
      expect(ocsp.out).toMatch(/derived-piv-auth\.pem: good/);
      // One issuer per tenant (docs/intune.md §1.2): the served tenant now has Entrust.
      const other = await dpclab(["enroll", "--dir", lab, "--issuer", "intercede", "--card", "3", "--platform", "ios", "--url", `http://127.0.0.1:${port}`]);
      expect(other.code).toBe(1);
      expect(other.stderr).toContain("one issuer per tenant");
    } finally {
      await server.stop();
    }
  });

  it("without --out writes under the lab (enrolments/<issuer>-card<I>-<platform>-<time>/), never the current directory; private keys 0600", async () => {
    const before = readdirSync(process.cwd());
    const r = await dpclab(["enroll", "--dir", lab, "--issuer", "intercede", "--card", "3", "--platform", "ios"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = /to (\S+)\s*$/.exec(r.stdout.trim())?.[1] as string;
    expect(out).toMatch(new RegExp(`^${join(lab, "enrolments", "intercede-card3-ios-")}\\d{8}T\\d{6}Z$`));
    expect(readdirSync(process.cwd())).toEqual(before);
    expect(statSync(join(out, "derived-encryption.key.pem")).mode & 0o777).toBe(0o600);
    expect(statSync(out).mode & 0o077).toBe(0);
    await verifyChain(out, ["derived-piv-auth.pem"]);
  });

  it("--out is honoured, and a key file left there readable by others is replaced by one at 0600", async () => {
    const out = join(dir.path, "out-reused");
    const first = await dpclab(["enroll", "--dir", lab, "--issuer", "intercede", "--card", "3", "--platform", "ios", "--out", out]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    writeFileSync(join(out, "derived-encryption.key.pem"), "stale", { mode: 0o644 });
    const again = await dpclab(["enroll", "--dir", lab, "--issuer", "intercede", "--card", "3", "--platform", "ios", "--out", out]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain(`to ${out}`);
    expect(statSync(join(out, "derived-encryption.key.pem")).mode & 0o777).toBe(0o600);
  });

  const bad: [string, string[], RegExp][] = [
    ["unknown issuer", ["--issuer", "xtec", "--card", "1", "--platform", "ios"], /--issuer must be purebred, entrust or intercede/],
    ["unknown platform", ["--issuer", "entrust", "--card", "1", "--platform", "windows"], /--platform must be ios or android/],
    ["bad keystore", ["--issuer", "entrust", "--card", "1", "--platform", "ios", "--keystore", "cloud"], /--keystore must be software or hardware/],
    ["no such card", ["--issuer", "entrust", "--card", "9", "--platform", "ios"], /no card 9/],
    ["agent enrolling themselves", ["--issuer", "purebred", "--card", "0", "--platform", "ios"], /registration agent/],
    ["bad url", ["--issuer", "entrust", "--card", "1", "--platform", "ios", "--url", "ftp://x"], /--url must be an origin/],
  ];
  for (const [name, args, message] of bad) {
    it(`refuses ${name} with one line`, async () => {
      const r = await dpclab(["enroll", "--dir", lab, ...args]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    });
  }
});
