/**
 * Time is never read from Date.now() directly (DESIGN.md): every component takes a Clock,
 * so a fleet's year runs in seconds and tests can stand anywhere on the timeline.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to. */
export class VirtualClock implements Clock {
  #ms: number;

  constructor(start: Date = new Date()) {
    this.#ms = start.getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  set(at: Date): void {
    this.#ms = at.getTime();
  }

  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`a clock only moves forward (got ${ms} ms)`);
    this.#ms += ms;
    return this.now();
  }
}

export const DAY_MS = 86_400_000;

/** Parses durations such as "365d", "12h", "90m", "30s", "250ms". */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|y)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: "${text}" (use e.g. 365d, 12h, 30m, 10s, 250ms)`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: DAY_MS, y: 365 * DAY_MS }[m[2] as "ms"];
  return Number(m[1]) * unit;
}

/** A clock an operator can move: the admin API sets or advances it. */
export interface AdjustableClock extends Clock {
  set(at: Date): void;
  advance(ms: number): Date;
}

/**
 * Real time plus an offset: a served lab keeps flowing like a wall clock, yet `/__admin/clock` can jump it to the
 * renewal window or past expiry without waiting.
 */
export class OffsetClock implements AdjustableClock {
  #offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.#offsetMs);
  }

  set(at: Date): void {
    this.#offsetMs = at.getTime() - Date.now();
  }

  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`a clock only moves forward (got ${ms} ms)`);
    this.#offsetMs += ms;
    return this.now();
  }
}
