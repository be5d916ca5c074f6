import fc from "fast-check";
import type { Scenario } from "./catalogue.js";
import { KNOWN_DEVIATIONS } from "./deviations.js";
import { checkInvariants } from "./invariants.js";
import { initialModel, type Model } from "./model.js";
import { createDeck, type Deck, type Finding, World } from "./world.js";

/**
 * Runs one catalogue scenario: fast-check generates command sequences, each run builds a fresh lab stack on the shared
 * card deck, runs the scenario's setup then the commands against the model (fc.asyncModelRun), checks every invariant
 * after each command and the costly ones at the end. A failure is shrunk to a minimal command sequence and reported
 * with the seed, the path and the exact command that replays it.
 */
export interface RunScenarioOptions {
  seed?: number;
  runs?: number;
  /** `<fast-check path>` or `<fast-check path>@<commands replayPath>`, as a failure report prints it. */
  path?: string;
  /** Reuse a card deck (tests make one per file); otherwise one is made and removed. */
  deck?: Deck;
  /** Called after each run. */
  onRun?: (run: { index: number; commands: number; ms: number }) => void;
}

export interface ScenarioFailure {
  /** The error of the shrunk counterexample. */
  error: string;
  setup: string;
  /** The minimal command sequence that ran. */
  commands: string;
  seed: number;
  path: string;
  replay: string;
  shrinks: number;
}

export interface ScenarioResult {
  scenario: string;
  seed: number;
  runs: number;
  ok: boolean;
  failure?: ScenarioFailure;
  /** Known emulator deviations met on the way (pending invariants), deduplicated by id with a count and an example. */
  findings: { id: string; count: number; example: string }[];
  commandsRun: number;
  /** Credentials minted over all runs. */
  credentials: number;
  /** Outcomes the model predicted and the stack gave, over all runs: "ok" and each refusal code. */
  outcomes: Record<string, number>;
  ms: number;
}

/** A fresh non-negative 31-bit seed (printed, so the run can be replayed). */
export function randomSeed(): number {
  return (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) & 0x7fffffff;
}

/** The command that replays a run or a failure (a negative seed, e.g. from DPCLAB_SEED, needs the --seed=S form). */
export function replayCommand(name: string, seed: number, path?: string): string {
  return `dpclab scenario run ${name} ${seed < 0 ? `--seed=${seed}` : `--seed ${seed}`}${path ? ` --path '${path}'` : ""}`;
}

export async function runScenario(scenario: Scenario, opts: RunScenarioOptions = {}): Promise<ScenarioResult> {
  const seed = opts.seed ?? randomSeed();
  const [fcPath, replayPath] = splitPath(opts.path);
  // A path replays one case (the failing one a report printed); fast-check would otherwise go on from it.
  const runs = fcPath ? 1 : (opts.runs ?? scenario.runs);
  const deck = opts.deck ?? (await createDeck({ servesStatus: scenario.servesStatus === true }));
  const findings = new Map<string, { count: number; example: string }>();
  const started = performance.now();
  let commandsRun = 0;
  let credentials = 0;
  const outcomes: Record<string, number> = {};
  let index = 0;
  const property = fc.asyncProperty(
    scenario.setup,
    fc.commands(scenario.commands, { maxCommands: scenario.maxCommands, size: "max", ...(replayPath ? { replayPath } : {}) }),
    async (setup, commands) => {
      const t0 = performance.now();
      const world = await World.create(deck);
      const model: Model = initialModel();
      let ran = 0;
      try {
        await fc.asyncModelRun(() => ({ model, real: world }), [...setup, ...commands]);
        await checkInvariants(model, world, "end");
        await scenario.finally?.(model, world);
      } finally {
        for (const c of commands) if ((c as { hasRan?: boolean }).hasRan) ran++;
        collect(findings, world.findings);
        credentials += world.minted.length;
        for (const [k, n] of world.stats) outcomes[k] = (outcomes[k] ?? 0) + n;
        world.close();
        commandsRun += ran;
        opts.onRun?.({ index: index++, commands: ran, ms: performance.now() - t0 });
      }
    },
  );
  try {
    const details = await fc.check(property, { seed, numRuns: runs, ...(fcPath ? { path: fcPath } : {}) });
    const result: ScenarioResult = {
      scenario: scenario.name,
      seed,
      runs: details.numRuns,
      ok: !details.failed,
      findings: [...findings].map(([id, f]) => ({ id, ...f })),
      commandsRun,
      credentials,
      outcomes,
      ms: performance.now() - started,
    };
    if (details.failed) {
      const [setup, commands] = (details.counterexample ?? []) as [unknown[] | undefined, unknown];
      const text = String(commands ?? "");
      const rp = /replayPath="([^"]*)"/.exec(text)?.[1];
      const path = details.counterexamplePath ? `${details.counterexamplePath}${rp ? `@${rp}` : ""}` : (opts.path ?? "");
      result.failure = {
        error: errorText(details.errorInstance),
        setup: (setup ?? []).map(String).join(", "),
        commands: text.replace(/\s*\/\*replayPath="[^"]*"\*\//, ""),
        seed: details.seed,
        path,
        replay: replayCommand(scenario.name, details.seed, path),
        shrinks: details.numShrinks,
      };
    }
    return result;
  } finally {
    if (!opts.deck) deck.remove();
  }
}

/** `0:1:2@AB:Cd` → ["0:1:2", "AB:Cd"]; `0:1:2` → ["0:1:2", undefined]. */
export function splitPath(path: string | undefined): [string | undefined, string | undefined] {
  if (path === undefined || path === "") return [undefined, undefined];
  const at = path.indexOf("@");
  return at < 0 ? [path, undefined] : [path.slice(0, at), path.slice(at + 1)];
}

/** The failure report: the minimal sequence, the seed, the path, and the command that replays it. */
export function failureReport(r: ScenarioResult): string {
  const f = r.failure;
  if (!f) return "";
  return [
    `scenario ${r.scenario} FAILED after ${r.runs} run(s) (${f.shrinks} shrinks)`,
    `  error: ${f.error.split("\n").join("\n         ")}`,
    `  setup: ${f.setup || "(none)"}`,
    "  minimal command sequence:",
    ...(f.commands ? f.commands.split(/,(?=[A-Z][A-Za-z]+\()/).map((c, i) => `    ${i + 1}. ${c.trim()}`) : ["    (none: the setup alone fails)"]),
    `  seed: ${f.seed}`,
    `  path: ${f.path}`,
    `  replay: ${f.replay}`,
  ].join("\n");
}

export function findingsReport(r: ScenarioResult): string {
  if (r.findings.length === 0) return "";
  return [
    "  known emulator deviations met (pending: reported, not failed):",
    ...r.findings.flatMap((f) => [
      `    ${f.id} ×${f.count}, e.g. ${f.example}`,
      ...(f.id in KNOWN_DEVIATIONS ? [`      why pending: ${KNOWN_DEVIATIONS[f.id as keyof typeof KNOWN_DEVIATIONS]}`] : []),
    ]),
  ].join("\n");
}

function collect(into: Map<string, { count: number; example: string }>, findings: Finding[]): void {
  for (const f of findings) {
    const seen = into.get(f.id);
    if (seen) seen.count++;
    else into.set(f.id, { count: 1, example: f.detail });
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
