// The fleet runner: builds a lab, runs simulated devices on a virtual clock, returns a RunResult for fleet/report.

export { planDevices } from "./device-plan.js";
export {
  type FleetOptions,
  type FleetPlan,
  type FleetPreset,
  type FleetProgress,
  type IssuerChoice,
  PRESETS,
  parseFaults,
  planFleet,
} from "./fleet-options.js";
export { runFleet } from "./run-fleet.js";
