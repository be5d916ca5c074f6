import { describe, expect, it } from "vitest";
import { ApplicantAuthenticator } from "../../emulators/derived/index.js";
import type { CardIssuer } from "../../emulators/piv-ca/index.js";
import { VirtualClock } from "../../src/clock.js";

// Issue 10 §8: anyone may POST …/kiosk/challenge. The open challenges are bounded and expire; the suite asserts the
// bound on an injected clock (the rate at 0 vs 150,000 issued is measured in bench/kiosk-challenges.ts).

const noCardIssuer = {} as CardIssuer; // challenge() never consults the card issuer
const noFetch = (async () => new Response(null, { status: 503 })) as typeof fetch;

describe("kiosk challenges are bounded", () => {
  it("a flood never holds more than the cap; the oldest go first and the newest stay answerable", () => {
    const clock = new VirtualClock(new Date("2026-03-01T00:00:00Z"));
    const auth = new ApplicantAuthenticator({ cardIssuer: noCardIssuer, clock, fetch: noFetch, maxChallenges: 1_000 });
    let max = 0;
    for (let i = 0; i < 5_000; i++) {
      auth.challenge();
      max = Math.max(max, auth.sizes().challenges);
    }
    expect(max).toBe(1_000);
    expect(auth.sizes().maxChallenges).toBe(1_000);
  });

  it("expired challenges are gone: after their TTL (and one more, for the 'expired' answer) nothing is held", () => {
    const clock = new VirtualClock(new Date("2026-03-01T00:00:00Z"));
    const auth = new ApplicantAuthenticator({ cardIssuer: noCardIssuer, clock, fetch: noFetch, challengeTtlMs: 60_000 });
    for (let i = 0; i < 500; i++) auth.challenge();
    expect(auth.sizes().challenges).toBe(500);
    clock.advance(2 * 60_000);
    auth.challenge();
    expect(auth.sizes().challenges).toBe(1);
  });

  it("the default caps: 100,000 open challenges, 50,000 sessions", () => {
    const auth = new ApplicantAuthenticator({ cardIssuer: noCardIssuer, clock: new VirtualClock(), fetch: noFetch });
    expect(auth.sizes()).toMatchObject({ maxChallenges: 100_000, maxSessions: 50_000 });
  });
});
