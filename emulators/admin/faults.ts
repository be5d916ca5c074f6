import { DpclabError } from "../../src/errors.js";
import { SeededRandom } from "../../src/random.js";
import { type LabStore, MemoryStore } from "../../src/store/index.js";
import { DroppedConnection, type FetchHandler, problem } from "../shared/index.js";
import { CachedSetting } from "./cached-setting.js";

/**
 * Fault knobs, as rates (Pebble style): each request to a wrapped emulator draws from a seeded source, so a fault
 * schedule replays from its seed. Clients must cope as real ones do: back off, honour Retry-After, retry.
 */
export interface FaultKnobs {
  /** Share of requests answered 429 Too Many Requests with Retry-After. */
  rate429: number;
  /** Share of requests answered 503 Service Unavailable with Retry-After. */
  rate503: number;
  /** Share of requests whose connection is dropped without an answer. */
  dropRate: number;
  /** Share of requests delayed by `slowMs` of real time. */
  slowRate: number;
  slowMs: number;
  /** Retry-After seconds on 429/503. */
  retryAfterSeconds: number;
  seed: string;
}

export const NO_FAULTS: FaultKnobs = { rate429: 0, rate503: 0, dropRate: 0, slowRate: 0, slowMs: 0, retryAfterSeconds: 1, seed: "faults" };

const KNOB_NAMES: ReadonlySet<string> = new Set(Object.keys(NO_FAULTS));
/** Bound of slowMs (a minute of delay) and retryAfterSeconds (as before: past that, no client waits). */
const MAX_KNOB = 60_000;
const MAX_SEED_CHARS = 256;
const MAX_CLIENT_STREAMS = 100_000;

/** A value from outside, shown in an error without walking it (it may be deep or huge). */
function describe(v: unknown): string {
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  if (typeof v === "string") return JSON.stringify(v.slice(0, 32));
  return Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : typeof v;
}

/**
 * A client that names itself here gets its own fault stream: what happens to its requests then depends only on the
 * seed and its own request sequence, not on other clients' traffic — so a fleet split over worker threads (each with
 * its own stack) meets the same faults as on one thread. Requests without it share one stream.
 */
export const FAULT_CLIENT_HEADER = "x-dpclab-client";

export interface FaultInjectorOptions {
  /** The lab store the knobs live in (default: a private one in memory). */
  store?: LabStore;
}

const FAULTS = "admin/faults";
const KEY = "knobs";

/**
 * The fault knobs are lab state (in the store: a restarted server keeps injecting what the operator set, and two
 * servers on one store inject alike); the random streams and the `injected` counts are this process's own.
 */
export class FaultInjector {
  readonly #knobs: CachedSetting<FaultKnobs>;
  /** The seed the streams below were made from: a new seed, set here or by another server, starts them afresh. */
  #streamSeed = NO_FAULTS.seed;
  #random = new SeededRandom(NO_FAULTS.seed);
  readonly #clientRandom = new Map<string, SeededRandom>();
  /** How many of each fault this process injected, for reports. */
  readonly injected = { "429": 0, "503": 0, drop: 0, slow: 0 };

  constructor(options: FaultInjectorOptions = {}) {
    this.#knobs = new CachedSetting<FaultKnobs>(options.store ?? new MemoryStore(), FAULTS, KEY, NO_FAULTS);
  }

  get knobs(): FaultKnobs {
    return { ...this.#knobs.get() };
  }

  /**
   * Replaces the knobs after checking every value, in one transaction; bad input changes nothing. Only the knobs' own
   * names are taken: a key such as "toString" or "__proto__" is unknown, not something every object has.
   */
  set(update: Partial<FaultKnobs> | Record<string, unknown>): FaultKnobs {
    const unknown = Object.keys(update).filter((k) => !KNOB_NAMES.has(k));
    if (unknown.length)
      throw new DpclabError(
        `unknown fault knob(s): ${unknown
          .slice(0, 10)
          .map((k) => JSON.stringify(k.slice(0, 64)))
          .join(", ")} (known: ${[...KNOB_NAMES].join(", ")})`,
        "bad-fault-knob",
      );
    return { ...this.#knobs.update((current) => checkedKnobs(current, update)) };
  }

  /** Wraps an emulator handler with the current knobs. */
  wrap(handler: FetchHandler): FetchHandler {
    return async (request) => {
      const k = this.#knobs.get();
      if (k.rate429 + k.rate503 + k.dropRate + k.slowRate > 0) {
        const random = this.#streamOf(request, k.seed);
        const draw = random.next();
        const retryAfter = { "retry-after": String(k.retryAfterSeconds) };
        if (draw < k.rate429) {
          this.injected["429"]++;
          return problem(429, "injected fault: too many requests", { code: "fault-429" }, retryAfter);
        }
        if (draw < k.rate429 + k.rate503) {
          this.injected["503"]++;
          return problem(503, "injected fault: service unavailable", { code: "fault-503" }, retryAfter);
        }
        if (draw < k.rate429 + k.rate503 + k.dropRate) {
          this.injected.drop++;
          throw new DroppedConnection();
        }
        if (random.next() < k.slowRate && k.slowMs > 0) {
          this.injected.slow++;
          await new Promise((r) => setTimeout(r, k.slowMs));
        }
      }
      return handler(request);
    };
  }

  #streamOf(request: Request, seed: string): SeededRandom {
    if (seed !== this.#streamSeed) {
      this.#random = new SeededRandom(seed);
      this.#clientRandom.clear();
      this.#streamSeed = seed;
    }
    const client = request.headers.get(FAULT_CLIENT_HEADER);
    if (client === null || client.length === 0 || client.length > 64) return this.#random;
    let random = this.#clientRandom.get(client);
    if (!random) {
      // The header is the client's say-so: past a fleet's worth of streams, newcomers share one (memory stays bounded).
      if (this.#clientRandom.size >= MAX_CLIENT_STREAMS) return this.#random;
      random = new SeededRandom(`${seed}/client/${client}`);
      this.#clientRandom.set(client, random);
    }
    return random;
  }
}

/** The knobs after `update`, every value checked (a DpclabError naming the first bad one). */
function checkedKnobs(current: FaultKnobs, update: Record<string, unknown>): FaultKnobs {
  const next: FaultKnobs = { ...current };
  for (const key of KNOB_NAMES) if (Object.hasOwn(update, key)) (next as unknown as Record<string, unknown>)[key] = update[key];
  for (const key of ["rate429", "rate503", "dropRate", "slowRate"] as const) {
    const v = next[key];
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new DpclabError(`${key} must be a rate between 0 and 1 (got ${describe(v)})`, "bad-fault-knob");
  }
  if (next.rate429 + next.rate503 + next.dropRate > 1) throw new DpclabError("rate429 + rate503 + dropRate must not exceed 1", "bad-fault-knob");
  for (const key of ["slowMs", "retryAfterSeconds"] as const) {
    const v = next[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > MAX_KNOB)
      throw new DpclabError(`${key} must be a whole number from 0 to ${MAX_KNOB} (got ${describe(v)})`, "bad-fault-knob");
  }
  if (typeof next.seed !== "string" || next.seed.length === 0 || next.seed.length > MAX_SEED_CHARS)
    throw new DpclabError(`seed must be a string of 1 to ${MAX_SEED_CHARS} characters`, "bad-fault-knob");
  return next;
}
