// Discrete-event simulation for the fleet runner: a virtual-time event loop, open-model arrivals, client retry and
// deterministic partitioning over workers.
export {
  type ConstantArrivalOptions,
  constantArrivals,
  type RampArrivalOptions,
  type RampStage,
  type RenewalStormOptions,
  rampArrivals,
  renewalStorm,
  type StormArrival,
} from "./arrivals.js";
export { EventQueue, type SimEvent } from "./event-queue.js";
export { contiguousRanges, type DeviceRange, deviceRandom, devicesOf, type PartitionStrategy, workerOf } from "./partition.js";
export { type AttemptFailure, defaultRetryPolicy, isRetryable, nextRetry, parseRetryAfter, type RetryDecision, type RetryPolicy } from "./retry.js";
export { type EventHandler, type RunOptions, type RunResult, Simulation, type SimulationOptions, type SimulationStats, type When } from "./simulation.js";
