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

/**
 * Rates of two operations measured in alternating batches (`batches` rounds of `batch` calls each, after a warm-up
 * of as many), so a load change on these noisy machines falls on both sides of a ratio alike. `op` gets the call's
 * index in the measured run (0 … batches × batch − 1) and, during warm-up, −1 − the warm-up index.
 */
export async function alternatingRates(
  a: (i: number) => unknown,
  b: (i: number) => unknown,
  { batches = 12, batch = 250, warmUp = batches * batch }: { batches?: number; batch?: number; warmUp?: number } = {},
): Promise<{ a: number; b: number }> {
  for (let i = 0; i < warmUp; i++) await a(-1 - i);
  for (let i = 0; i < warmUp; i++) await b(-1 - i);
  let aMs = 0;
  let bMs = 0;
  for (let round = 0; round < batches; round++) {
    let start = performance.now();
    for (let i = round * batch; i < (round + 1) * batch; i++) await a(i);
    aMs += performance.now() - start;
    start = performance.now();
    for (let i = round * batch; i < (round + 1) * batch; i++) await b(i);
    bMs += performance.now() - start;
  }
  const n = batches * batch;
  return { a: (n * 1000) / aMs, b: (n * 1000) / bMs };
}
