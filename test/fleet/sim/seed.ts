import type fc from "fast-check";

// fast-check seed for the fleet/sim properties: printed so a failure can be replayed with DPCLAB_SEED=<seed>.
export const SEED = seedFromEnv();
console.log(`[fleet/sim] fast-check seed ${SEED}${process.env.DPCLAB_SEED ? " (from DPCLAB_SEED)" : " (random; set DPCLAB_SEED to replay)"}`);

export const params = <T>(numRuns: number): fc.Parameters<T> => ({ seed: SEED, verbose: true, numRuns });

function seedFromEnv(): number {
  const raw = process.env.DPCLAB_SEED;
  if (raw === undefined || raw === "") return (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`DPCLAB_SEED must be an integer (got "${raw}")`);
  return n | 0;
}
