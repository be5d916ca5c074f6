import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { VirtualClock } from "../../src/clock.js";
import { EventQueue, type SimEvent } from "./event-queue.js";

/** When an event is due: an instant (Date or epoch ms), or a delay from the current virtual time. */
export type When = Date | number | { after: number };

export type EventHandler<D = unknown> = (event: SimEvent<D>, sim: Simulation) => void | Promise<void>;

export interface SimulationOptions {
  /** The clock the run moves; pass the same one the emulators read so they share the timeline. */
  clock: VirtualClock;
  /** How many handlers may be in flight for events due at the same virtual instant (default 1). */
  concurrency?: number;
  /** Told of every handler failure; the run carries on regardless (a fleet must not lose devices). */
  onError?: (error: unknown, event: SimEvent) => void;
}

export interface RunOptions {
  /** Events due after this instant stay queued for a later run. */
  until: Date;
  /** Stop after this many events in this run (the clock then stays at the last event's time). */
  maxEvents?: number;
  onProgress?: (virtualNow: Date, processed: number, pending: number) => void;
  /** Report progress (and let the event loop breathe) every this many events; default 10,000. */
  progressEvery?: number;
}

export interface RunResult {
  processed: number;
  pending: number;
  now: Date;
  stoppedBy: "until" | "empty" | "max-events";
}

export interface SimulationStats {
  /** Events dispatched, per kind (failed ones included). */
  processed: Record<string, number>;
  /** Handler failures per kind, including events of a kind nobody handles. */
  errors: Record<string, number>;
  totalProcessed: number;
  totalErrors: number;
  pending: number;
}

/**
 * A discrete-event loop on a virtual clock: events pop in (time, insertion) order, the clock jumps to each one's time
 * and never goes back, so a year of fleet life costs only the handlers' own work.
 */
export class Simulation {
  readonly clock: VirtualClock;
  readonly #queue = new EventQueue();
  readonly #handlers = new Map<string, EventHandler>();
  readonly #processed = new Map<string, number>();
  readonly #errors = new Map<string, number>();
  readonly #concurrency: number;
  readonly #onError: ((error: unknown, event: SimEvent) => void) | undefined;
  #running = false;

  constructor(options: SimulationOptions) {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer (got ${concurrency})`);
    this.clock = options.clock;
    this.#concurrency = concurrency;
    this.#onError = options.onError;
  }

  get pending(): number {
    return this.#queue.size;
  }

  now(): Date {
    return this.clock.now();
  }

  /** One handler per kind: two would make the outcome depend on registration order. */
  on<D = unknown>(kind: string, handler: EventHandler<D>): this {
    if (this.#handlers.has(kind)) throw new Error(`a handler for "${kind}" is already registered`);
    this.#handlers.set(kind, handler as EventHandler);
    return this;
  }

  /** Queues an event; the past is refused because the clock cannot go back to it. */
  schedule<D = unknown>(when: When, event: { kind: string; subject: number; data?: D }): SimEvent<D> {
    const nowMs = this.clock.now().getTime();
    const at = when instanceof Date ? when.getTime() : typeof when === "number" ? when : nowMs + when.after;
    if (!Number.isFinite(at)) throw new RangeError(`cannot schedule "${event.kind}" at a non-finite time`);
    if (at < nowMs) throw new RangeError(`cannot schedule "${event.kind}" in the past (${new Date(at).toISOString()} < ${new Date(nowMs).toISOString()})`);
    const queued: SimEvent<D> =
      event.data === undefined ? { at, kind: event.kind, subject: event.subject } : { at, kind: event.kind, subject: event.subject, data: event.data };
    this.#queue.push(queued);
    return queued;
  }

  async run(options: RunOptions): Promise<RunResult> {
    if (this.#running) throw new Error("this simulation is already running");
    this.#running = true;
    try {
      return await this.#run(options);
    } finally {
      this.#running = false;
    }
  }

  stats(): SimulationStats {
    const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    return {
      processed: Object.fromEntries(this.#processed),
      errors: Object.fromEntries(this.#errors),
      totalProcessed: sum(this.#processed),
      totalErrors: sum(this.#errors),
      pending: this.#queue.size,
    };
  }

  async #run(options: RunOptions): Promise<RunResult> {
    const untilMs = options.until.getTime();
    const maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
    const every = options.progressEvery ?? 10_000;
    const queue = this.#queue;
    let processed = 0;
    let nextProgress = every;
    let stoppedBy: RunResult["stoppedBy"];

    const progress = async () => {
      if (processed < nextProgress) return;
      nextProgress = processed + every;
      options.onProgress?.(this.clock.now(), processed, queue.size);
      // A long synchronous stretch would starve timers, worker messages and a terminal progress bar.
      await yieldToEventLoop();
    };

    for (;;) {
      const t = queue.peekTime();
      if (t === undefined) {
        stoppedBy = "empty";
        break;
      }
      if (t > untilMs) {
        stoppedBy = "until";
        break;
      }
      if (processed >= maxEvents) {
        stoppedBy = "max-events";
        break;
      }
      if (t > this.clock.now().getTime()) this.clock.set(new Date(t));

      if (this.#concurrency === 1) {
        const pending = this.#dispatch(queue.pop()!);
        processed++;
        if (pending) await pending;
      } else {
        // Lanes drain the events due at instant t; each starts only if work remains, so sync handlers cost one lane.
        const lane = async () => {
          while (processed < maxEvents && queue.peekTime() === t) {
            const pending = this.#dispatch(queue.pop()!);
            processed++;
            if (pending) await pending;
          }
        };
        const lanes: Promise<void>[] = [];
        for (let i = 0; i < this.#concurrency && processed < maxEvents && queue.peekTime() === t; i++) lanes.push(lane());
        await Promise.all(lanes);
      }
      await progress();
    }

    // The run covered virtual time up to `until`, even where nothing happened.
    if (stoppedBy !== "max-events" && untilMs > this.clock.now().getTime()) this.clock.set(new Date(untilMs));
    options.onProgress?.(this.clock.now(), processed, queue.size);
    return { processed, pending: queue.size, now: this.clock.now(), stoppedBy };
  }

  /** Runs a handler; returns a promise only for async handlers so sync ones cost no microtask. */
  #dispatch(event: SimEvent): Promise<void> | undefined {
    this.#processed.set(event.kind, (this.#processed.get(event.kind) ?? 0) + 1);
    const handler = this.#handlers.get(event.kind);
    if (handler === undefined) {
      this.#fail(event, new Error(`no handler for event kind "${event.kind}" (subject ${event.subject})`));
      return undefined;
    }
    try {
      const result = handler(event, this);
      if (result && typeof (result as Promise<void>).then === "function")
        return (result as Promise<void>).then(undefined, (error: unknown) => this.#fail(event, error));
    } catch (error) {
      this.#fail(event, error);
    }
    return undefined;
  }

  #fail(event: SimEvent, error: unknown): void {
    this.#errors.set(event.kind, (this.#errors.get(event.kind) ?? 0) + 1);
    try {
      this.#onError?.(error, event);
    } catch {
      // A broken reporter must not stop the fleet; the failure is already counted.
    }
  }
}
