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
  return report.results.filter((r) => {
    const rule = ruleById(r.id);
    return r.status === "fail" && rule !== undefined && strengthIn(rule, report.edition) === "shall";
  });
}

export function countByStatus(items: readonly { status: Status }[]): Record<Status, number> {
  const counts: Record<Status, number> = { pass: 0, fail: 0, "not-applicable": 0 };
  for (const i of items) counts[i.status]++;
  return counts;
}
