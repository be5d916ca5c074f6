export { escapeHtml, escapeXml } from "./escape.js";
export { reportHtml } from "./html.js";
export { junitXml } from "./junit.js";
export { type RunOutcome, type RunResult, runPassed, simulatedDays, thresholdsHeld, wallSeconds } from "./run-result.js";
export { type StepStats, stepStats } from "./step-stats.js";
export {
  buildSummary,
  canonicalOutcome,
  type StepLatency,
  SUMMARY_FORMAT,
  SUMMARY_SCHEMA,
  type Summary,
  summaryJson,
  validateSummary,
} from "./summary-json.js";
export { summaryText } from "./summary-text.js";
export { type ReportFiles, writeReport } from "./write-report.js";
