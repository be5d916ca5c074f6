// Discrete-event simulation for the fleet runner: a virtual-time event loop, open-model arrivals, client retry and
// per-device random streams that do not depend on the worker.
export {
  type ConstantArrivalOptions,
  constantArrivals,
  type RenewalStormOptions,
  renewalStorm,
  type StormArrival,
} from "./arrivals.js";
export { EventQueue, type SimEvent } from "./event-queue.js";
export { type DeviceRange, deviceRandom } from "./partition.js";
export { type AttemptFailure, isRetryable, nextRetry, parseRetryAfter, type RetryDecision, type RetryPolicy } from "./retry.js";
export { type EventHandler, type RunOptions, type RunResult, Simulation, type SimulationOptions, type SimulationStats, type When } from "./simulation.js";
