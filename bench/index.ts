/**
 * `npm run bench [-- NAME...]`: every benchmark (or the named ones), one line per figure (`name: value unit`), merged
 * into bench-results.json.
 * Figures are compared as ratios against a baseline measured in the same run; absolute times mean little here.
 */
import { benchDeck } from "./deck.js";
import { benchFleetMemory } from "./fleet-memory.js";
import { benchIssuance } from "./issuance.js";
import { benchKioskChallenges } from "./kiosk-challenges.js";
import { benchPkiAuth } from "./pki-auth.js";
import { benchProfileApply } from "./profile-apply.js";
import { benchRelyingParties } from "./relying-parties.js";
import { benchRenewalStorm } from "./renewal-storm.js";
import { type Figure, printFigure, recordBenchResults } from "./results.js";
import { benchStore } from "./store.js";

const BENCHES: Record<string, () => Promise<Figure[]>> = {
  deck: benchDeck,
  "pki-auth": benchPkiAuth,
  "profile-apply": benchProfileApply,
  issuance: benchIssuance,
  "fleet-memory": benchFleetMemory,
  "renewal-storm": benchRenewalStorm,
  "kiosk-challenges": benchKioskChallenges,
  "relying-parties": benchRelyingParties,
  store: benchStore,
};
// `npm run bench -- NAME...` runs only those.
const chosen = process.argv.slice(2);
const unknown = chosen.filter((n) => !Object.hasOwn(BENCHES, n));
if (unknown.length) {
  console.error(`unknown benchmark(s) ${unknown.join(", ")}; choose from ${Object.keys(BENCHES).join(", ")}`);
  process.exit(2);
}
const figures: Figure[] = [];
for (const bench of (chosen.length ? chosen : Object.keys(BENCHES)).map((n) => BENCHES[n]!)) {
  for (const f of await bench()) {
    printFigure(f);
    figures.push(f);
  }
}
recordBenchResults(figures);
console.log("written to bench-results.json");
