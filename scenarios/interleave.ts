import type fc from "fast-check";
import { type Attempt, attempt } from "./flows.js";
import type { Step } from "./world.js";

/** One side of a race: an async flow that calls `step` before each action another flow may overtake. */
export interface Flow<T> {
  name: string;
  run(step: Step): Promise<T>;
}

type Settled<T> = { attempt: Attempt<T> } | { thrown: unknown };

/**
 * Runs flows concurrently, with the interleaving chosen by a fast-check scheduler (so it is generated from the seed,
 * printed in the counterexample, and replayed by the same seed and path).
 *
 * Deterministic on purpose: fc.scheduledModelRun / scheduler.waitFor pick among the tasks scheduled *so far*, and
 * which tasks are scheduled when depends on how fast real work (WebCrypto, SoftHSM, file I/O) completes. Here the
 * scheduler only picks once every flow is parked at a step or finished, so the set it picks from, and hence the
 * run, depends on the seed alone. A flow's step releases it to run up to its next step: whole HTTP requests are
 * atomic, the interleaving is between them.
 */
export async function interleave<A, B>(s: fc.Scheduler, a: Flow<A>, b: Flow<B>): Promise<[Attempt<A>, Attempt<B>]> {
  const flows: Flow<unknown>[] = [a, b];
  const state: ("running" | "parked" | "done")[] = flows.map(() => "running");
  let wake: (() => void) | undefined;
  const changed = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const quiet = () =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (state.includes("running")) wake = check;
        else resolve();
      };
      check();
    });
  const settled: Promise<Settled<unknown>>[] = flows.map((flow, i) => {
    const step: Step = async (label) => {
      state[i] = "parked";
      const released = s.schedule(Promise.resolve(), `${flow.name}: ${label}`, undefined, async (release) => {
        state[i] = "running";
        await release();
      });
      changed();
      await released;
    };
    return attempt(() => flow.run(step)).then(
      (r): Settled<unknown> => {
        state[i] = "done";
        changed();
        return { attempt: r };
      },
      (error: unknown): Settled<unknown> => {
        state[i] = "done";
        changed();
        return { thrown: error };
      },
    );
  });
  for (;;) {
    await quiet();
    if (state.every((x) => x === "done")) break;
    await s.waitOne();
  }
  const out = await Promise.all(settled);
  for (const o of out) if ("thrown" in o) throw o.thrown;
  return out.map((o) => (o as { attempt: Attempt<unknown> }).attempt) as [Attempt<A>, Attempt<B>];
}
