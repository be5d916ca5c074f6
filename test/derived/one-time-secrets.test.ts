import { describe, expect, it } from "vitest";
import { OneTimeSecrets, TooManyAttemptsError } from "../../emulators/derived/index.js";
import { VirtualClock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";

// One-time secrets of the enrolment workflows (docs/intune.md §2: Purebred OTPs, Entrust QR + numeric password,
// Intercede QR): single use, clock-based expiry, and a guessing limit per attempt key that holds across secrets.

const MIN = 60_000;

function refusal(fn: () => unknown): DpclabError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DpclabError);
    return e as DpclabError;
  }
  throw new Error("expected a refusal");
}

describe("OneTimeSecrets", () => {
  it("issues secrets of the right shape: 8-digit OTPs and passwords, 16-byte base64url QR session ids", () => {
    const secrets = new OneTimeSecrets<string>({ clock: new VirtualClock() });
    expect(secrets.issue("otp", "a").secret).toMatch(/^\d{8}$/);
    expect(secrets.issue("password", "b").secret).toMatch(/^\d{8}$/);
    expect(secrets.issue("qr-session", "c").secret).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const many = new Set(Array.from({ length: 500 }, () => secrets.issue("otp", "x").secret));
    expect(many.size).toBe(500);
  });

  it("redeems once: the payload, then secret-used (409)", () => {
    const secrets = new OneTimeSecrets<{ card: number }>({ clock: new VirtualClock() });
    const { secret } = secrets.issue("otp", { card: 7 });
    expect(secrets.redeem("otp", secret, { attemptKey: "kiosk-1" })).toEqual({ card: 7 });
    const e = refusal(() => secrets.redeem("otp", secret, { attemptKey: "kiosk-1" }));
    expect([e.code, e.status]).toEqual(["secret-used", 409]);
  });

  it("expires on the clock: secret-expired (410) one millisecond after its TTL, fine just before", () => {
    const clock = new VirtualClock(new Date("2026-03-01T00:00:00Z"));
    const secrets = new OneTimeSecrets<number>({ clock });
    const a = secrets.issue("password", 1, { ttlMs: 10 * MIN });
    const b = secrets.issue("password", 2, { ttlMs: 10 * MIN });
    expect(a.expiresAt.toISOString()).toBe("2026-03-01T00:10:00.000Z");
    clock.advance(10 * MIN - 1);
    expect(secrets.redeem("password", a.secret, { attemptKey: "p" })).toBe(1);
    clock.advance(1);
    const e = refusal(() => secrets.redeem("password", b.secret, { attemptKey: "p" }));
    expect([e.code, e.status]).toEqual(["secret-expired", 410]);
  });

  it("unknown (404), wrong kind (404) and malformed (400) secrets", () => {
    const secrets = new OneTimeSecrets({ clock: new VirtualClock() });
    const { secret } = secrets.issue("otp", null);
    expect(refusal(() => secrets.redeem("password", secret, { attemptKey: "a" })).code).toBe("secret-unknown");
    const unknown = refusal(() => secrets.redeem("otp", secret === "00000000" ? "11111111" : "00000000", { attemptKey: "a" }));
    expect([unknown.code, unknown.status]).toEqual(["secret-unknown", 404]);
    for (const bad of ["", "12ab5678", "x".repeat(500), 12345678 as unknown as string, undefined as unknown as string]) {
      expect(refusal(() => secrets.redeem("otp", bad, { attemptKey: "b" })).status).toBe(400);
    }
    expect(refusal(() => secrets.redeem("otp", secret, { attemptKey: "" })).code).toBe("bad-attempt-key");
    expect(refusal(() => secrets.redeem("nope" as "otp", secret, { attemptKey: "a" })).code).toBe("bad-secret-kind");
    // the real one still works for its kind
    expect(secrets.redeem("otp", secret, { attemptKey: "c" })).toBeNull();
  });

  it("locks an attempt key after 5 wrong guesses across different secrets, for 15 minutes of clock time (429 + retryAfterSeconds)", () => {
    const clock = new VirtualClock(new Date("2026-03-01T00:00:00Z"));
    const secrets = new OneTimeSecrets<string>({ clock });
    const victim = secrets.issue("otp", "victim", { ttlMs: 60 * MIN });
    const guesses = ["10000000", "20000000", "30000000", "40000000", "50000000", "60000000"].filter((g) => g !== victim.secret);
    for (const guess of guesses.slice(0, 4)) expect(refusal(() => secrets.redeem("otp", guess, { attemptKey: "attacker" })).code).toBe("secret-unknown");
    // a replay of someone else's spent secret is refused but is no guess: it does not count (issue 10 §7)
    const spent = secrets.issue("otp", "spent");
    secrets.redeem("otp", spent.secret, { attemptKey: "someone" });
    expect(refusal(() => secrets.redeem("otp", spent.secret, { attemptKey: "attacker" })).code).toBe("secret-used");
    expect(secrets.lockedFor("attacker")).toBe(0);
    // the fifth unknown guess locks
    expect(refusal(() => secrets.redeem("otp", guesses[4] as string, { attemptKey: "attacker" })).code).toBe("secret-unknown");
    // now locked — even the right secret is refused, so the guessing cannot go on
    const locked = refusal(() => secrets.redeem("otp", victim.secret, { attemptKey: "attacker" }));
    expect(locked).toBeInstanceOf(TooManyAttemptsError);
    expect([locked.code, locked.status, (locked as TooManyAttemptsError).retryAfterSeconds]).toEqual(["too-many-attempts", 429, 900]);
    // other clients are not affected
    const other = secrets.issue("qr-session", "other");
    expect(secrets.redeem("qr-session", other.secret, { attemptKey: "honest" })).toBe("other");
    clock.advance(14 * MIN);
    expect((refusal(() => secrets.redeem("otp", victim.secret, { attemptKey: "attacker" })) as TooManyAttemptsError).retryAfterSeconds).toBe(60);
    expect(secrets.lockedFor("attacker")).toBe(60);
    clock.advance(MIN);
    expect(secrets.lockedFor("attacker")).toBe(0);
    expect(secrets.redeem("otp", victim.secret, { attemptKey: "attacker" })).toBe("victim");
  });

  it("wrong guesses spread out over more than 15 minutes do not lock", () => {
    const clock = new VirtualClock(new Date("2026-03-01T00:00:00Z"));
    const secrets = new OneTimeSecrets({ clock, maxFailures: 3 });
    for (let i = 0; i < 6; i++) {
      expect(refusal(() => secrets.redeem("otp", `9${String(i).padStart(7, "0")}`, { attemptKey: "slow" })).code).toBe("secret-unknown");
      clock.advance(8 * MIN);
    }
  });

  it("revoke withdraws a live secret", () => {
    const secrets = new OneTimeSecrets({ clock: new VirtualClock() });
    const { secret } = secrets.issue("qr-session", 1);
    expect(secrets.revoke("qr-session", secret)).toBe(true);
    expect(secrets.revoke("qr-session", secret)).toBe(false);
    expect(refusal(() => secrets.redeem("qr-session", secret, { attemptKey: "k" })).code).toBe("secret-used");
  });

  it("replays of a spent or expired secret never lock the holder's key (issue 10 §7); guessing still does", () => {
    const clock = new VirtualClock(new Date("2026-03-01T00:00:00Z"));
    const secrets = new OneTimeSecrets<string>({ clock });
    const key = { attemptKey: "purebred-registration:r1" };
    const otp1 = secrets.issue("otp", "otp-1", { scope: "r1:1" });
    const otp2 = secrets.issue("otp", "otp-2", { scope: "r1:2" });
    expect(secrets.redeem("otp", otp1.secret, { ...key, scope: "r1:1" })).toBe("otp-1");
    for (let i = 0; i < 20; i++) {
      const e = refusal(() => secrets.redeem("otp", otp1.secret, { ...key, scope: "r1:1" }));
      expect([e.code, e.status]).toEqual(["secret-used", 409]);
    }
    const stale = secrets.issue("password", "stale", { ttlMs: MIN, scope: "r1:x" });
    clock.advance(MIN);
    for (let i = 0; i < 20; i++) expect(refusal(() => secrets.redeem("password", stale.secret, { ...key, scope: "r1:x" })).code).toBe("secret-expired");
    expect(secrets.lockedFor(key.attemptKey)).toBe(0);
    // the real user redeems OTP-2
    expect(secrets.redeem("otp", otp2.secret, { ...key, scope: "r1:2" })).toBe("otp-2");
    // brute force stays limited: 5 unknown guesses lock the key, and a locked key is refused even a real secret
    const otp3 = secrets.issue("otp", "otp-3", { scope: "r1:3" });
    let guess = 0;
    for (let i = 0; i < 5; i++) {
      let g: string;
      do g = String(guess++).padStart(8, "0");
      while (g === otp3.secret);
      expect(refusal(() => secrets.redeem("otp", g, { ...key, scope: "r1:3" })).code).toBe("secret-unknown");
    }
    expect(refusal(() => secrets.redeem("otp", otp3.secret, { ...key, scope: "r1:3" })).code).toBe("too-many-attempts");
  });

  it("a scoped secret is found only in its scope: a guess elsewhere neither spends nor reveals it", () => {
    const secrets = new OneTimeSecrets<string>({ clock: new VirtualClock() });
    const a = secrets.issue("otp", "a", { scope: "reg-a:1" });
    const e = refusal(() => secrets.redeem("otp", a.secret, { attemptKey: "reg-b", scope: "reg-b:1" }));
    expect([e.code, e.status]).toEqual(["secret-unknown", 404]);
    expect(refusal(() => secrets.redeem("otp", a.secret, { attemptKey: "reg-a" })).code).toBe("secret-unknown"); // unscoped neither
    expect(secrets.redeem("otp", a.secret, { attemptKey: "reg-a", scope: "reg-a:1" })).toBe("a");
    expect(secrets.revoke("otp", a.secret, { scope: "reg-a:1" })).toBe(false);
  });

  it("is bounded (issue 10 §8): never more than maxSecrets per kind, nor maxAttemptKeys; expired ones are gone", () => {
    const clock = new VirtualClock(new Date("2026-03-01T00:00:00Z"));
    const secrets = new OneTimeSecrets<number>({ clock, maxSecrets: 100, maxAttemptKeys: 50 });
    const issued = Array.from({ length: 250 }, (_, i) => secrets.issue("qr-session", i, { ttlMs: MIN }));
    expect(secrets.sizes().secrets["qr-session"]).toBe(100);
    // the oldest were evicted (unknown now), the newest are live
    expect(refusal(() => secrets.redeem("qr-session", (issued[0] as { secret: string }).secret, { attemptKey: "x0" })).code).toBe("secret-unknown");
    expect(secrets.redeem("qr-session", (issued[249] as { secret: string }).secret, { attemptKey: "x1" })).toBe(249);
    for (let i = 0; i < 120; i++) refusal(() => secrets.redeem("otp", "12345678", { attemptKey: `guesser-${i}` }));
    expect(secrets.sizes().attemptKeys).toBe(50);
    // past TTL + tombstone (24 h) every secret is gone, and attempt counters past their window too
    clock.advance(25 * 3_600_000);
    secrets.issue("qr-session", -1);
    refusal(() => secrets.redeem("otp", "12345678", { attemptKey: "late" }));
    expect(secrets.sizes().secrets["qr-session"]).toBe(1);
    expect(secrets.sizes().attemptKeys).toBe(1);
  });
});
