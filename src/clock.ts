/**
 * Time is never read from Date.now() directly (docs/architecture.md): every component takes a Clock,
 * so a fleet's year runs in seconds and tests can stand anywhere on the timeline.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const DAY_MS = 86_400_000;

/**
 * The window a lab clock stays in. Certificates carry their times as UTCTime from 1950 and GeneralizedTime up to
 * 9999-12-31 (RFC 5280 §4.1.2.5); the latest instant leaves a millennium for anything minted then (a CA, a card, a
 * derived credential) to end before GeneralizedTime does. Beyond 8.64e15 ms a Date is Invalid and every
 * toISOString() throws: a clock moved there answered 500 to everything that reads it.
 */
export const EARLIEST_CLOCK = new Date(Date.UTC(1950, 0, 1));
export const LATEST_CLOCK = new Date(Date.UTC(9000, 0, 1));
/** One move forward: two centuries is more than any simulated fleet lives, and far from the window's end. */
export const MAX_CLOCK_ADVANCE_MS = 200 * 365 * DAY_MS;

/**
 * A clock move refused: the clock did not change. `status` is what it means to a client that asked for it over the
 * admin API (a malformed amount: 400; a time the lab cannot stand at: 409).
 */
export class ClockRangeError extends RangeError {
  constructor(
    message: string,
    readonly code: string,
    readonly status: 400 | 409,
  ) {
    super(message);
    this.name = "ClockRangeError";
  }
}

/** Refuses an advance that is not a finite, non-negative amount of at most MAX_CLOCK_ADVANCE_MS (every AdjustableClock). */
export function checkedAdvance(ms: number): number {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) throw new ClockRangeError(`a clock only moves forward (got ${ms} ms)`, "bad-duration", 400);
  if (ms > MAX_CLOCK_ADVANCE_MS)
    throw new ClockRangeError(`a clock moves at most ${MAX_CLOCK_ADVANCE_MS / (365 * DAY_MS)} years at once (got ${ms} ms)`, "bad-duration", 400);
  return ms;
}

/** Refuses an instant outside [EARLIEST_CLOCK, LATEST_CLOCK] (or not a time at all) (every AdjustableClock). */
export function checkedInstant(ms: number): number {
  if (!Number.isFinite(ms)) throw new ClockRangeError("not a time", "bad-time", 400);
  if (ms < EARLIEST_CLOCK.getTime() || ms > LATEST_CLOCK.getTime())
    throw new ClockRangeError(
      `the lab clock stays between ${EARLIEST_CLOCK.toISOString()} and ${LATEST_CLOCK.toISOString()} (asked for ${Number.isNaN(new Date(ms).getTime()) ? `${ms} ms since 1970` : new Date(ms).toISOString()})`,
      "clock-out-of-range",
      409,
    );
  return ms;
}

/** A clock that only moves when told to. */
export class VirtualClock implements Clock {
  #ms: number;

  constructor(start: Date = new Date()) {
    this.#ms = checkedInstant(start.getTime());
  }

  now(): Date {
    return new Date(this.#ms);
  }

  set(at: Date): void {
    this.#ms = checkedInstant(at.getTime());
  }

  advance(ms: number): Date {
    this.#ms = checkedInstant(this.#ms + checkedAdvance(ms));
    return this.now();
  }
}

/** Parses durations such as "365d", "12h", "90m", "30s", "250ms". */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|y)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: "${text.slice(0, 64)}" (use e.g. 365d, 12h, 30m, 10s, 250ms)`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: DAY_MS, y: 365 * DAY_MS }[m[2] as "ms"];
  return Number(m[1]) * unit;
}

/** A clock an operator can move: the admin API sets or advances it. Both refuse a move out of the window (ClockRangeError). */
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
    this.#offsetMs = checkedInstant(at.getTime()) - Date.now();
  }

  advance(ms: number): Date {
    const step = checkedAdvance(ms);
    checkedInstant(this.now().getTime() + step);
    this.#offsetMs += step;
    return this.now();
  }
}
