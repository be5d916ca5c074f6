// The plain-text table the CLI prints too (src/text-table.ts); conformance renders it so every output format lives in this component.
import { table } from "../text-table.js";
import { ruleById } from "./catalogue.js";
import { type ConformanceReport, countByStatus, shallFailures } from "./report.js";
import { strengthIn } from "./rule.js";

/** What a terminal user reads: the evidence, one line per rule, and the verdict. */
export function textReport(report: ConformanceReport): string {
  const head = [
    `SP 800-157 conformance (edition ${report.edition}), judged ${report.evaluatedAt}`,
    ...report.evidence.map((e) => `${e.kind} ${e.label}: ${e.description}`),
  ];
  const rows = report.results.map((r) => {
    const rule = ruleById(r.id);
    return [r.id, rule ? strengthIn(rule, report.edition) : "", r.status, r.detail];
  });
  const counts = countByStatus(report.results);
  const shall = shallFailures(report).map((r) => r.id);
  const should = report.results
    .filter((r) => {
      const rule = ruleById(r.id);
      return r.status === "fail" && rule !== undefined && strengthIn(rule, report.edition) !== "shall";
    })
    .map((r) => r.id);
  const verdict =
    (shall.length ? `FAIL: "shall" rule(s) ${shall.join(", ")} failed` : 'no "shall" rule failed') +
    (should.length ? `; "should" rule(s) ${should.join(", ")} failed (a lesser non-conformance: exit 3)` : "");
  const summary = `${report.results.length} rules: ${counts.pass} pass, ${counts.fail} fail, ${counts["not-applicable"]} not applicable — ${verdict}`;
  return [...head, "", table(["rule", "strength", "status", "detail"], rows), "", summary].join("\n");
}
