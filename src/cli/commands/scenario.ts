import {
  CATALOGUE,
  failureReport,
  findingsReport,
  randomSeed,
  replayCommand,
  runScenario,
  type ScenarioResult,
  scenarioByName,
} from "../../../scenarios/index.js";
import { DpclabError } from "../../errors.js";
import { table } from "../../text-table.js";
import { intFlag, parseFlags } from "../args.js";

const USAGE = "dpclab scenario list [--json] | dpclab scenario run NAME [--seed S] [--runs N] [--path P] [--json]";

/**
 * `dpclab scenario list` shows the catalogue; `dpclab scenario run NAME` runs one scenario's property-based, model-based
 * test against a fresh in-process lab (a temporary card deck on tmpfs). Exit 0 when every run held every invariant, 1
 * with the shrunk counterexample, its seed, path and replay command when one did not, 2 for bad usage.
 */
export async function scenarioCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "list") return list(rest);
  if (sub === "run") return run(rest);
  throw new DpclabError(`${sub === undefined ? "a subcommand is required" : `unknown subcommand "${sub}"`} (usage: ${USAGE})`, "usage");
}

function list(argv: string[]): number {
  const { values, positionals } = parseFlags(argv, { json: { type: "boolean" } }, USAGE);
  if (positionals.length) throw new DpclabError(`unexpected argument "${positionals[0]}" (usage: ${USAGE})`, "usage");
  if (values.json) {
    console.log(
      JSON.stringify(
        CATALOGUE.map((s) => ({ name: s.name, title: s.title, covers: s.covers, runs: s.runs, maxCommands: s.maxCommands })),
        null,
        2,
      ),
    );
    return 0;
  }
  console.log(
    table(
      ["scenario", "runs", "covers", "what it exercises"],
      CATALOGUE.map((s) => [s.name, s.runs, s.covers.join(", "), s.title]),
    ),
  );
  return 0;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { seed: { type: "string" }, runs: { type: "string" }, path: { type: "string" }, json: { type: "boolean" } },
    USAGE,
  );
  if (positionals.length !== 1) {
    throw new DpclabError(
      `${positionals.length ? "one scenario at a time" : "a scenario name is required"} (usage: ${USAGE}; see dpclab scenario list)`,
      "usage",
    );
  }
  const name = positionals[0] as string;
  const scenario = scenarioByName(name);
  if (!scenario)
    throw new DpclabError(`no scenario "${name}" (dpclab scenario list shows ${CATALOGUE.length}: ${CATALOGUE.map((s) => s.name).join(", ")})`, "usage");
  const seed = values.seed === undefined ? randomSeed() : parseSeed(values.seed);
  const runs = intFlag(values.runs, "--runs", { min: 1, max: 100_000, fallback: scenario.runs });
  const path = values.path === undefined ? undefined : parsePath(values.path);

  if (!values.json) {
    console.log(`scenario ${name}: ${scenario.title}`);
    console.log(`  seed ${seed}${path ? `, path ${path} (replaying one case)` : `, ${runs} runs`} — replay: ${replayCommand(name, seed, path)}`);
  }
  const result = await runScenario(scenario, {
    seed,
    runs,
    ...(path ? { path } : {}),
    ...(values.json
      ? {}
      : { onRun: (r) => process.stdout.write(`  run ${r.index + 1}: ${r.commands} command${r.commands === 1 ? "" : "s"}, ${Math.round(r.ms)} ms\n`) }),
  });
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else console.log(summary(result));
  return result.ok ? 0 : 1;
}

function summary(r: ScenarioResult): string {
  const outcomes = Object.entries(r.outcomes)
    .sort(([, a], [, b]) => b - a)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  const lines = [
    r.ok
      ? `scenario ${r.scenario} PASSED: ${r.runs} runs, ${r.commandsRun} commands, ${r.credentials} credentials, ${(r.ms / 1000).toFixed(1)} s`
      : failureReport(r),
    `  outcomes predicted by the model and given by the lab: ${outcomes || "none"}`,
  ];
  const findings = findingsReport(r);
  if (findings) lines.push(findings);
  return lines.join("\n");
}

/** A fast-check seed: a 32-bit integer (negative allowed, as fast-check prints them). */
function parseSeed(text: string): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n) || n < -0x80000000 || n > 0x7fffffff) {
    throw new DpclabError(`--seed must be a 32-bit integer, as a failure report prints it (got "${text}")`, "usage");
  }
  return n;
}

/** `0:1:2` or `0:1:2@<replayPath>`, as a failure report prints it. */
function parsePath(text: string): string {
  if (!/^\d+(:\d+)*(@[A-Za-z0-9+/]*:[A-Za-z0-9+/]*)?$/.test(text)) {
    throw new DpclabError(`--path must be a failure report's path, such as 12:3:0@AB:C (got "${text}")`, "usage");
  }
  return text;
}
