import { randomBytes } from "node:crypto";
import { ApplicantAuthenticator } from "../emulators/derived/index.js";
import type { CardIssuer } from "../emulators/piv-ca/index.js";
import { VirtualClock } from "../src/clock.js";
import { type Figure, ratePerSecond, round } from "./results.js";

/**
 * Issue 10 §8: `POST /issuers/*\/kiosk/challenge` needs no credential, so a flood decides how many challenges are
 * open. The rate of new challenges when none were issued vs after 150,000 (within their 5-minute TTL), for the
 * bounded store (ApplicantAuthenticator: ExpiringMap, the oldest evicted at 100,000) and for the store as it was
 * before (a Map swept by a full scan on every challenge once it held 100,000), both in this run.
 */
const FLOOD = 150_000;
const WINDOW_MS = 500;

/** The open-challenge store before issue 10 §8, kept as the baseline: past the cap, every challenge scans them all. */
class ScanAtCapChallenges {
  readonly #open = new Map<string, { challenge: Uint8Array; expiresAt: number }>();
  constructor(private readonly clock: VirtualClock) {}
  challenge(): void {
    const now = this.clock.now().getTime();
    if (this.#open.size >= 100_000) for (const [id, c] of this.#open) if (now >= c.expiresAt) this.#open.delete(id);
    this.#open.set(randomBytes(16).toString("base64url"), { challenge: new Uint8Array(randomBytes(32)), expiresAt: now + 5 * 60_000 });
  }
  /** Fills the store as FLOOD earlier challenges would have, without paying for each of their scans. */
  prefill(n: number): void {
    const now = this.clock.now().getTime();
    for (let i = 0; i < n; i++) this.#open.set(randomBytes(16).toString("base64url"), { challenge: new Uint8Array(32), expiresAt: now + 5 * 60_000 });
  }
  get size(): number {
    return this.#open.size;
  }
}

export async function benchKioskChallenges(): Promise<Figure[]> {
  const clock = new VirtualClock(new Date("2026-03-01T00:00:00Z"));
  const bounded = () =>
    new ApplicantAuthenticator({ cardIssuer: {} as CardIssuer, clock, fetch: (async () => new Response(null, { status: 503 })) as typeof fetch });

  // Warm the JIT on throwaway instances first, or the "at 0" windows measure compilation.
  const warmBounded = bounded();
  const warmBefore = new ScanAtCapChallenges(clock);
  for (let i = 0; i < 30_000; i++) {
    warmBounded.challenge();
    warmBefore.challenge();
  }

  const fresh = bounded();
  const boundedAt0 = await ratePerSecond(() => fresh.challenge(), WINDOW_MS);
  const flooded = bounded();
  for (let i = 0; i < FLOOD; i++) flooded.challenge();
  const boundedAtFlood = await ratePerSecond(() => flooded.challenge(), WINDOW_MS);
  const held = flooded.sizes().challenges;

  const before = new ScanAtCapChallenges(clock);
  const beforeAt0 = await ratePerSecond(() => before.challenge(), WINDOW_MS);
  const beforeFlooded = new ScanAtCapChallenges(clock);
  beforeFlooded.prefill(FLOOD);
  const beforeAtFlood = await ratePerSecond(() => beforeFlooded.challenge(), WINDOW_MS);

  return [
    { name: "kiosk_challenges_per_second_at_0", value: round(boundedAt0, 0), unit: "challenge/s" },
    { name: "kiosk_challenges_per_second_after_150k", value: round(boundedAtFlood, 0), unit: "challenge/s" },
    { name: "kiosk_challenges_after_150k_per_at_0_ratio", value: round(boundedAtFlood / boundedAt0, 3), unit: "ratio" },
    { name: "kiosk_challenges_held_after_150k", value: held, unit: "challenges" },
    { name: "kiosk_challenges_scan_at_cap_per_second_at_0", value: round(beforeAt0, 0), unit: "challenge/s" },
    { name: "kiosk_challenges_scan_at_cap_per_second_after_150k", value: round(beforeAtFlood, 0), unit: "challenge/s" },
    { name: "kiosk_challenges_scan_at_cap_after_150k_per_at_0_ratio", value: round(beforeAtFlood / beforeAt0, 4), unit: "ratio" },
    { name: "kiosk_challenges_scan_at_cap_held_after_150k", value: beforeFlooded.size, unit: "challenges" },
  ];
}
