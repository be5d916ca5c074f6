import { type ConformanceReport, countByStatus, shallFailures } from "./report.js";

/**
 * `dpclab conform --json`: `results` first, exactly `{ id, status, detail }` per rule (the stable contract); the rest
 * (edition, time, evidence, summary, per-test outcomes) follows for those who want it.
 */
export function jsonReport(report: ConformanceReport): object {
  return {
    results: report.results.map(({ id, status, detail }) => ({ id, status, detail })),
    edition: report.edition,
    evaluatedAt: report.evaluatedAt,
    evidence: report.evidence,
    summary: { ...countByStatus(report.results), shallFailures: shallFailures(report).map((r) => r.id) },
    tests: report.tests,
  };
}
