// The fleet runner: builds a lab, runs simulated devices on a virtual clock, returns a RunResult for fleet/report.
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
export { planDevices, runFleet } from "./run-fleet.js";
