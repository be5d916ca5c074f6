import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOGUE } from "../../src/conformance/index.js";
import { toPem } from "../../src/pki/index.js";
import { AuthorityInfoAccessExtension } from "../../src/x509.js";
import { dpclab, tempDir } from "../helpers/cli.js";
import { makePki } from "../pki/helpers.js";
import { faithful, parseJunit, variant } from "./fixtures.js";

// `dpclab conform` as a user runs it: the compiled command in a child process.

const dir = tempDir("dpclab-conform-");
const file = (name: string) => join(dir.path, name);
const oneLineError = (stderr: string) => {
  expect(stderr.trim().split("\n")).toHaveLength(1);
  expect(stderr).toMatch(/^dpclab: /);
  expect(stderr).not.toMatch(/internal error|\bat .+\.js:\d+/);
};

beforeAll(async () => {
  const pki = await makePki("p256");
  const good = await faithful(pki);
  const bad = await variant(pki, { add: [new AuthorityInfoAccessExtension({ caIssuers: "https://pki.test/ca.p7c", ocsp: "http://pki.test/ocsp" })] });
  writeFileSync(file("good.pem"), good.toString("pem"));
  writeFileSync(file("good.der"), new Uint8Array(good.rawData));
  writeFileSync(file("bad.pem"), bad.toString("pem"));
  writeFileSync(file("chain.pem"), `${pki.issuing.certificate.toString("pem")}\n${pki.root.certificate.toString("pem")}\n`);
  writeFileSync(file("intermediate-only.pem"), pki.issuing.certificate.toString("pem"));
  writeFileSync(file("notes.txt"), "not a certificate\n");
  writeFileSync(file("key.pem"), toPem(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), "PRIVATE KEY"));
});
afterAll(() => dir.remove());

describe("dpclab conform", () => {
  it("a faithful derived certificate: exit 0, JSON { results: [{ id, status, detail }] } all pass", async () => {
    const r = await dpclab(["conform", file("good.pem"), "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { results: { id: string; status: string; detail: string }[] };
    expect(json.results.length).toBeGreaterThanOrEqual(16);
    for (const res of json.results) {
      expect(Object.keys(res)).toEqual(["id", "status", "detail"]);
      expect(res.status, res.id).toBe("pass");
    }
  });

  it("with --chain the path tests run and pass; DER input works the same", async () => {
    const r = await dpclab(["conform", file("good.der"), "--chain", file("chain.pem"), "--json"]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { tests: { test: string; status: string }[] };
    expect(json.tests.find((t) => t.test === "T-CERT-01-2")?.status).toBe("pass");
    expect(json.tests.every((t) => t.status === "pass")).toBe(true);
  });

  it("a certificate with an https caIssuers: exit 1, CERT-05 fails, the table says why", async () => {
    const json = await dpclab(["conform", file("bad.pem"), "--json"]);
    expect(json.code).toBe(1);
    const failed = (JSON.parse(json.stdout) as { results: { id: string; status: string }[] }).results.filter((r) => r.status === "fail");
    expect(failed.map((r) => r.id)).toEqual(["CERT-05"]);
    const text = await dpclab(["conform", file("bad.pem")]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^CERT-05\s+shall\s+fail\s+.*caIssuers https:\/\/pki\.test\/ca\.p7c is https/m);
    expect(text.stdout).toMatch(/FAIL: "shall" rule\(s\) CERT-05 failed/);
  });

  it("--junit writes a JUnit file that parses, with a <failure> for the failing rule", async () => {
    const out = file("conform.xml");
    const r = await dpclab(["conform", file("bad.pem"), "--chain", file("chain.pem"), "--junit", out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`wrote ${out}`);
    const { testcases } = parseJunit(readFileSync(out, "utf8"));
    expect(testcases.filter((c) => c.failure).map((c) => c.classname)).toEqual(["CERT-05"]);
    expect(testcases.filter((c) => !c.failure && !c.skipped).length).toBeGreaterThan(15);
  });

  it("--matrix writes traceability.md and traceability.html naming every rule", async () => {
    const out = file("matrix");
    const r = await dpclab(["conform", file("good.pem"), "--matrix", out, "--json"]);
    expect(r.code).toBe(0);
    JSON.parse(r.stdout); // --json keeps stdout pure JSON
    for (const name of ["traceability.md", "traceability.html"]) {
      const text = readFileSync(join(out, name), "utf8");
      for (const rule of CATALOGUE) expect(text, `${name} ${rule.id}`).toContain(rule.id);
      expect(text).toContain("T-CERT-04-1");
    }
  });

  it("--edition 2014: DC-KEY-01 (an r1 row) is not applicable", async () => {
    const r = await dpclab(["conform", file("good.pem"), "--edition", "2014", "--json"]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { results: { id: string; status: string }[]; edition: string };
    expect(json.edition).toBe("2014");
    expect(json.results.find((x) => x.id === "DC-KEY-01")?.status).toBe("not-applicable");
  });

  const refusals: [string, () => string[], number, RegExp][] = [
    ["a text file", () => ["conform", file("notes.txt")], 1, /notes\.txt is not a PEM or DER X\.509 certificate/],
    ["a PEM that holds no certificate", () => ["conform", file("key.pem")], 1, /key\.pem is not a PEM or DER X\.509 certificate \(no CERTIFICATE block\)/],
    ["a missing file", () => ["conform", file("absent.pem")], 1, /cannot read .*absent\.pem: ENOENT/],
    ["a chain without a trust anchor", () => ["conform", file("good.pem"), "--chain", file("intermediate-only.pem")], 1, /no self-signed certificate/],
    ["an unknown flag", () => ["conform", file("good.pem"), "--colour"], 2, /Unknown option '--colour'/],
    ["an unknown edition", () => ["conform", file("good.pem"), "--edition", "2020"], 2, /unknown edition "2020"/],
    ["no certificate", () => ["conform"], 2, /a certificate file is required/],
    ["two certificates", () => ["conform", file("good.pem"), file("bad.pem")], 2, /one certificate at a time/],
  ];
  for (const [name, args, code, message] of refusals) {
    it(`refuses ${name}: exit ${code}, one line, no stack trace`, async () => {
      const r = await dpclab(args());
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
      oneLineError(r.stderr);
      expect(r.stdout).toBe("");
    });
  }

  it("writes nothing when the input is refused", async () => {
    const out = file("refused-matrix");
    await dpclab(["conform", file("notes.txt"), "--matrix", out]);
    expect(existsSync(out)).toBe(false);
  });
});
