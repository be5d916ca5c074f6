import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dpclab, freePort, startDpclab, tempDir } from "../helpers/cli.js";
import { parseJunit } from "./fixtures.js";

// `dpclab conform --issuer …` as a user runs it (the compiled command in a child process): the active suite in-process,
// with and without a defect knob, against a served lab, and its usage errors.

const dir = tempDir("dpclab-conform-active-");
const file = (name: string) => join(dir.path, name);
afterAll(() => dir.remove());

type Json = { results: { id: string; status: string; detail: string }[]; tests: { test: string; status: string }[]; summary: { shallFailures: string[] } };

const oneLineError = (stderr: string) => {
  expect(stderr.trim().split("\n")).toHaveLength(1);
  expect(stderr).toMatch(/^dpclab: /);
  expect(stderr).not.toMatch(/internal error|\bat .+\.js:\d+/);
};

describe("dpclab conform --issuer", () => {
  it("the faithful entrust emulator: exit 0, JSON { results: [{ id, status, detail }] }, nothing fails", async () => {
    const r = await dpclab(["conform", "--issuer", "entrust", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Json;
    for (const res of json.results) expect(Object.keys(res)).toEqual(["id", "status", "detail"]);
    expect(json.results.filter((x) => x.status === "fail")).toEqual([]);
    expect(json.results.find((x) => x.id === "DC-ISS-04")?.status).toBe("pass");
    expect(json.results.find((x) => x.id === "DC-TRM-02")?.status).toBe("pass");
  });

  it("--defect https-aia on intercede: exit 1, CERT-05 fails in the text, the JUnit file and the traceability matrix", async () => {
    const junit = file("intercede.xml");
    const matrix = file("matrix");
    const r = await dpclab(["conform", "--issuer", "intercede", "--defect", "https-aia", "--junit", junit, "--matrix", matrix]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^CERT-05\s+shall\s+fail\s+.*is https \(prohibited\)/m);
    expect(r.stdout).toMatch(/FAIL: "shall" rule\(s\) CERT-05 failed/);
    expect(r.stdout).toContain("defects: https-aia");
    const { testcases } = parseJunit(readFileSync(junit, "utf8"));
    expect([...new Set(testcases.filter((c) => c.failure).map((c) => c.classname))]).toEqual(["CERT-05"]);
    expect(testcases.find((c) => c.name.startsWith("T-DC-MNT-01-1"))?.failure).toBeUndefined();
    const md = readFileSync(join(matrix, "traceability.md"), "utf8");
    expect(md).toMatch(/\| DC-TRM-02 \|.*\| T-DC-TRM-02-1 \|.*\| PASS \|/);
    expect(md).toMatch(/\| CERT-05 \|.*\| FAIL \|/);
    expect(readFileSync(join(matrix, "traceability.html"), "utf8")).toContain("T-DC-LNK-01-3");
  });

  it("--defect no-eku on intercede: CERT-03 passes (extKeyUsage optional in the worksheet), the should-rules CERT-03a/b fail: exit 3", async () => {
    const junit = file("intercede-no-eku.xml");
    const matrix = file("matrix-no-eku");
    const r = await dpclab(["conform", "--issuer", "intercede", "--defect", "no-eku", "--junit", junit, "--matrix", matrix]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^CERT-03\s+shall\s+pass\s+/m);
    expect(r.stdout).toMatch(/^CERT-03a\s+should\s+fail\s+.*no extKeyUsage extension/m);
    expect(r.stdout).toMatch(/^CERT-03b\s+should\s+fail\s+.*no extKeyUsage extension/m);
    expect(r.stdout).toMatch(/no "shall" rule failed; "should" rule\(s\) CERT-03a, CERT-03b failed/);
    const { testcases } = parseJunit(readFileSync(junit, "utf8"));
    expect([...new Set(testcases.filter((c) => c.failure).map((c) => c.classname))]).toEqual(["CERT-03a", "CERT-03b"]);
    expect(readFileSync(join(matrix, "traceability.md"), "utf8")).toMatch(/\| CERT-03a \|.*\| FAIL \|/);
  });

  it('a "should" rule broken (no-seven-day-recheck breaks DC-ISS-06): shown failing, exit 3 (should-only failures)', async () => {
    const r = await dpclab(["conform", "--issuer", "purebred", "--defect", "no-seven-day-recheck"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^DC-ISS-06\s+should\s+fail\s+/m);
    expect(r.stdout).toMatch(/"should" rule\(s\) DC-ISS-06 failed/);
  });

  it("against a served lab (dpclab serve): black-box rules judged, transcript ones not applicable with the reason", async () => {
    const lab = file("served");
    const created = await dpclab(["cards", "create", "--dir", lab, "--count", "6"]);
    expect(created.code).toBe(0);
    const port = await freePort();
    const server = await startDpclab(["serve", "--dir", lab, "--port", String(port)]);
    try {
      const r = await dpclab(["conform", "--issuer", `http://127.0.0.1:${port}/issuers/purebred`, "--dir", lab, "--json"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const json = JSON.parse(r.stdout) as Json;
      const status = (id: string) => json.results.find((x) => x.id === id);
      for (const id of ["DC-ISS-02", "DC-ISS-04", "DC-ISS-09", "DC-ISS-12", "DC-LNK-01", "DC-LNK-02", "DC-MNT-06", "DC-TRM-01", "DC-TRM-06", "CERT-01"]) {
        expect(status(id)?.status, id).toBe("pass");
      }
      for (const id of ["DC-ISS-05", "DC-ISS-08"]) {
        expect(status(id)).toMatchObject({ status: "not-applicable", detail: expect.stringMatching(/not exposed by http:\/\/127\.0\.0\.1/) });
      }
      // The cards it used are used up: a second run finds too few fresh ones and says so in one line.
      const again = await dpclab(["conform", "--issuer", `http://127.0.0.1:${port}/issuers/entrust`, "--dir", lab]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/five unused cards/);
      oneLineError(again.stderr);
    } finally {
      await server.stop();
    }
  });

  const refusals: [string, string[], RegExp][] = [
    ["a Purebred defect on entrust", ["--issuer", "entrust", "--defect", "reusable-otp"], /defect "reusable-otp" does not apply to entrust/],
    ["a QR defect on purebred", ["--issuer", "purebred", "--defect", "non-expiring-qr"], /defect "non-expiring-qr" does not apply to purebred/],
    ["an unknown defect", ["--issuer", "intercede", "--defect", "slow"], /unknown defect "slow"/],
    ["an unknown issuer", ["--issuer", "xtec"], /--issuer must be purebred, entrust, intercede/],
    ["a URL that names no issuer", ["--issuer", "http://127.0.0.1:7800"], /names one issuer of a served lab/],
    ["a defect on a served lab", ["--issuer", "http://127.0.0.1:9/issuers/entrust", "--defect", "no-eku"], /a served lab is always faithful/],
    ["--dir in-process", ["--issuer", "entrust", "--dir", "/tmp"], /--dir goes with --issuer URL/],
    ["a certificate and --issuer", ["cert.pem", "--issuer", "entrust"], /give no certificate file/],
    ["--defect without --issuer", ["cert.pem", "--defect", "no-eku"], /--defect and --dir go with --issuer/],
  ];
  it("refuses bad usage with exit 2 and one line: defects that do not apply, unknown names, mixed modes", async () => {
    // Child processes in parallel: each is a second of Node start-up and nothing else.
    const answers = await Promise.all(refusals.map(([, args]) => dpclab(["conform", ...args])));
    refusals.forEach(([name, , message], i) => {
      const r = answers[i] as Awaited<ReturnType<typeof dpclab>>;
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(message);
      oneLineError(r.stderr);
      expect(r.stdout, name).toBe("");
    });
  });
});
