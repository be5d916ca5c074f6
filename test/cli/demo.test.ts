import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RELYING_PARTY_KINDS } from "../../emulators/relying-party/index.js";
import { dpclab, tempDir } from "../helpers/cli.js";
import { missingFor } from "../relying-party/served-lab.js";

const dir = tempDir();
afterAll(() => dir.remove());

describe("dpclab demo (the README's main job)", () => {
  it("authenticates the cards, refuses the revoked card and the wrong PIN, gets three derived credentials OpenSSL accepts, then runs a demo fleet", async () => {
    const r = await dpclab(["demo", "--dir", join(dir.path, "demo"), "--devices", "18", "--workers", "2"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.match(/\bAUTHENTICATED\b/g)?.length).toBe(4);
    expect(r.stdout).toMatch(/after revocation\s+REJECTED revoked/);
    expect(r.stdout).toMatch(/wrong PIN\s+REJECTED pin-incorrect: wrong PIN: 9 tries left/);
    expect(r.stdout).toContain('"invalid-issuer-deleted"');
    for (const [issuer, platform, certs] of [
      ["entrust", "ios", 3],
      ["intercede", "android", 1],
      ["purebred", "ios", 3],
    ] as const) {
      expect(r.stdout).toMatch(new RegExp(`${issuer}\\s+${platform}\\s+[0-9a-f]{16}\\s+2\\.16\\.840\\.1\\.101\\.3\\.2\\.1\\.3\\.40\\s+${certs}\\s+OK`));
    }
    // the Entrust credential at the real relying parties: accepted, then refused once its device is reported lost
    const missing = RELYING_PARTY_KINDS.map(missingFor).filter(Boolean);
    if (missing.length) expect(r.stdout).toContain("relying parties skipped: apt-get install");
    else
      for (const kind of RELYING_PARTY_KINDS) {
        expect(r.stdout).toMatch(new RegExp(`\\n${kind}\\s+valid\\s+accepted\\s+\\d+ ms`));
        expect(r.stdout).toMatch(new RegExp(`\\n${kind}\\s+device lost\\s+refused: revoked\\s+\\d+ ms`));
      }
    // the demo fleet: a simulated year with renewals and the issuer change, the summary, and where report.html is
    expect(r.stdout).toContain("demo fleet: 18 devices");
    expect(r.stdout).toMatch(/devices 18 · enrolled \d+ · renewed \d+ · failed 0/);
    expect(r.stdout).toMatch(/re-enrolments \.+\s+\d+/);
    const report = join(dir.path, "demo", "fleet-report", "report.html");
    expect(r.stdout).toContain(`report: ${report}`);
    expect(existsSync(report)).toBe(true);
    const summary = JSON.parse(readFileSync(join(dir.path, "demo", "fleet-report", "summary.json"), "utf8"));
    expect(summary.outcome.devices).toBe(18);
    expect(summary.outcome.counts.renewals).toBeGreaterThan(0);
  });
});
