import { type AdjustableClock, checkedAdvance, checkedInstant } from "../../src/clock.js";
import type { LabStore } from "../../src/store/index.js";
import { CachedSetting } from "./cached-setting.js";

/** The lab clock's offset from real time, as stored. */
interface ClockState {
  offsetMs: number;
}

const CLOCK = "admin/clock";
const KEY = "offset";

/**
 * The served lab's clock: real time plus an offset, as OffsetClock, with the offset in the lab store. A restarted
 * server resumes at the lab time it had reached (renewal windows and expiries stay where the operator moved them),
 * and two servers on one store tell the same time. `now()` is read constantly: the offset is cached and read again at
 * most every SETTING_REFRESH_MS of real time; a move is written through.
 */
export class StoredClock implements AdjustableClock {
  readonly #offset: CachedSetting<ClockState>;

  constructor(store: LabStore) {
    this.#offset = new CachedSetting<ClockState>(store, CLOCK, KEY, { offsetMs: 0 });
  }

  now(): Date {
    return new Date(Date.now() + this.#offset.get().offsetMs);
  }

  set(at: Date): void {
    const target = checkedInstant(at.getTime());
    this.#offset.update(() => ({ offsetMs: target - Date.now() }));
  }

  /** Advances from the stored offset (not the cached one), so two servers' advances add up. */
  advance(ms: number): Date {
    const step = checkedAdvance(ms);
    const { offsetMs } = this.#offset.update((current) => {
      checkedInstant(Date.now() + current.offsetMs + step);
      return { offsetMs: current.offsetMs + step };
    });
    return new Date(Date.now() + offsetMs);
  }
}
