import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RELYING_PARTY_KINDS } from "../../emulators/relying-party/index.js";
import { createDeck, type Deck, failureReport, findingsReport, runScenario, scenarioByName } from "../../scenarios/index.js";
import { propertySeed } from "../helpers/fast-check-seed.js";
import { missingOnSimulatedClock } from "../relying-party/served-lab.js";

// The relying-parties scenario: fast-check command sequences on the lab, then real servers judge every credential
// the devices held against the model. Its own deck, which serves the lab's status at the base URL its certificates name.
const missing = missingOnSimulatedClock();
const why = missing.length ? ` — skipped: ${missing.join("; ")}` : "";
if (why) console.warn(`[scenarios/relying-parties]${why}`);

describe.skipIf(missing.length > 0)(`scenario relying-parties${why}`, () => {
  const { seed } = propertySeed("scenarios/relying-parties");
  let deck: Deck;
  beforeAll(async () => {
    deck = await createDeck({ servesStatus: true });
  });
  afterAll(() => deck?.remove());

  it("every relying party accepts exactly the credentials the model holds valid, over generated command sequences", async () => {
    const scenario = scenarioByName("relying-parties")!;
    const r = await runScenario(scenario, { deck, seed, runs: scenario.testRuns });
    const findings = findingsReport(r);
    if (findings) console.log(`[relying-parties]\n${findings}`);
    expect(r.ok, failureReport(r)).toBe(true);
    expect(r.runs).toBe(scenario.testRuns);
    // Each run's setup loses device 0: its revoked credential met every relying party.
    expect(r.outcomes["relying-party:refused-revoked"]).toBeGreaterThanOrEqual(scenario.testRuns * RELYING_PARTY_KINDS.length - scenario.testRuns);
    expect(r.outcomes["relying-party:accepted"]).toBeGreaterThan(0);
    // Nothing a relying party started is left running.
    let left = "";
    try {
      left = execFileSync("pgrep", ["-af", deck.dir]).toString("utf8");
    } catch {
      // none
    }
    expect(left).toBe("");
  });
});
