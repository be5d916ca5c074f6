// Property-based, model-based scenarios over the whole lab (issue 5 §1, §2): the model, the commands, the invariants,
// the named catalogue and the runner shared by `dpclab scenario` and test/scenarios.
export { CATALOGUE, type Scenario, scenarioByName } from "./catalogue.js";
export { INVARIANTS, type Invariant, InvariantViolation } from "./invariants.js";
export {
  failureReport,
  findingsReport,
  type RunScenarioOptions,
  randomSeed,
  replayCommand,
  runScenario,
  type ScenarioResult,
  splitPath,
} from "./run-scenario.js";
export { createDeck, type Deck } from "./world.js";
