// The fleet runner: builds a lab, runs simulated devices on a virtual clock, returns a RunResult for fleet/report.
export { type FleetOptions, type FleetPlan, type FleetProgress, type IssuerChoice, parseFaults, planFleet } from "./fleet-options.js";
export { planDevices, runFleet } from "./run-fleet.js";
