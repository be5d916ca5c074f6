// Real relying parties for a fleet: which devices authenticate where, the shared pool of servers on the simulated
// clock, the lab's status endpoints, and the checks that turn their verdicts into the run's figures.

export { RelyingPartyChecks, type RevocationCause } from "./device-checks.js";
export { RelyingPartyPool } from "./pool.js";
export { writePresented } from "./presented-files.js";
export { DEFAULT_SHARE, parseRelyingParties, type RelyingPartyShares, relyingPartiesOf } from "./spec.js";
export { serveStatus } from "./status-server.js";
