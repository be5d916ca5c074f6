// The messages between the main thread and a fleet worker thread (structured-clone data only).
import type { MetricsSnapshot } from "../metrics/index.js";
import type { RunOutcome } from "../report/index.js";
import type { DeviceRange } from "../sim/index.js";
import type { StormWall } from "../workloads/index.js";
import type { FleetOptions } from "./fleet-options.js";

/** What the main thread gives a worker. */
export interface WorkerInput {
  /** The run's options without callbacks or --dir: the worker plans the same fleet from them. */
  options: Omit<FleetOptions, "onProgress" | "dir">;
  root: string;
  start: string;
  range: DeviceRange;
  workers: number;
}

/** A worker's shard run, as it posts it. */
export interface WorkerDone {
  outcome: RunOutcome;
  metrics: MetricsSnapshot;
  stormAt?: number;
  stormWall?: StormWall;
  incidents?: string[];
}

/** What a worker posts back. */
export type WorkerMessage =
  | { type: "ready" }
  | { type: "day"; day: number; days: number; simulatedNow: string; enrolled: number; renewed: number; failed: number }
  /** Its devices all settled (latest renewal due time), or null: its run ended first. */
  | { type: "storm-due"; due: number | null }
  | ({ type: "done" } & WorkerDone)
  | { type: "error"; message: string; code?: string };

/** What the main thread posts to a worker: the fleet-wide renewal storm instant; leave (every worker is done). */
export type MainMessage = { type: "storm-at"; at: number } | { type: "exit" };
