import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { DpclabError } from "../../src/errors.js";
import type { LabDir } from "../../src/lab/index.js";
import { Pkcs11Library } from "../../src/pkcs11/index.js";
import { FleetMetrics, type MetricsSnapshot } from "../metrics/index.js";
import type { RunOutcome } from "../report/index.js";
import { contiguousRanges, type DeviceRange } from "../sim/index.js";
import type { FleetOptions, FleetPlan, FleetProgress } from "./fleet-options.js";
import { mergeOutcomes, type ShardRun } from "./run-fleet.js";

/** What the main thread gives a worker (structured-clone data only). */
export interface WorkerInput {
  /** The run's options without callbacks or --dir: the worker plans the same fleet from them. */
  options: Omit<FleetOptions, "onProgress" | "dir">;
  root: string;
  start: string;
  range: DeviceRange;
  workers: number;
}

/** What a worker posts back. */
export type WorkerMessage =
  | { type: "ready" }
  | { type: "day"; day: number; days: number; simulatedNow: string; enrolled: number; renewed: number; failed: number }
  | { type: "done"; outcome: RunOutcome; metrics: MetricsSnapshot }
  | { type: "error"; message: string; code?: string };

/**
 * The compiled worker entry. From dist/ it sits beside this module; when this module runs from TypeScript source
 * (vitest), the dist/ copy built by the global setup (`npx tsc`).
 */
export function workerEntry(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".js")) return new URL("./worker.js", import.meta.url);
  let dir = dirname(here);
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new DpclabError(`cannot find the repository root above ${here} (for dist/fleet/runner/worker.js)`, "no-worker");
    dir = up;
  }
  const entry = join(dir, "dist", "fleet", "runner", "worker.js");
  if (!existsSync(entry)) throw new DpclabError(`${entry} is missing: build first (npx tsc -p tsconfig.json)`, "no-worker");
  return pathToFileURL(entry);
}

/**
 * Every thread of this process shares one SoftHSM instance (a worker's Pkcs11Library finds it already initialised,
 * with OS locking: see Pkcs11Library). Initialise it on the lab's token directory before workers use the cards.
 */
function initialiseForThreads(lab: LabDir): void {
  Pkcs11Library.open({ softhsmConf: lab.ensureSoftHsmConf() }).reinitialize();
}

/**
 * Runs the plan's devices over `plan.workers` threads (contiguous ranges). Workers are started one after another
 * (each builds its stacks on the shared lab, which writes the lab's CA files), then run concurrently; their metrics
 * snapshots are merged and their outcome counts added.
 */
export async function runWorkers(
  plan: FleetPlan,
  options: FleetOptions,
  lab: LabDir,
  start: Date,
  onProgress: ((p: FleetProgress) => void) | undefined,
): Promise<ShardRun> {
  initialiseForThreads(lab);
  const { onProgress: _p, dir: _d, ...rest } = options;
  const ranges = contiguousRanges(plan.devices, plan.workers);
  const entry = workerEntry();
  const days = new Map<number, { n: number; p: FleetProgress }>();
  const day = (m: Extract<WorkerMessage, { type: "day" }>) => {
    const cur = days.get(m.day) ?? { n: 0, p: { day: m.day, days: m.days, simulatedNow: new Date(m.simulatedNow), enrolled: 0, renewed: 0, failed: 0 } };
    cur.n++;
    cur.p.enrolled += m.enrolled;
    cur.p.renewed += m.renewed;
    cur.p.failed += m.failed;
    if (cur.n === ranges.length) {
      days.delete(m.day);
      onProgress?.(cur.p);
    } else days.set(m.day, cur);
  };
  const workers: Worker[] = [];
  const results: Promise<{ outcome: RunOutcome; metrics: MetricsSnapshot }>[] = [];
  try {
    for (const range of ranges) {
      const input: WorkerInput = { options: { ...rest, start: start.toISOString() }, root: lab.root, start: start.toISOString(), range, workers: plan.workers };
      const worker = new Worker(entry, { workerData: input });
      workers.push(worker);
      let ready!: () => void;
      let failed!: (e: Error) => void;
      const isReady = new Promise<void>((res, rej) => {
        ready = res;
        failed = rej;
      });
      results.push(
        new Promise((resolve, reject) => {
          const fail = (e: Error) => {
            failed(e);
            reject(e);
          };
          worker.on("message", (m: WorkerMessage) => {
            if (m.type === "ready") ready();
            else if (m.type === "day") day(m);
            else if (m.type === "done") resolve({ outcome: m.outcome, metrics: m.metrics });
            else fail(new DpclabError(`fleet worker ${range.worker}: ${m.message}`, m.code ?? "worker-failed"));
          });
          worker.on("error", (e) => fail(new DpclabError(`fleet worker ${range.worker}: ${e.message}`, "worker-failed")));
          worker.on("exit", (code) => fail(new DpclabError(`fleet worker ${range.worker} exited (${code}) before its result`, "worker-failed")));
        }),
      );
      results.at(-1)!.catch(() => undefined); // observed below
      await isReady;
    }
    const parts = await Promise.all(results);
    const metrics = new FleetMetrics();
    for (const p of parts) metrics.mergeSnapshot(p.metrics);
    return { outcome: mergeOutcomes(parts.map((p) => p.outcome)), metrics };
  } finally {
    await Promise.all(workers.map((w) => w.terminate().catch(() => undefined)));
  }
}
