import { describe, expect, it } from "vitest";
import { OneTimeSecrets, TooManyAttemptsError } from "../../emulators/derived/index.js";
import { VirtualClock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";

// One-time secrets of the enrolment workflows (intune.md §2: Purebred OTPs, Entrust QR + numeric password,
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
    const guesses = ["10000000", "20000000", "30000000", "40000000", "50000000"].filter((g) => g !== victim.secret);
    for (const guess of guesses.slice(0, 4)) expect(refusal(() => secrets.redeem("otp", guess, { attemptKey: "attacker" })).code).toBe("secret-unknown");
    // the fifth failure is a replay of someone else's spent secret: it counts too
    const spent = secrets.issue("otp", "spent");
    secrets.redeem("otp", spent.secret, { attemptKey: "someone" });
    expect(refusal(() => secrets.redeem("otp", spent.secret, { attemptKey: "attacker" })).code).toBe("secret-used");
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
});
