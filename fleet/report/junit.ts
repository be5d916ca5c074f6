import { escapeXml } from "./escape.js";
import { formatActual } from "./format.js";
import type { RunResult } from "./run-result.js";

const attrs = (a: Record<string, string | number>) =>
  Object.entries(a)
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join("");

/**
 * `junit.xml`: a "thresholds" suite (a testcase per threshold, failed when breached) and a "checks" suite
 * (a testcase per check, failed when any of its evaluations failed), so CI shows load-test results like tests.
 */
export function junitXml(r: RunResult): string {
  const thresholdCases = r.thresholds.map((t) => {
    const open = `    <testcase${attrs({ classname: "thresholds", name: t.expression })}`;
    if (t.ok) return `${open}/>`;
    const message = `${t.expression} breached: actual ${formatActual(t)}`;
    return `${open}>\n      <failure${attrs({ type: "threshold", message })}>${escapeXml(message)}</failure>\n    </testcase>`;
  });
  const checks = Object.entries(r.metrics.checks);
  const checkCases = checks.map(([name, c]) => {
    const open = `    <testcase${attrs({ classname: "checks", name })}`;
    if (c.fails === 0) return `${open}/>`;
    const message = `${c.fails} of ${c.passes + c.fails} failed`;
    return `${open}>\n      <failure${attrs({ type: "check", message })}>${escapeXml(`${name}: ${message}`)}</failure>\n    </testcase>`;
  });
  // A served lab that went away fails the run: one failed testcase per incident, in a suite of its own.
  const incidents = r.incidents ?? [];
  const serverCases = incidents.map(
    (i) =>
      `    <testcase${attrs({ classname: "lab-server", name: "the served lab stayed up" })}>\n      <failure${attrs({ type: "server", message: i })}>${escapeXml(i)}</failure>\n    </testcase>`,
  );
  const thresholdFailures = r.thresholds.filter((t) => !t.ok).length;
  const checkFailures = checks.filter(([, c]) => c.fails > 0).length;
  // Properties live in each suite: the JUnit schema has none on <testsuites>.
  const properties = [
    "    <properties>",
    `      <property${attrs({ name: "seed", value: String(r.seed) })}/>`,
    `      <property${attrs({ name: "command", value: r.command })}/>`,
    "    </properties>",
  ];
  const suite = (name: string, tests: number, failures: number, cases: string[]) =>
    [`  <testsuite${attrs({ name, tests, failures, errors: 0, skipped: 0 })}>`, ...properties, ...cases, "  </testsuite>"].join("\n");
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites${attrs({
      name: `dpclab fleet run (seed ${r.seed})`,
      tests: r.thresholds.length + checks.length + incidents.length,
      failures: thresholdFailures + checkFailures + incidents.length,
      errors: 0,
    })}>`,
    suite("thresholds", r.thresholds.length, thresholdFailures, thresholdCases),
    suite("checks", checks.length, checkFailures, checkCases),
    ...(incidents.length ? [suite("lab server", incidents.length, incidents.length, serverCases)] : []),
    `</testsuites>`,
    "",
  ].join("\n");
}
