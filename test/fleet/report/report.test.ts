import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildSummary, junitXml, reportHtml, summaryJson, summaryText, validateSummary, writeReport } from "../../../fleet/report/index.js";
import { fakeRun, HOSTILE } from "./fixture.js";
import { findAll, parseXml } from "./xml-check.js";

describe("summary.json", () => {
  it("matches its documented shape", () => {
    const summary = JSON.parse(summaryJson(fakeRun(7)));
    expect(validateSummary(summary)).toEqual({ ok: true, errors: [] });
    expect(Object.keys(summary.latency)).toEqual(["pki-auth", "enrol", "issue", "profile-apply", "renew", "end-to-end"]);
    for (const step of Object.values(summary.latency) as Record<string, number>[]) {
      expect(step.p50).toBeLessThanOrEqual(step.p90);
      expect(step.p90).toBeLessThanOrEqual(step.p95);
      expect(step.p95).toBeLessThanOrEqual(step.p99);
    }
    expect(summary.seed).toBe(7);
    expect(summary.command).toContain("--seed 7");
  });

  it("validateSummary names what is wrong", () => {
    const good = JSON.parse(summaryJson(fakeRun(7)));
    const { outcome: _, ...noOutcome } = good;
    expect(validateSummary(noOutcome).errors).toContain("$: missing outcome");
    expect(validateSummary({ ...good, extra: 1 }).errors).toContain("$: unexpected property extra");
    expect(validateSummary({ ...good, latency: { renew: { ...good.latency.renew, p95: "fast" } } }).errors).toContain(
      "$.latency.renew.p95: expected number, got string",
    );
    expect(validateSummary({ ...good, outcome: { ...good.outcome, devices: 1.5 } }).errors).toContain("$.outcome.devices: expected integer, got number");
    expect(validateSummary({ ...good, format: "other" }).ok).toBe(false);
  });

  it("has an identical outcome for two runs with the same seed, whatever their timings", () => {
    const a = buildSummary(fakeRun(42, { jitter: 0 }));
    const b = buildSummary(fakeRun(42, { jitter: 5 }));
    expect(a.latency).not.toEqual(b.latency); // timings differ…
    expect(a.wall).not.toEqual(b.wall);
    expect(JSON.stringify(a.outcome)).toBe(JSON.stringify(b.outcome)); // …the outcome does not, byte for byte
    expect(a.outcome).not.toEqual(buildSummary(fakeRun(43)).outcome);
  });

  it("writes null, not NaN, for a threshold with nothing to measure", () => {
    const s = JSON.parse(summaryJson(fakeRun(1, { thresholds: ["unknown-step.p95<1"] })));
    expect(s.thresholds[0]).toMatchObject({ ok: false, actual: null });
    expect(s.ok).toBe(false);
    expect(validateSummary(s).ok).toBe(true);
  });
});

describe("junit.xml", () => {
  it("parses, and marks breached thresholds and failed checks as failures", () => {
    const run = fakeRun(3, { thresholds: ["renew.p95<200ms", "enrol.p99<10ms", "failed<1000"] });
    const root = parseXml(junitXml(run));
    expect(root.name).toBe("testsuites");
    const [thresholds, checks] = findAll(root, "testsuite");
    expect(thresholds!.attrs).toMatchObject({ name: "thresholds", tests: "3", failures: "1" });
    const cases = findAll(thresholds!, "testcase");
    expect(cases.map((c) => [c.attrs.name, findAll(c, "failure").length])).toEqual([
      ["renew.p95<200ms", 0],
      ["enrol.p99<10ms", 1],
      ["failed<1000", 0],
    ]);
    expect(findAll(cases[1]!, "failure")[0]!.attrs.message).toMatch(/^enrol\.p99<10ms breached: actual \d/);
    expect(checks!.attrs.name).toBe("checks");
    const keyUsage = findAll(checks!, "testcase").find((c) => c.attrs.name === "key usage fits profile")!;
    expect(findAll(keyUsage, "failure")[0]!.attrs.message).toMatch(/^\d+ of \d+ failed$/);
    expect(findAll(root, "property").find((p) => p.attrs.name === "seed")!.attrs.value).toBe("3");
  });

  it("stays well-formed with hostile names", () => {
    const root = parseXml(junitXml(fakeRun(3, { hostile: true })));
    const names = findAll(root, "testcase").map((c) => c.attrs.name);
    expect(names.some((n) => n?.includes('<script>alert("x")</script>'))).toBe(true);
  });
});

describe("report.html", () => {
  const html = reportHtml(fakeRun(11, { hostile: true }));

  it("draws the three charts as inline SVG", () => {
    for (const id of ["latency-over-time", "renewals-per-day", "fleet-state"]) expect(html).toMatch(new RegExp(`<svg id="${id}"[^>]*>`));
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toMatch(/<polyline[^>]+points="[\d., ]{20,}"/); // real lines, not "no data"
    expect(html).toMatch(/<rect fill="[^"]+" x="/);
  });

  it("is self-contained: no script, stylesheet, font or image fetched from anywhere", () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toMatch(/<[^<>]*\s(src|href|xlink:href)\s*=/i); // inside a tag, not in escaped text
    expect(reportHtml(fakeRun(11))).not.toMatch(/https?:/); // nothing URL-like at all without the hostile string
  });

  it("escapes a hostile string wherever it appears", () => {
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;/td&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).toContain("seed <code>11</code>");
  });

  it("lists step percentiles, thresholds, errors by reason and the replay command", () => {
    expect(html).toContain("<th>p95</th>");
    expect(html).toContain("renew.p95&lt;200ms");
    expect(html).toContain("<td>pin-incorrect</td>");
    expect(html).toMatch(/<pre id="replay">dpclab fleet run --devices 300 --seed 11/);
  });

  const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
  it.skipIf(!chromium)(
    `renders in headless chromium${chromium ? "" : " (skipped: no /usr/bin/chromium on this machine; the test command installs it through apt as root)"}`,
    () => {
      const dir = mkdtempSync(join(tmpdir(), "dpclab-report-"));
      try {
        const file = join(dir, "report.html");
        writeFileSync(file, html);
        const dom = execFileSync(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", `file://${file}`], {
          encoding: "utf8",
          timeout: 30_000,
        });
        expect(dom.match(/<svg /g)).toHaveLength(3);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe("summary text", () => {
  const run = fakeRun(5, { thresholds: ["renew.p95<200ms", "enrol.p99<10ms"] });
  const text = summaryText(run);

  it("has k6's sections, the seed and the replay command", () => {
    for (const s of ["█ THRESHOLDS", "█ CHECKS", "█ LATENCY", "█ THROUGHPUT", "█ ERRORS BY REASON"]) expect(text).toContain(s);
    expect(text).toMatch(/✓ renew\.p95<200ms \.+ actual \d/);
    expect(text).toMatch(/✗ enrol\.p99<10ms \.+ actual \d/);
    expect(text).toContain("✗ 1 of 2 thresholds breached");
    expect(text).toContain("seed 5");
    expect(text).toContain(`    ${run.command}`);
    expect(text).toMatch(/renew\s+\d+\s+[\d.]+ms\s+[\d.]+ms/);
    expect(text).toMatch(/pin-incorrect \.+\s+\d+/);
  });

  it("fits a 100-column terminal (except the replay command, kept whole for pasting)", () => {
    const long = summaryText(fakeRun(5, { hostile: true, thresholds: [`failed:${"x".repeat(150)}<1`] }));
    for (const line of long.split("\n").filter((l) => !l.startsWith("    dpclab fleet run"))) expect([...line].length).toBeLessThanOrEqual(100);
  });
});

describe("writeReport", () => {
  it("writes summary.json, junit.xml and report.html", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dpclab-report-"));
    try {
      const files = await writeReport(join(dir, "nested"), fakeRun(9));
      expect(validateSummary(JSON.parse(readFileSync(files.summaryJson, "utf8"))).ok).toBe(true);
      expect(parseXml(readFileSync(files.junitXml, "utf8")).name).toBe("testsuites");
      expect(readFileSync(files.reportHtml, "utf8")).toMatch(/^<!doctype html>/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
