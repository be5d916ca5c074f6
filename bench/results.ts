import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";

/** Merges figures into bench-results.json (one file for every benchmark, with the machine they ran on). */
export function recordBenchResults(figures: Record<string, number>): void {
  const path = "bench-results.json";
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    // first benchmark to write
  }
  const machine = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? "unknown" };
  writeFileSync(path, `${JSON.stringify({ ...current, ...figures, machine, updatedAt: new Date().toISOString() }, null, 2)}\n`);
}
