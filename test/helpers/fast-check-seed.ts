import type fc from "fast-check";

/**
 * One fast-check seed per test file, printed so a failure can be replayed: DPCLAB_SEED=<seed> npm test.
 * fast-check itself prints the seed and counterexample path of a failing property.
 */
export function propertySeed(suite: string): { seed: number; params: <T>(numRuns: number) => fc.Parameters<T> } {
  const raw = process.env.DPCLAB_SEED;
  let seed: number;
  if (raw === undefined || raw === "") {
    seed = (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
  } else {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new Error(`DPCLAB_SEED must be an integer (got "${raw}")`);
    seed = n | 0;
  }
  console.log(`[${suite}] fast-check seed ${seed}${raw ? " (from DPCLAB_SEED)" : " (random; set DPCLAB_SEED to replay)"}`);
  return { seed, params: <T>(numRuns: number): fc.Parameters<T> => ({ seed, verbose: true, numRuns }) };
}
