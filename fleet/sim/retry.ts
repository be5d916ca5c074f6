import type { SeededRandom } from "../../src/random.js";

/** How a simulated client retries, as real ones do (AWS "full jitter" backoff, Retry-After honoured). */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Backoff cap before jitter for attempt 1; doubles per attempt. */
  baseDelayMs: number;
  /** The backoff cap never grows past this (Retry-After is not capped: the server asked for it). */
  maxDelayMs: number;
  /** Virtual time since the first attempt after which the client stops trying. */
  maxElapsedMs: number;
}

/** What the client knows after a failed attempt. */
export interface AttemptFailure {
  /** The attempt that just failed, 1-based. */
  attempt: number;
  /** Virtual ms from the start of the first attempt to now. */
  elapsedMs: number;
  /** HTTP status; absent for a dropped connection or a timeout. */
  status?: number;
  /** The Retry-After header: delta-seconds or an HTTP date. */
  retryAfter?: string | null;
  /** Virtual now in epoch ms, to turn an HTTP-date Retry-After into a delay. */
  nowMs?: number;
  /** Overrides the status-based classification (e.g. a PKCS#11 error the client deems transient). */
  retryable?: boolean;
}

export type RetryDecision =
  | { retry: true; delayMs: number; basis: "retry-after" | "backoff" }
  | { retry: false; reason: "not-retryable" | "max-attempts" | "max-elapsed" };

// Transient by HTTP semantics; any other 4xx is the client's own fault and retrying cannot help.
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export function isRetryable(failure: Pick<AttemptFailure, "status" | "retryable">): boolean {
  if (failure.retryable !== undefined) return failure.retryable;
  return failure.status === undefined || RETRYABLE_STATUS.has(failure.status);
}

/**
 * The delay before the next attempt, or why to give up. Exactly one draw is taken from `random` per call, whichever
 * branch is taken, so a Retry-After on one device does not shift the rest of its stream.
 */
export function nextRetry(policy: RetryPolicy, failure: AttemptFailure, random: SeededRandom): RetryDecision {
  const u = random.next();
  if (!isRetryable(failure)) return { retry: false, reason: "not-retryable" };
  if (failure.attempt >= policy.maxAttempts) return { retry: false, reason: "max-attempts" };

  const asked = failure.retryAfter == null ? undefined : parseRetryAfter(failure.retryAfter, failure.nowMs);
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failure.attempt - 1));
  const delayMs = asked ?? Math.floor(u * cap);
  if (failure.elapsedMs + delayMs > policy.maxElapsedMs) return { retry: false, reason: "max-elapsed" };
  return { retry: true, delayMs, basis: asked === undefined ? "backoff" : "retry-after" };
}

/**
 * Retry-After (RFC 9110 §10.2.3) as a delay in ms: delta-seconds, or an HTTP date relative to `nowMs` (a date in the
 * past means "now"). Undefined when unparseable, or a date without `nowMs`: the caller then falls back to backoff.
 */
export function parseRetryAfter(value: string, nowMs?: number): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  if (nowMs === undefined || !/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
