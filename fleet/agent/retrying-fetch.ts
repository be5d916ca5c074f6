import type { AdjustableClock } from "../../src/clock.js";
import type { SeededRandom } from "../../src/random.js";
import { isRetryable, nextRetry, type RetryPolicy } from "../sim/index.js";

/** Request-level retry of a simulated phone: generous, because every attempt is cheap in virtual time. */
export const AGENT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 500, maxDelayMs: 30_000, maxElapsedMs: 15 * 60_000 };

export interface RetryNotice {
  /** "http-429", "http-503", "dropped", … */
  reason: string;
  attempt: number;
  delayMs: number;
  basis: "retry-after" | "backoff";
}

export interface RetryingFetchOptions {
  clock: AdjustableClock;
  /** The device's own stream: one draw per failed attempt (nextRetry's contract). */
  random: SeededRandom;
  policy?: RetryPolicy;
  onRetry?: (notice: RetryNotice) => void;
}

/**
 * A phone's HTTP stack that retries as real clients do: 429/503 (and other transient statuses) and dropped connections
 * are retried after Retry-After or a jittered backoff, per `nextRetry`. The wait is *virtual*: the clock is advanced by
 * the delay, so the server sees the retry that much later on the shared timeline (the fleet runs one handler at a
 * time, so this is one consistent timeline; other devices' events due in between simply run after it).
 * When retrying gives up, the last answer is returned (or the last error thrown) for the client to report.
 */
export function retryingFetch(inner: typeof fetch, opts: RetryingFetchOptions): typeof fetch {
  const policy = opts.policy ?? AGENT_RETRY_POLICY;
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const template = input instanceof Request ? input.clone() : undefined;
    const started = opts.clock.now().getTime();
    for (let attempt = 1; ; attempt++) {
      const request = template ? template.clone() : input;
      let response: Response | undefined;
      let error: unknown;
      try {
        response = await inner(request, init);
      } catch (e) {
        error = e;
      }
      if (response && !isRetryable({ status: response.status })) return response;
      if (response === undefined && !(error instanceof TypeError)) throw error; // a bug, not the network
      const nowMs = opts.clock.now().getTime();
      const decision = nextRetry(
        policy,
        { attempt, elapsedMs: nowMs - started, status: response?.status, retryAfter: response?.headers.get("retry-after"), nowMs },
        opts.random,
      );
      if (!decision.retry) {
        if (response) return response;
        throw error;
      }
      await response?.body?.cancel();
      opts.onRetry?.({ reason: response ? `http-${response.status}` : "dropped", attempt, delayMs: decision.delayMs, basis: decision.basis });
      opts.clock.advance(decision.delayMs);
    }
  }) as typeof fetch;
}
