// Prints the suite's closing line from vitest's JUnit report: "tests: N passed, N failed, N skipped".
import { readFileSync } from "node:fs";

const xml = readFileSync(process.argv[2] ?? "test-results/junit.xml", "utf8");
const cases = xml.match(/<testcase\b[\s\S]*?(?:\/>|<\/testcase>)/g) ?? [];
let failed = 0;
let skipped = 0;
for (const c of cases) {
  if (/<(failure|error)\b/.test(c)) failed++;
  else if (/<skipped\b/.test(c)) skipped++;
}
console.log(`tests: ${cases.length - failed - skipped} passed, ${failed} failed, ${skipped} skipped`);
