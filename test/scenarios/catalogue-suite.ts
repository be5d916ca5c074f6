import { afterAll, beforeAll, expect, it } from "vitest";
import { createDeck, type Deck, failureReport, findingsReport, runScenario, scenarioByName } from "../../scenarios/index.js";
import { propertySeed } from "../helpers/fast-check-seed.js";

/**
 * Runs catalogue entries as vitest tests: one card deck per file (personalising cards is the slow part), the file's
 * seed printed (DPCLAB_SEED replays it), each entry with its small test budget. A failure shows the shrunk command
 * sequence, the seed, the path and the `dpclab scenario run` command that replays it; known emulator deviations met
 * on the way are printed, not failed.
 */
export function catalogueSuite(suite: string, names: readonly string[]): void {
  const { seed } = propertySeed(suite);
  let deck: Deck;
  beforeAll(async () => {
    deck = await createDeck(); // the cardholders and PINs of `dpclab scenario run`, so its replay command reproduces a failure
  });
  afterAll(() => deck?.remove());
  for (const name of names) {
    const scenario = scenarioByName(name);
    if (!scenario) throw new Error(`no catalogue entry "${name}"`);
    it(`${name}: ${scenario.title}`, async () => {
      const r = await runScenario(scenario, { deck, seed, runs: scenario.testRuns });
      const findings = findingsReport(r);
      if (findings) console.log(`[${name}]\n${findings}`);
      expect(r.ok, failureReport(r)).toBe(true);
      expect(r.runs).toBe(scenario.testRuns);
    });
  }
}
