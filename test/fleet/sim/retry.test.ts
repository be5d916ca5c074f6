import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AttemptFailure, nextRetry, parseRetryAfter, type RetryPolicy } from "../../../fleet/sim/index.js";
import { SeededRandom } from "../../../src/random.js";
import { params } from "./seed.js";

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 10_000, maxElapsedMs: 600_000 };
const NOW = Date.parse("2026-05-01T12:00:00Z");

describe("nextRetry", () => {
  it("honours Retry-After in delta-seconds and as an HTTP date", () => {
    const r = new SeededRandom("ra");
    expect(nextRetry(policy, { attempt: 1, elapsedMs: 0, status: 429, retryAfter: "120" }, r)).toEqual({ retry: true, delayMs: 120_000, basis: "retry-after" });
    const date = new Date(NOW + 30_000).toUTCString();
    expect(nextRetry(policy, { attempt: 2, elapsedMs: 1_000, status: 503, retryAfter: date, nowMs: NOW }, r)).toEqual({
      retry: true,
      delayMs: 30_000,
      basis: "retry-after",
    });
    // A date already past means "now".
    expect(nextRetry(policy, { attempt: 2, elapsedMs: 1_000, status: 503, retryAfter: new Date(NOW - 5_000).toUTCString(), nowMs: NOW }, r)).toEqual({
      retry: true,
      delayMs: 0,
      basis: "retry-after",
    });
    // Unreadable, or a date without a clock to compare with: fall back to backoff.
    expect(nextRetry(policy, { attempt: 1, elapsedMs: 0, status: 503, retryAfter: "soon" }, r)).toMatchObject({ retry: true, basis: "backoff" });
    expect(nextRetry(policy, { attempt: 1, elapsedMs: 0, status: 503, retryAfter: date }, r)).toMatchObject({ retry: true, basis: "backoff" });
  });

  it("gives up after max attempts, counting the first", () => {
    const r = new SeededRandom("max");
    let attempts = 0;
    let elapsed = 0;
    for (;;) {
      attempts++;
      const d = nextRetry(policy, { attempt: attempts, elapsedMs: elapsed, status: 503 }, r);
      if (!d.retry) {
        expect(d.reason).toBe("max-attempts");
        break;
      }
      elapsed += d.delayMs;
    }
    expect(attempts).toBe(policy.maxAttempts);
  });

  it("gives up when the next wait would pass the max elapsed time, even if the server asked for it", () => {
    const r = new SeededRandom("el");
    expect(nextRetry(policy, { attempt: 1, elapsedMs: 590_000, status: 429, retryAfter: "60" }, r)).toEqual({ retry: false, reason: "max-elapsed" });
  });

  it("retries transient failures only", () => {
    const r = new SeededRandom("cls");
    const f = (x: Partial<AttemptFailure>) => nextRetry(policy, { attempt: 1, elapsedMs: 0, ...x }, r);
    for (const status of [400, 401, 403, 404, 409, 422]) expect(f({ status })).toEqual({ retry: false, reason: "not-retryable" });
    for (const status of [408, 429, 500, 502, 503, 504]) expect(f({ status }).retry).toBe(true);
    expect(f({}).retry).toBe(true); // dropped connection: no status
    expect(f({ status: 400, retryable: true }).retry).toBe(true);
    expect(f({ status: 503, retryable: false })).toEqual({ retry: false, reason: "not-retryable" });
  });

  it("backs off with full jitter under a doubling cap, reproducibly, one draw per call", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 4 }), fc.option(fc.constantFrom("3", "garbage"), { nil: undefined }), (seed, attempt, retryAfter) => {
        const failure = { attempt, elapsedMs: 0, status: 503, retryAfter };
        const a = new SeededRandom(seed);
        const b = new SeededRandom(seed);
        const d = nextRetry(policy, failure, a);
        expect(nextRetry(policy, failure, b)).toEqual(d);
        expect(d.retry).toBe(true);
        if (d.retry && d.basis === "backoff") {
          expect(d.delayMs).toBeGreaterThanOrEqual(0);
          expect(d.delayMs).toBeLessThan(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
        }
        // Whatever the branch, the stream advanced by exactly one draw.
        const c = new SeededRandom(seed);
        c.next();
        expect(a.next()).toBe(c.next());
      }),
      params(200),
    );
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds and IMF dates, and nothing else", () => {
    expect(parseRetryAfter(" 0 ")).toBe(0);
    expect(parseRetryAfter("5")).toBe(5_000);
    expect(parseRetryAfter("-5")).toBeUndefined();
    expect(parseRetryAfter("1.5")).toBeUndefined();
    expect(parseRetryAfter("Fri, 01 May 2026 12:00:10 GMT", NOW)).toBe(10_000);
    expect(parseRetryAfter("not a date", NOW)).toBeUndefined();
  });
});
