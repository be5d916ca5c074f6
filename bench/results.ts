import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";

/** One measured figure, as `npm run bench` prints it (`name: value unit`) and bench-results.json stores it. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
}

export function printFigure(f: Figure): void {
  console.log(`${f.name}: ${f.value} ${f.unit}`);
}

/** Merges figures into bench-results.json (name → { value, unit }), with the machine they ran on. */
export function recordBenchResults(figures: Figure[], path = "bench-results.json"): void {
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    // first benchmark to write
  }
  for (const f of figures) current[f.name] = { value: f.value, unit: f.unit };
  current._machine = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? "unknown", at: new Date().toISOString() };
  writeFileSync(path, `${JSON.stringify(current, null, 2)}\n`);
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Runs `op` repeatedly for about `ms` milliseconds (after a short warm-up) and returns operations per second. */
export async function ratePerSecond(op: () => unknown, ms = 2_000): Promise<number> {
  const warmUntil = performance.now() + Math.min(300, ms / 5);
  while (performance.now() < warmUntil) await op();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await op();
    n++;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}
