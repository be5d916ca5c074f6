// Public surface of src/conformance: the SP 800-157 rule catalogue, the checks that judge evidence against it, and
// the reports (text, JSON, JUnit, traceability matrix).

export { ACTIVE_CHECKS, judgeIssuer } from "./active-checks.js";
export type {
  ActiveEvidence,
  ActiveMode,
  ActiveTarget,
  CardholderNoticeSeen,
  CertificateStatus,
  IssuerRecord,
  LifecycleObservation,
  LifecycleTrigger,
  ObservedCredential,
  Probe,
  ProbeId,
  TranscriptLine,
} from "./active-evidence.js";
export { describeActiveEvidence } from "./active-evidence.js";
export { CATALOGUE, ruleById } from "./catalogue.js";
export { CERTIFICATE_CHECKS, judgeCertificate } from "./certificate-checks.js";
export type { CertificateEvidence, ChainEvidence } from "./certificate-evidence.js";
export { certificateEvidence, describeCertificateEvidence, readCertificate, readCertificates } from "./certificate-evidence.js";
export type { Check, Status, Verdict } from "./check.js";
export { fail, notApplicable, pass, verdict } from "./check.js";
export { jsonReport } from "./json-report.js";
export { junitReport } from "./junit-report.js";
export { matrixHtml } from "./matrix-html.js";
export { matrixMarkdown } from "./matrix-markdown.js";
export type { ConformanceReport, EvidenceSummary, RuleResult, TestOutcome } from "./report.js";
export { conformanceExitCode, shallFailures, shouldFailures } from "./report.js";
export type { Edition, EvidenceKind, Rule, Strength } from "./rule.js";
export { DEFAULT_EDITION, EDITIONS, parseEdition, strengthIn } from "./rule.js";
export type { RunOptions } from "./run-checks.js";
export { runChecks } from "./run-checks.js";
export { textReport } from "./text-report.js";
export type { MatrixRow, TraceabilityMatrix } from "./traceability-matrix.js";
export { traceabilityMatrix } from "./traceability-matrix.js";
