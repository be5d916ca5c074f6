import { ruleById } from "./catalogue.js";
import type { Status } from "./check.js";
import { type Edition, type EvidenceKind, strengthIn } from "./rule.js";

/** One rule's outcome, what `dpclab conform --json` prints under "results". */
export interface RuleResult {
  id: string;
  status: Status;
  detail: string;
}

/** One test's outcome (the rows of the traceability matrix and the JUnit test cases). */
export interface TestOutcome {
  test: string;
  rule: string;
  title: string;
  status: Status;
  detail: string;
}

/** What a run judged: e.g. the certificate file with its fingerprint, and the chain file. */
export interface EvidenceSummary {
  kind: EvidenceKind;
  label: string;
  description: string;
}

export interface ConformanceReport {
  edition: Edition;
  /** When the evidence was judged (ISO 8601). */
  evaluatedAt: string;
  evidence: EvidenceSummary[];
  /** One per rule that a check of this run covers, in catalogue order. */
  results: RuleResult[];
  tests: TestOutcome[];
}

/** Failed rules that are "shall" in the report's edition: any of them makes the run fail. */
export function shallFailures(report: ConformanceReport): RuleResult[] {
  return failuresOf(report, "shall");
}

/** Failed rules that are "should" in the report's edition: a lesser non-conformance (exit 3 when there is no shall failure). */
export function shouldFailures(report: ConformanceReport): RuleResult[] {
  return failuresOf(report, "should");
}

/** The exit code of a conformance run: 1 a "shall" rule failed, 3 only "should" rules failed, 0 none failed. */
export function conformanceExitCode(report: ConformanceReport): 0 | 1 | 3 {
  return shallFailures(report).length ? 1 : shouldFailures(report).length ? 3 : 0;
}

function failuresOf(report: ConformanceReport, strength: "shall" | "should"): RuleResult[] {
  return report.results.filter((r) => {
    const rule = ruleById(r.id);
    return r.status === "fail" && rule !== undefined && strengthIn(rule, report.edition) === strength;
  });
}

export function countByStatus(items: readonly { status: Status }[]): Record<Status, number> {
  const counts: Record<Status, number> = { pass: 0, fail: 0, "not-applicable": 0 };
  for (const i of items) counts[i.status]++;
  return counts;
}
