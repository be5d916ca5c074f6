import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const REPO = resolve(import.meta.dirname, "../..");
const EXAMPLE = join(REPO, "examples", "consumer");
/** Kept between runs (under node_modules, so never committed): the installed copy makes a re-run an update, not an install. */
const CACHE = join(REPO, "node_modules", ".cache", "dpclab-consumer");
const WORK = join(CACHE, "consumer");

interface Run {
  status: number | null;
  out: string;
}

/** A child process with the parent's environment minus vitest's own markers (the consumer runs a vitest of its own). */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Run {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST") && k !== "NODE_ENV"));
  const r = spawnSync(command, args, { cwd, env: { ...clean, CI: "true", ...env }, encoding: "utf8", maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

/** `npm pack` of the repository as it is built now, named by its content so npm sees a changed package as new. */
function pack(): string {
  // The global set-up compiled the JS; the library's declarations come from tsconfig.lib.json (incremental, seconds).
  const lib = run(process.execPath, [join(REPO, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.lib.json"], REPO);
  if (!existsSync(join(REPO, "dist", "src", "api", "index.d.ts"))) throw new Error(`no declarations were emitted:\n${lib.out}`);
  const packed = run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", CACHE], REPO);
  expect(packed.status, packed.out).toBe(0);
  const [{ filename }] = JSON.parse(packed.out.slice(packed.out.indexOf("["))) as { filename: string }[];
  const tarball = join(CACHE, filename.replace(/^@.*\//, ""));
  const hash = createHash("sha256").update(readFileSync(tarball)).digest("hex").slice(0, 16);
  const named = join(CACHE, `dpclab-${hash}.tgz`);
  renameSync(tarball, named);
  for (const old of readdirSync(CACHE)) if (old.endsWith(".tgz") && join(CACHE, old) !== named) rmSync(join(CACHE, old));
  return named;
}

/** The example's files (not its node_modules) copied over the cached copy, its dpclab dependency pointed at `tarball`. */
function prepare(tarball: string): void {
  mkdirSync(WORK, { recursive: true });
  for (const entry of readdirSync(WORK))
    if (entry !== "node_modules" && entry !== "package-lock.json") rmSync(join(WORK, entry), { recursive: true, force: true });
  cpSync(EXAMPLE, WORK, { recursive: true, filter: (src) => !src.includes(`${EXAMPLE}/node_modules`) && src !== join(EXAMPLE, "package-lock.json") });
  const manifest = JSON.parse(readFileSync(join(WORK, "package.json"), "utf8"));
  expect(manifest.dependencies.dpclab).toMatch(/^file:.*dpclab-0\.1\.0\.tgz$/); // what a user of the example installs
  manifest.dependencies.dpclab = `file:${tarball}`;
  writeFileSync(join(WORK, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

// examples/consumer: a team's own project installs dpclab from the packed tarball and runs its vitest suite.
describe("the consumer example (examples/consumer)", () => {
  it("installs dpclab from npm pack, typechecks against its exports and passes its own vitest suite", () => {
    mkdirSync(CACHE, { recursive: true });
    const tarball = pack();
    prepare(tarball);
    const install = run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], WORK);
    expect(install.status, install.out).toBe(0);
    const installed = JSON.parse(readFileSync(join(WORK, "node_modules", "dpclab", "package.json"), "utf8"));
    expect(Object.keys(installed.exports)).toEqual([".", "./msw", "./testcontainers", "./package.json"]);

    const types = run(process.execPath, [join(WORK, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], WORK);
    expect(types.status, types.out).toBe(0);

    const results = join(WORK, "results.json");
    rmSync(results, { force: true });
    const tests = run(
      process.execPath,
      [join(WORK, "node_modules", "vitest", "vitest.mjs"), "run", "--reporter=default", "--reporter=json", `--outputFile=${results}`],
      WORK,
    );
    expect(existsSync(results), tests.out).toBe(true);
    const report = JSON.parse(readFileSync(results, "utf8")) as {
      numFailedTests: number;
      numPassedTests: number;
      numPendingTests: number;
      testResults: { name: string; assertionResults: { title: string; status: string }[] }[];
    };
    const outcome = report.testResults.flatMap((f) => f.assertionResults.map((a) => `${f.name.slice(WORK.length + 1)}: ${a.status} ${a.title}`));
    console.log(`consumer suite:\n  ${outcome.join("\n  ")}`);
    expect(tests.status, tests.out).toBe(0);
    expect(report.numFailedTests, tests.out).toBe(0);
    expect(report.numPassedTests).toBeGreaterThanOrEqual(6);
    // Each of the three entry points was used: the container test either passed or skipped saying why.
    for (const file of ["test/lab-server.test.ts", "test/msw.test.ts", "test/container.test.ts"]) expect(outcome.some((o) => o.startsWith(file))).toBe(true);
    const container = outcome.find((o) => o.startsWith("test/container.test.ts")) ?? "";
    expect(container).toMatch(/passed|skipped .*SKIPPED: .+/);
  }, 900_000);
});
