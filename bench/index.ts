/**
 * `npm run bench`: every benchmark, one line per figure (`name: value unit`), merged into bench-results.json.
 * Figures are compared as ratios against a baseline measured in the same run; absolute times mean little here.
 */
import { benchDeck } from "./deck.js";
import { benchFleetMemory } from "./fleet-memory.js";
import { benchIssuance } from "./issuance.js";
import { benchPkiAuth } from "./pki-auth.js";
import { type Figure, printFigure, recordBenchResults } from "./results.js";

const figures: Figure[] = [];
for (const bench of [benchDeck, benchPkiAuth, benchIssuance, benchFleetMemory]) {
  for (const f of await bench()) {
    printFigure(f);
    figures.push(f);
  }
}
recordBenchResults(figures);
console.log("written to bench-results.json");
