import { CATALOGUE } from "./catalogue.js";
import type { Status } from "./check.js";
import type { ConformanceReport, EvidenceSummary } from "./report.js";
import { type Edition, type EvidenceKind, type Rule, type Strength, strengthIn } from "./rule.js";

/**
 * Requirement → test → result → evidence, for every row of the catalogue, in the manner of the NCCoE SP 1800-12
 * functional test plan: requirements nobody tested yet stay visible as "not run", with the evidence they need.
 */

export type MatrixResult = Status | "not run";

export interface MatrixRow {
  rule: Rule;
  strength: Strength;
  inEdition: boolean;
  /** The test case, absent when no test of this run covers the rule. */
  test?: string;
  description: string;
  result: MatrixResult;
  /** What the test saw (its detail), or why nothing was run. */
  actual: string;
  /** The evidence the result rests on (file names and fingerprints), or the kind of evidence still needed. */
  evidence: string;
}

export interface TraceabilityMatrix {
  title: string;
  edition: Edition;
  evaluatedAt: string;
  evidence: EvidenceSummary[];
  rows: MatrixRow[];
  /** Counts over requirements (not tests): tested ones by result, and those not run. */
  summary: Record<MatrixResult, number> & { requirements: number };
}

const NEEDS: Record<EvidenceKind, string> = {
  certificate: "the derived PIV Authentication certificate",
  transcript: "a transcript of an exchange with the issuer or a verifier (issuance, maintenance, authentication)",
  lifecycle: "the credential's lifecycle history (binding, monitoring, invalidation)",
  token: "the device or token holding the credential",
  documentation: "the issuer's documentation, reviewed by a person",
};

export function traceabilityMatrix(report: ConformanceReport): TraceabilityMatrix {
  const rows: MatrixRow[] = [];
  const summary = { requirements: CATALOGUE.length, pass: 0, fail: 0, "not-applicable": 0, "not run": 0 };
  const resultOf = new Map(report.results.map((r) => [r.id, r.status]));
  for (const rule of CATALOGUE) {
    const base = { rule, strength: strengthIn(rule, report.edition), inEdition: rule.editions.includes(report.edition) };
    const tests = report.tests.filter((t) => t.rule === rule.id);
    const evidence = report.evidence.filter((e) => e.kind === rule.evidence).map((e) => e.label);
    for (const t of tests) {
      rows.push({ ...base, test: t.test, description: t.title, result: t.status, actual: t.detail, evidence: evidence.join("; ") });
    }
    if (!tests.length) {
      rows.push({
        ...base,
        description: "—",
        result: "not run",
        actual: base.inEdition ? "no test of this run covers it" : `not a requirement of the ${report.edition} text`,
        evidence: `needs ${NEEDS[rule.evidence]}`,
      });
    }
    summary[resultOf.get(rule.id) ?? "not run"]++;
  }
  return {
    title: `SP 800-157 traceability matrix (${report.edition})`,
    edition: report.edition,
    evaluatedAt: report.evaluatedAt,
    evidence: report.evidence,
    rows,
    summary,
  };
}

/** The summary as one sentence, shared by the Markdown and HTML renderings. */
export function matrixSummary(m: TraceabilityMatrix): string {
  const s = m.summary;
  return `${s.requirements} requirements: ${s.pass} pass, ${s.fail} fail, ${s["not-applicable"]} not applicable, ${s["not run"]} not run (they need other evidence).`;
}
