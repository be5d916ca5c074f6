import { beforeAll, describe, expect, it } from "vitest";
import {
  CATALOGUE,
  type ConformanceReport,
  jsonReport,
  junitReport,
  matrixHtml,
  matrixMarkdown,
  ruleById,
  textReport,
  traceabilityMatrix,
} from "../../src/conformance/index.js";
import { AuthorityInfoAccessExtension } from "../../src/x509.js";
import { makePki } from "../pki/helpers.js";
import { judge, parseJunit, variant } from "./fixtures.js";

// The four renderings of one report: a certificate with an https caIssuers (CERT-05 fails), judged with its chain.

let report: ConformanceReport;

beforeAll(async () => {
  const pki = await makePki("p256");
  const cert = await variant(pki, { add: [new AuthorityInfoAccessExtension({ caIssuers: "https://pki.test/ca.p7c", ocsp: "http://pki.test/ocsp" })] });
  report = (await judge(cert, { chain: [pki.issuing.certificate, pki.root.certificate] })).report;
});

describe("reports", () => {
  it("JSON: results first, each exactly { id, status, detail }", () => {
    const json = JSON.parse(JSON.stringify(jsonReport(report))) as Record<string, unknown>;
    expect(Object.keys(json)[0]).toBe("results");
    const results = json.results as Record<string, unknown>[];
    for (const r of results) {
      expect(Object.keys(r)).toEqual(["id", "status", "detail"]);
      expect(["pass", "fail", "not-applicable"]).toContain(r.status);
    }
    expect(results.find((r) => r.id === "CERT-05")).toMatchObject({ status: "fail", detail: expect.stringMatching(/https:\/\/pki\.test\/ca\.p7c is https/) });
    expect(json.summary).toMatchObject({ fail: 1, shallFailures: ["CERT-05"] });
  });

  it("JUnit: parses, one testcase per test, the failing rule's testcase has a <failure>", () => {
    const { suite, testcases } = parseJunit(junitReport(report));
    expect(testcases).toHaveLength(report.tests.length);
    expect(suite).toMatchObject({ tests: String(report.tests.length), failures: "1", skipped: "0" });
    const failing = testcases.filter((c) => c.failure);
    expect(failing.map((c) => c.classname)).toEqual(["CERT-05"]);
    expect(failing[0]?.failure).toMatchObject({ type: "shall", message: expect.stringMatching(/https/) });
    expect(failing[0]?.name).toMatch(/^T-CERT-05-1: /);
  });

  it("JUnit: not-applicable tests are <skipped>, and XML-hostile text is escaped", () => {
    const withHostileText: ConformanceReport = {
      ...report,
      tests: [{ test: "T-CERT-11-1", rule: "CERT-11", title: "subject <\"&'>", status: "not-applicable", detail: "needs <x> & \u0001 more" }],
    };
    const { testcases } = parseJunit(junitReport(withHostileText));
    expect(testcases).toEqual([{ classname: "CERT-11", name: "T-CERT-11-1: subject <\"&'>", skipped: true }]);
  });

  it("traceability matrix: every catalogue rule, requirement → test → result → evidence", () => {
    const m = traceabilityMatrix(report);
    expect(new Set(m.rows.map((r) => r.rule.id))).toEqual(new Set(CATALOGUE.map((r) => r.id)));
    expect(m.rows.find((r) => r.test === "T-CERT-05-1")).toMatchObject({ result: "fail", evidence: "cert.pem; chain.pem" });
    expect(m.rows.find((r) => r.rule.id === "DC-ISS-04")).toMatchObject({ result: "not run", evidence: expect.stringMatching(/transcript/) });
    expect(m.summary).toMatchObject({ requirements: CATALOGUE.length, fail: 1, pass: report.results.length - 1 });
  });

  it("Markdown: a well-formed table (10 cells a row) naming every rule ID", () => {
    const md = matrixMarkdown(traceabilityMatrix(report));
    for (const rule of CATALOGUE) expect(md).toContain(`| ${rule.id} |`);
    const rows = md.split("\n").filter((l) => l.startsWith("|"));
    for (const row of rows) expect(row.replace(/\\\|/g, "").split("|").length - 2, row).toBe(10);
    expect(md).toMatch(/\| CERT-05 \|.*\| T-CERT-05-1 \|.*\| FAIL \|/);
  });

  it("HTML: self-contained, every rule ID, results marked", () => {
    const html = matrixHtml(traceabilityMatrix(report));
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|\ssrc=|@import/i);
    for (const rule of CATALOGUE) expect(html).toContain(`<td class="id">${rule.id}</td>`);
    expect(html).toContain('<td class="fail">FAIL</td>');
  });

  it("text: one line per rule and the verdict", () => {
    const text = textReport(report);
    // CERT-03a/b are "should" rules (the worksheet's), every other certificate rule "shall".
    for (const r of report.results) expect(text).toMatch(new RegExp(`^${r.id}\\s+${ruleById(r.id)?.strength}\\s+${r.status}`, "m"));
    expect(text).toMatch(/^CERT-03a\s+should\s+pass/m);
    expect(text).toMatch(/FAIL: "shall" rule\(s\) CERT-05 failed/);
    expect(text).toContain("certificate cert.pem: subject");
  });
});
