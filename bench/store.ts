import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import type { RunResult } from "../fleet/report/index.js";
import { type FleetOptions, runFleet } from "../fleet/runner/index.js";
import { startPostgres } from "./postgres-server.js";
import { type Figure, round } from "./results.js";

/** Devices in the storm (issue 14 §5: 10,000); DPCLAB_BENCH_STORE_DEVICES for a quicker look. */
const DEVICES = Number(process.env.DPCLAB_BENCH_STORE_DEVICES ?? 10_000);

/**
 * What the lab store costs the renewal path (issue 14 §5): the same renewal storm (Intercede automatic rekey, every
 * device at its threshold at one instant) with the stacks' state in memory and in SQLite, measured in one run,
 * alternated (memory, SQLite, memory, SQLite) on one lab so drift falls on both. Target: SQLite ≥ 0.8 × memory.
 * PostgreSQL holds one stack, so it runs on one worker, against memory on one worker in the same run.
 */
export async function benchStore(): Promise<Figure[]> {
  const workers = Math.min(availableParallelism(), 4);
  const dir = mkdtempSync(join(tmpdir(), "dpclab-bench-store-"));
  const lab = join(dir, "lab");
  const base = { devices: DEVICES, issuer: "intercede" as const, preset: "renewal-storm", lifetime: "30d", seed: "bench-store", dir: lab };
  const storm = async (store: string, w: number) => rate(await runFleet({ ...base, workers: w, store } as FleetOptions));
  try {
    await runFleet({ ...base, devices: Math.min(DEVICES, 50), workers }); // makes the deck once, outside the timings
    const memory = [await storm("memory", workers)];
    const sqlite = [await storm("sqlite", workers)];
    memory.push(await storm("memory", workers));
    sqlite.push(await storm("sqlite", workers));
    const figures: Figure[] = [
      { name: "store_storm_devices", value: DEVICES, unit: `devices (${workers} workers)` },
      { name: "store_storm_memory_per_second", value: round(mean(memory), 1), unit: "renewals/s" },
      { name: "store_storm_sqlite_per_second", value: round(mean(sqlite), 1), unit: "renewals/s" },
      { name: "store_sqlite_per_memory_ratio", value: round(mean(sqlite) / mean(memory), 3), unit: "ratio (target ≥ 0.8)" },
    ];
    const pg = await startPostgres();
    if ("skip" in pg) {
      console.log(`store: PostgreSQL not measured: ${pg.skip}`);
      return figures;
    }
    try {
      const oneWorkerMemory = await storm("memory", 1);
      const onPostgres = await storm(pg.newDatabase("bench_store"), 1);
      figures.push(
        { name: "store_storm_memory_one_worker_per_second", value: round(oneWorkerMemory, 1), unit: "renewals/s" },
        { name: "store_storm_postgres_one_worker_per_second", value: round(onPostgres, 1), unit: "renewals/s" },
        { name: "store_postgres_per_memory_ratio", value: round(onPostgres / oneWorkerMemory, 3), unit: "ratio (one worker)" },
      );
    } finally {
      pg.stop();
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The storm's renewals per wall-clock second; a storm that left a device unrenewed measures nothing. */
function rate(r: RunResult): number {
  if (!r.storm || r.storm.renewals !== DEVICES || Object.keys(r.outcome.failed).length > 0)
    throw new Error(`the storm did not renew every device: ${JSON.stringify(r.outcome)}`);
  return r.storm.renewalsPerSecond;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
