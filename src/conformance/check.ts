/**
 * A check is one executable test of one catalogue rule (docs/sp800-157.md §5 suggests `T-<REQ>-k` IDs), judged from one
 * kind of evidence. The certificate suite is a list of Check<CertificateEvidence>; a later suite (issuer transcripts,
 * lifecycle histories) adds its own evidence type and checks, and runs through the same runChecks and reports.
 */

export type Status = "pass" | "fail" | "not-applicable";

export interface Verdict {
  status: Status;
  /** What was seen, in a sentence a reviewer can act on (the "actual result" of a test plan). */
  detail: string;
}

export interface Check<E> {
  /** Test ID, `T-<rule>-<k>`. */
  id: string;
  /** The catalogue rule it tests. */
  rule: string;
  /** What must hold for the test to pass (the "test description" of a test plan). */
  title: string;
  judge(evidence: E): Verdict;
}

export const pass = (detail: string): Verdict => ({ status: "pass", detail });
export const fail = (detail: string): Verdict => ({ status: "fail", detail });
export const notApplicable = (detail: string): Verdict => ({ status: "not-applicable", detail });

/** A verdict from a list of problems: fail with all of them, or pass with what was seen. */
export function verdict(problems: string[], seen: string): Verdict {
  return problems.length ? fail(problems.join("; ")) : pass(seen);
}
