// Prints the suite's closing line from vitest's JUnit report: "tests: N passed, N failed, N skipped". With vitest's
// exit status as the second argument, a non-zero exit with no failed test case (an error outside any test: a crashed
// test worker, an unhandled rejection) is said on that line, so the count cannot read as a clean run.
import { readFileSync } from "node:fs";

const xml = readFileSync(process.argv[2] ?? "test-results/junit.xml", "utf8");
const status = Number(process.argv[3] ?? 0);
const cases = xml.match(/<testcase\b[\s\S]*?(?:\/>|<\/testcase>)/g) ?? [];
let failed = 0;
let skipped = 0;
for (const c of cases) {
  if (/<(failure|error)\b/.test(c)) failed++;
  else if (/<skipped\b/.test(c)) skipped++;
}
const line = `tests: ${cases.length - failed - skipped} passed, ${failed} failed, ${skipped} skipped`;
const outside = status !== 0 && failed === 0 ? ` — but vitest exited ${status}: an error outside the test cases (see its report above)` : "";
console.log(line + outside);
