import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { DpclabError } from "../../src/errors.js";
import type { LabDir } from "../../src/lab/index.js";
import { Pkcs11Library } from "../../src/pkcs11/index.js";
import { FleetMetrics, type MetricsSnapshot } from "../metrics/index.js";
import type { RunOutcome } from "../report/index.js";
import type { DeviceRange } from "../sim/index.js";
import { type StormWall, stormInstant } from "../workloads/index.js";
import { planDevices } from "./device-plan.js";
import type { FleetOptions, FleetPlan, FleetProgress } from "./fleet-options.js";
import { mergeOutcomes } from "./outcome.js";
import type { ShardRun } from "./shard.js";

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
  /** Its devices all settled (latest renewal due time), or null: its run ended first. */
  | { type: "storm-due"; due: number | null }
  | { type: "done"; outcome: RunOutcome; metrics: MetricsSnapshot; stormAt?: number; stormWall?: StormWall; incidents?: string[] }
  | { type: "error"; message: string; code?: string };

/** What the main thread posts to a worker: the fleet-wide renewal storm instant; leave (every worker is done). */
export type MainMessage = { type: "storm-at"; at: number } | { type: "exit" };

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
 * Contiguous, near-equal ranges of devices that never split a user's devices: a card (and its PIN counter) is then
 * used by one thread only. Empty ranges are dropped.
 */
export function userAlignedRanges(users: readonly number[], workers: number): DeviceRange[] {
  const out: DeviceRange[] = [];
  let start = 0;
  for (let w = 0; w < workers && start < users.length; w++) {
    let end = w === workers - 1 ? users.length : Math.max(start + 1, Math.round(((w + 1) * users.length) / workers));
    while (end < users.length && users[end] === users[end - 1]) end++;
    out.push({ worker: out.length, start, end });
    start = end;
  }
  return out;
}

/**
 * Runs the plan's devices over `plan.workers` threads (user-aligned ranges). Workers are started one after another
 * (each builds its stacks on the shared lab, which writes the lab's CA files), then run concurrently; their metrics
 * snapshots are merged and their outcome counts added. A renewal storm is coordinated here: once every worker's
 * devices settled, all get the same instant.
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
  const ranges = userAlignedRanges(
    planDevices(plan).devices.map((d) => d.user),
    plan.workers,
  );
  const stormDues: (number | null)[] = [];
  const stormDue = (due: number | null) => {
    stormDues.push(due);
    if (stormDues.length < ranges.length) return;
    const dues = stormDues.filter((d): d is number => d !== null);
    if (dues.length === 0) return;
    const at = stormInstant(dues);
    for (const w of workers) w.postMessage({ type: "storm-at", at } satisfies MainMessage);
  };
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
  const results: Promise<{ outcome: RunOutcome; metrics: MetricsSnapshot; stormAt?: number; stormWall?: StormWall; incidents?: string[] }>[] = [];
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
            else if (m.type === "storm-due") stormDue(m.due);
            else if (m.type === "done") resolve(m);
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
    const stormAt = parts.find((p) => p.stormAt !== undefined)?.stormAt;
    const walls = parts.flatMap((p) => (p.stormWall ? [p.stormWall] : []));
    const stormWall = walls.length ? { first: Math.min(...walls.map((w) => w.first)), last: Math.max(...walls.map((w) => w.last)) } : undefined;
    const incidents = [...new Set(parts.flatMap((p) => p.incidents ?? []))];
    return {
      outcome: mergeOutcomes(parts.map((p) => p.outcome)),
      metrics,
      ...(stormAt !== undefined ? { stormAt } : {}),
      ...(stormWall ? { stormWall } : {}),
      ...(incidents.length ? { incidents } : {}),
    };
  } finally {
    // Let them go together (see worker.ts), and end any that do not leave promptly.
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.threadId < 0) return resolve(); // already gone
            const timer = setTimeout(() => void w.terminate().finally(resolve), 10_000);
            w.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            w.postMessage({ type: "exit" } satisfies MainMessage);
          }),
      ),
    );
  }
}
