import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RELYING_PARTY_KINDS } from "../../../emulators/relying-party/index.js";
import { buildSummary, reportHtml, summaryText, validateSummary } from "../../../fleet/report/index.js";
import { runFleet } from "../../../fleet/runner/index.js";
import { dpclab, freePort, startDpclab, tempDir } from "../../helpers/cli.js";
import { missingOnSimulatedClock } from "../../relying-party/served-lab.js";

// Fleets judged by real relying parties (nginx, OpenVPN, FreeRADIUS + eapol_test, openssl cms) on the simulated clock.
const missing = missingOnSimulatedClock();
const why = missing.length ? `skipped: ${missing.join("; ")}` : "";
if (why) console.warn(`[fleet relying parties] ${why}`);

const tmp = tempDir("dpclab-fleet-rp-");
afterAll(() => tmp.remove());

/** Processes still running with a path under `dir` in their command line (a relying party left behind). */
function leftBehind(dir: string): string[] {
  try {
    return execFileSync("pgrep", ["-af", dir]).toString("utf8").trim().split("\n").filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe.skipIf(missing.length > 0)(`fleet --relying-parties ${why}`, () => {
  it("scenario: a revoked credential is refused by every relying party; a renewed one accepted while its superseded predecessor is refused", async () => {
    const dir = join(tmp.path, "rekey-and-lost");
    // Intercede renews by rekey (its predecessor revoked as superseded, DC-MNT-06); a third of the devices are lost.
    const r = await runFleet({
      devices: 6,
      issuer: "intercede",
      lifetime: "10d",
      duration: "12d",
      churn: "lost:0.3",
      seed: "rp-rekey-lost",
      relyingParties: "wifi,vpn,app,smime:1",
      dir,
    });
    const s = buildSummary(r);
    expect(validateSummary(JSON.parse(JSON.stringify(s))).errors).toEqual([]);
    const c = r.metrics.counters;
    expect(r.outcome.retired.lost).toBeGreaterThan(0);
    expect(r.outcome.renewed).toBeGreaterThan(0);
    for (const kind of RELYING_PARTY_KINDS) {
      const f = s.relyingParties![kind]!;
      expect(f.accepted, kind).toBeGreaterThan(0);
      expect(f.refused.revoked, kind).toBeGreaterThan(0);
      expect(f.neverRefused, kind).toBe(0);
      expect(f.refusedValid, kind).toBe(0);
      expect(f.unavailable, kind).toBe(0);
      expect(f.latency.count, kind).toBe(f.accepted + f.refused.revoked!);
      expect(f.revocationToRefusal.count, kind).toBe(f.refused.revoked);
      expect(c[`rp:${kind}:revoked-refused:superseded`], kind).toBeGreaterThan(0);
      expect(c[`rp:${kind}:revoked-refused:lost`], kind).toBeGreaterThan(0);
      expect(f.lines.accepted, kind).toBeTruthy();
      expect(f.lines.revoked, kind).toMatch(/revoked/i);
      expect(f.relyingParty, kind).toBeTruthy();
    }
    // The relying parties' own words.
    expect(s.relyingParties!.wifi!.lines.accepted).toMatch(/^eapol_test: SUCCESS/);
    expect(s.relyingParties!.app!.lines.accepted).toMatch(/^HTTP 200/);
    expect(s.relyingParties!.vpn!.lines.accepted).toMatch(/Peer Connection Initiated/);
    expect(s.relyingParties!.smime!.lines.accepted).toMatch(/Verification successful/);
    // S/MIME only on iOS: fewer S/MIME acceptances than app acceptances when Android devices are in the fleet.
    if (r.outcome.counts.android) expect(s.relyingParties!.smime!.accepted).toBeLessThan(s.relyingParties!.app!.accepted);
    const text = summaryText(r);
    expect(text).toContain("RELYING PARTIES");
    expect(text).toMatch(/wifi\s+\d+\s+revoked \d+/);
    const html = reportHtml(r);
    expect(html).toContain("<h2>Relying parties</h2>");
    expect(html).toContain('id="relying-party-latency"');
    expect(r.command).toContain("--relying-parties wifi,vpn,app,smime:1");
    expect(leftBehind(dir)).toEqual([]);
  });

  it("scenario: after an issuer change the old credentials are refused (untrusted) by every relying party, the new ones accepted", async () => {
    const dir = join(tmp.path, "issuer-change");
    const r = await runFleet({
      devices: 4,
      issuer: "entrust",
      lifetime: "30d",
      duration: "20d",
      issuerChange: "10d:purebred",
      seed: "rp-issuer-change",
      relyingParties: "wifi,vpn,app,smime:1",
      dir,
    });
    const s = buildSummary(r);
    expect(r.outcome.counts["re-enrolments"]).toBe(4);
    for (const kind of RELYING_PARTY_KINDS) {
      const f = s.relyingParties![kind]!;
      const judged = kind === "smime" ? (r.outcome.counts.ios ?? 0) : 4;
      // Every sampled device's Entrust credential refused at the change; its Purebred one accepted after re-enrolment.
      expect(r.metrics.counters[`rp:${kind}:revoked-refused:issuer-change`], kind).toBe(judged);
      expect(f.refused.untrusted, kind).toBe(judged);
      expect(f.accepted, kind).toBe(2 * judged);
      expect(f.neverRefused + f.refusedValid + f.unavailable, kind).toBe(0);
      expect(f.lines.untrusted, kind).toBeTruthy();
    }
    expect(leftBehind(dir)).toEqual([]);
  });

  it("against a served lab (--url): the relying parties ask the served lab's own OCSP responders, on its clock", async () => {
    const dir = join(tmp.path, "served");
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const created = await dpclab(["cards", "create", "--dir", dir, "--count", "6", "--seed", "rp-served", "--base-url", url]);
    expect(created.code, created.stderr).toBe(0);
    const server = await startDpclab(["serve", "--dir", dir, "--port", String(port)]);
    try {
      const r = await runFleet({
        devices: 3,
        issuer: "entrust",
        lifetime: "10d",
        duration: "12d",
        churn: "lost:0.4",
        seed: "rp-served",
        transport: "http",
        url,
        dir,
        relyingParties: "wifi,app:1",
      });
      const s = buildSummary(r);
      expect(r.incidents ?? []).toEqual([]);
      expect(r.outcome.retired.lost).toBeGreaterThan(0);
      for (const kind of ["wifi", "app"]) {
        const f = s.relyingParties![kind]!;
        expect(f.accepted, kind).toBeGreaterThan(0);
        expect(f.refused.revoked, kind).toBe(r.outcome.retired.lost);
        expect(f.neverRefused + f.refusedValid + f.unavailable, kind).toBe(0);
      }
      expect(s.relyingParties!.wifi!.lines.revoked).toMatch(/ocsp: Cert status: revoked/);
    } finally {
      await server.stop();
    }
  });

  it("on the CLI: the summary has the relying parties, summary.json and report.html carry them; a bad spec is one line, exit 2", async () => {
    const report = join(tmp.path, "cli-report");
    const ok = await dpclab([
      "fleet",
      "run",
      "--devices",
      "2",
      "--issuer",
      "entrust",
      "--lifetime",
      "10d",
      "--duration",
      "3d",
      "--relying-parties",
      "app,wifi:1",
      "--report",
      report,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("RELYING PARTIES");
    const summary = JSON.parse(readFileSync(join(report, "summary.json"), "utf8"));
    expect(validateSummary(summary).errors).toEqual([]);
    expect(Object.keys(summary.relyingParties).sort()).toEqual(["app", "wifi"]);
    expect(summary.relyingParties.app.accepted).toBe(2);
    expect(readFileSync(join(report, "report.html"), "utf8")).toContain("Relying parties");
    const bad = await dpclab(["fleet", "run", "--devices", "2", "--relying-parties", "wifi,radius"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toMatch(/unknown kind "radius"/);
  });
});
