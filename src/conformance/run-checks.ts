import { CATALOGUE, ruleById } from "./catalogue.js";
import type { Check, Verdict } from "./check.js";
import type { ConformanceReport, EvidenceSummary, RuleResult, TestOutcome } from "./report.js";
import type { Edition } from "./rule.js";

export interface RunOptions {
  edition: Edition;
  evaluatedAt: Date;
  evidence: EvidenceSummary[];
}

/**
 * Runs every check against the evidence and folds the outcomes per rule: a rule fails if any of its tests fails,
 * passes if at least one passes and none fails, and is not applicable otherwise. A rule outside the edition is not
 * applicable and its tests are not run.
 */
export function runChecks<E>(checks: readonly Check<E>[], evidence: E, options: RunOptions): ConformanceReport {
  const tests: TestOutcome[] = [];
  for (const check of checks) {
    const rule = ruleById(check.rule);
    if (!rule) throw new Error(`check ${check.id} tests ${check.rule}, which is not in the catalogue`);
    const v: Verdict = rule.editions.includes(options.edition)
      ? judgeSafely(check, evidence)
      : { status: "not-applicable", detail: `not a requirement of the ${options.edition} text (${rule.editions.join(", ")})` };
    tests.push({ test: check.id, rule: check.rule, title: check.title, ...v });
  }
  const results: RuleResult[] = [];
  for (const rule of CATALOGUE) {
    const mine = tests.filter((t) => t.rule === rule.id);
    if (mine.length) results.push(foldRule(rule.id, mine));
  }
  return { edition: options.edition, evaluatedAt: options.evaluatedAt.toISOString(), evidence: options.evidence, results, tests };
}

/** Real certificates from other issuers can be malformed in ways a check does not foresee: that is a failure, not a crash. */
function judgeSafely<E>(check: Check<E>, evidence: E): Verdict {
  try {
    return check.judge(evidence);
  } catch (error) {
    return { status: "fail", detail: `could not be judged: ${(error as Error).message ?? String(error)}` };
  }
}

function foldRule(id: string, tests: TestOutcome[]): RuleResult {
  const failed = tests.filter((t) => t.status === "fail");
  if (failed.length) return { id, status: "fail", detail: failed.map((t) => t.detail).join("; ") };
  const status = tests.some((t) => t.status === "pass") ? "pass" : "not-applicable";
  // Unique details: the n/a reason of an edition is the same for every test of the rule.
  return { id, status, detail: [...new Set(tests.map((t) => t.detail))].join("; ") };
}
