// The active suite's harness: drives an issuer (in-process emulator or a served lab) through the fleet's device clients
// and records what it saw as ActiveEvidence. Like src/cli, it sits above emulators/ and fleet/; the checks that judge
// its evidence (../active-checks.ts) import nothing from here.
export { runActiveSuite } from "./suite.js";
export { createSuiteLab, httpTarget, type IssuerTarget, inProcessTarget, SUITE_START, type SuiteCards } from "./target.js";
