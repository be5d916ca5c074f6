import { SeededRandom } from "../../src/random.js";

/**
 * Splitting a fleet over worker threads. Which worker simulates a device must not change what happens to it, so a
 * device's random stream comes from (run seed, device index) alone — never from the worker or its position there.
 */

export type PartitionStrategy = "contiguous" | "hash";

/** Devices [start, end) simulated by one worker. */
export interface DeviceRange {
  worker: number;
  start: number;
  end: number;
}

/** Near-equal contiguous ranges: the first `devices % workers` workers take one device more. */
export function contiguousRanges(devices: number, workers: number): DeviceRange[] {
  check(devices, workers);
  const base = Math.floor(devices / workers);
  const extra = devices % workers;
  const out: DeviceRange[] = [];
  let start = 0;
  for (let worker = 0; worker < workers; worker++) {
    const end = start + base + (worker < extra ? 1 : 0);
    out.push({ worker, start, end });
    start = end;
  }
  return out;
}

/** The worker for a device under a strategy (hash: a 32-bit mix, so neighbours spread over workers). */
export function workerOf(device: number, devices: number, workers: number, strategy: PartitionStrategy): number {
  check(devices, workers);
  if (!Number.isInteger(device) || device < 0 || device >= devices) throw new RangeError(`device ${device} is not in [0, ${devices})`);
  if (strategy === "hash") return mix32(device) % workers;
  const base = Math.floor(devices / workers);
  const extra = devices % workers;
  const wide = extra * (base + 1); // devices held by the workers that take one more
  return device < wide ? Math.floor(device / (base + 1)) : extra + Math.floor((device - wide) / base);
}

/** The devices one worker simulates, ascending. */
export function devicesOf(worker: number, devices: number, workers: number, strategy: PartitionStrategy): number[] {
  check(devices, workers);
  if (!Number.isInteger(worker) || worker < 0 || worker >= workers) throw new RangeError(`worker ${worker} is not in [0, ${workers})`);
  if (strategy === "contiguous") {
    const range = contiguousRanges(devices, workers)[worker]!;
    return Array.from({ length: range.end - range.start }, (_, i) => range.start + i);
  }
  const out: number[] = [];
  for (let d = 0; d < devices; d++) if (mix32(d) % workers === worker) out.push(d);
  return out;
}

/** Device i's own stream: the same whatever the worker count, the strategy or how many devices came before it. */
export function deviceRandom(runSeed: string, device: number): SeededRandom {
  if (!Number.isInteger(device) || device < 0) throw new RangeError(`a device index is a whole number (got ${device})`);
  return new SeededRandom(`${runSeed}/device/${device}`);
}

function check(devices: number, workers: number): void {
  if (!Number.isInteger(devices) || devices < 0) throw new RangeError(`devices must be a whole number (got ${devices})`);
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers must be a positive integer (got ${workers})`);
}

/** murmur3's fmix32 finaliser: cheap, and spreads consecutive indices evenly. */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
