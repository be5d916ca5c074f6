import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { DpclabError } from "../../src/errors.js";
import type { LabDir } from "../../src/lab/index.js";
import { Pkcs11Library } from "../../src/pkcs11/index.js";
import { FleetMetrics } from "../metrics/index.js";
import type { DeviceRange } from "../sim/index.js";
import { stormInstant } from "../workloads/index.js";
import { planDevices } from "./device-plan.js";
import type { FleetOptions, FleetPlan, FleetProgress } from "./fleet-options.js";
import { mergeOutcomes } from "./outcome.js";
import type { ShardRun } from "./shard.js";
import type { MainMessage, WorkerDone, WorkerInput, WorkerMessage } from "./worker-protocol.js";

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
  const pool = new WorkerPool(workerEntry(), ranges.length, onProgress);
  try {
    for (const range of ranges)
      await pool.start({ options: { ...rest, start: start.toISOString() }, root: lab.root, start: start.toISOString(), range, workers: plan.workers });
    return mergeShardRuns(await pool.results());
  } finally {
    await pool.release();
  }
}

/** The shards' runs as one: metrics merged, outcome counts added, the storm's instant and its widest wall span. */
function mergeShardRuns(parts: readonly WorkerDone[]): ShardRun {
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
}

/**
 * The running workers of one fleet: what they post is gathered here (their days' censuses summed once every worker
 * reached that day, their storm due times until all are in), and each one's result is a promise.
 */
class WorkerPool {
  readonly #workers: Worker[] = [];
  readonly #results: Promise<WorkerDone>[] = [];
  readonly #stormDues: (number | null)[] = [];
  readonly #days = new Map<number, { n: number; p: FleetProgress }>();

  constructor(
    private readonly entry: URL,
    private readonly size: number,
    private readonly onProgress: ((p: FleetProgress) => void) | undefined,
  ) {}

  /** Starts a worker on its range; resolves once it built its stacks (or rejects if it failed first). */
  async start(input: WorkerInput): Promise<void> {
    const worker = new Worker(this.entry, { workerData: input });
    this.#workers.push(worker);
    const name = `fleet worker ${input.range.worker}`;
    let ready!: () => void;
    let failed!: (e: Error) => void;
    const isReady = new Promise<void>((res, rej) => {
      ready = res;
      failed = rej;
    });
    const result = new Promise<WorkerDone>((resolve, reject) => {
      const fail = (e: Error) => {
        failed(e);
        reject(e);
      };
      worker.on("message", (m: WorkerMessage) => {
        if (m.type === "ready") ready();
        else if (m.type === "day") this.#day(m);
        else if (m.type === "storm-due") this.#stormDue(m.due);
        else if (m.type === "done") resolve(m);
        else fail(new DpclabError(`${name}: ${m.message}`, m.code ?? "worker-failed"));
      });
      worker.on("error", (e) => fail(new DpclabError(`${name}: ${e.message}`, "worker-failed")));
      worker.on("exit", (code) => fail(new DpclabError(`${name} exited (${code}) before its result`, "worker-failed")));
    });
    result.catch(() => undefined); // observed in results()
    this.#results.push(result);
    await isReady;
  }

  results(): Promise<WorkerDone[]> {
    return Promise.all(this.#results);
  }

  /** Lets them go together (see worker.ts), and ends any that do not leave promptly. */
  async release(): Promise<void> {
    await Promise.all(
      this.#workers.map(
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

  #day(m: Extract<WorkerMessage, { type: "day" }>): void {
    const cur = this.#days.get(m.day) ?? { n: 0, p: { day: m.day, days: m.days, simulatedNow: new Date(m.simulatedNow), enrolled: 0, renewed: 0, failed: 0 } };
    cur.n++;
    cur.p.enrolled += m.enrolled;
    cur.p.renewed += m.renewed;
    cur.p.failed += m.failed;
    if (cur.n === this.size) {
      this.#days.delete(m.day);
      this.onProgress?.(cur.p);
    } else this.#days.set(m.day, cur);
  }

  /** Once every worker's devices settled (or its run ended first), all get the fleet-wide storm instant. */
  #stormDue(due: number | null): void {
    this.#stormDues.push(due);
    if (this.#stormDues.length < this.size) return;
    const dues = this.#stormDues.filter((d): d is number => d !== null);
    if (dues.length === 0) return;
    const at = stormInstant(dues);
    for (const w of this.#workers) w.postMessage({ type: "storm-at", at } satisfies MainMessage);
  }
}
