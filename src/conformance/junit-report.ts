import { ruleById } from "./catalogue.js";
import { type ConformanceReport, countByStatus } from "./report.js";
import { strengthIn } from "./rule.js";
import { escapeXml as x } from "./xml.js";

/**
 * JUnit XML for CI dashboards: one testcase per test, its rule as classname; a failed test is a <failure> whose type is
 * the rule's strength ("should" failures show, but do not change the exit code), a not-applicable one is <skipped>.
 */
export function junitReport(report: ConformanceReport): string {
  const counts = countByStatus(report.tests);
  const name = `dpclab conform: SP 800-157 ${report.edition}`;
  const attrs = `tests="${report.tests.length}" failures="${counts.fail}" errors="0" skipped="${counts["not-applicable"]}"`;
  const cases = report.tests.map((t) => {
    const rule = ruleById(t.rule);
    const open = `    <testcase classname="${x(t.rule)}" name="${x(`${t.test}: ${t.title}`)}" time="0"`;
    if (t.status === "pass") return `${open}>\n      <system-out>${x(t.detail)}</system-out>\n    </testcase>`;
    if (t.status === "not-applicable") return `${open}>\n      <skipped message="${x(t.detail)}"/>\n    </testcase>`;
    const strength = rule ? strengthIn(rule, report.edition) : "shall";
    return `${open}>\n      <failure type="${strength}" message="${x(t.detail)}">${x(`${t.rule} (${strength}): ${t.detail}`)}</failure>\n    </testcase>`;
  });
  const properties = [
    `      <property name="edition" value="${x(report.edition)}"/>`,
    ...report.evidence.map((e) => `      <property name="evidence.${x(e.kind)}" value="${x(`${e.label}: ${e.description}`)}"/>`),
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${x(name)}" ${attrs}>`,
    `  <testsuite name="${x(name)}" ${attrs} timestamp="${x(report.evaluatedAt)}">`,
    "    <properties>",
    ...properties,
    "    </properties>",
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}
