import { SeededRandom } from "../../src/random.js";

/**
 * Splitting a fleet over worker threads. Which worker simulates a device must not change what happens to it, so a
 * device's random stream comes from (run seed, device index) alone — never from the worker or its position there.
 * How devices are grouped into ranges (a user's devices together) is the runner's business (fleet/runner).
 */

/** Devices [start, end) simulated by one worker. */
export interface DeviceRange {
  worker: number;
  start: number;
  end: number;
}

/** Device i's own stream: the same whatever the worker count or how many devices came before it. */
export function deviceRandom(runSeed: string, device: number): SeededRandom {
  if (!Number.isInteger(device) || device < 0) throw new RangeError(`a device index is a whole number (got ${device})`);
  return new SeededRandom(`${runSeed}/device/${device}`);
}
