import { randomBytes, randomInt } from "node:crypto";
import type { Clock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";

/**
 * One-time secrets of the issuers' enrolment workflows (intune.md §2): Purebred's time-limited one-time passcodes,
 * Entrust's QR session + numeric password, Intercede's QR session. Each is redeemable once, before it expires;
 * wrong guesses are rate-limited per attempt key (a client, a session, a device) across all secrets, so guessing one
 * secret after another does not get around the limit.
 *
 * Failures (DpclabError code → HTTP status):
 * - "bad-secret" 400: not a string of the kind's shape (does not count as a guess);
 * - "secret-unknown" 404: no such live secret of that kind (counts as a wrong guess);
 * - "secret-used" 409: redeemed before (counts as a wrong guess);
 * - "secret-expired" 410: past its TTL (counts as a wrong guess);
 * - "too-many-attempts" 429: the attempt key is locked; `retryAfterSeconds` says for how long.
 */
export type SecretKind = "otp" | "qr-session" | "password";

export interface OneTimeSecretsOptions {
  clock: Clock;
  /** Wrong guesses allowed per attempt key within `lockoutMs` before it is locked; default 5. */
  maxFailures?: number;
  /** How long a locked attempt key stays locked, and the window failures are counted in; default 15 minutes. */
  lockoutMs?: number;
  /** Digits of numeric secrets (OTP, Entrust password); default 8. */
  digits?: number;
  /**
   * DEFECT reusable-otp (defects.ts) — breaks DC-LNK-01: a redeemed secret stays redeemable (expiry still holds).
   * Default false: single use, as every issuer's workflow requires.
   */
  reusable?: boolean;
}

export interface IssuedSecret {
  kind: SecretKind;
  secret: string;
  expiresAt: Date;
}

/** Default lifetimes (the docs give none apart from "time-limited", intune.md §2). */
export const DEFAULT_SECRET_TTL_MS: Record<SecretKind, number> = {
  otp: 30 * 60_000,
  "qr-session": 10 * 60_000,
  password: 10 * 60_000,
};

export class TooManyAttemptsError extends DpclabError {
  constructor(readonly retryAfterSeconds: number) {
    super(`too many wrong secrets from this client: try again in ${retryAfterSeconds} s`, "too-many-attempts", 429);
  }
}

interface Entry<P> {
  kind: SecretKind;
  payload: P;
  expiresAt: number;
  usedAt?: number;
}

interface Attempts {
  failures: number;
  windowStart: number;
  lockedUntil?: number;
}

const SHAPE: Record<SecretKind, RegExp> = {
  otp: /^\d{4,12}$/,
  password: /^\d{4,12}$/,
  "qr-session": /^[A-Za-z0-9_-]{16,64}$/,
};
const KINDS = Object.keys(SHAPE) as SecretKind[];
/** Used and expired entries are kept this long after expiry, to answer "used"/"expired" instead of "unknown". */
const TOMBSTONE_MS = 24 * 3_600_000;

export class OneTimeSecrets<P = unknown> {
  readonly #clock: Clock;
  readonly #maxFailures: number;
  readonly #lockoutMs: number;
  readonly #digits: number;
  readonly #reusable: boolean;
  readonly #secrets = new Map<string, Entry<P>>();
  readonly #attempts = new Map<string, Attempts>();
  #lastSweep = 0;

  constructor(opts: OneTimeSecretsOptions) {
    this.#clock = opts.clock;
    this.#maxFailures = opts.maxFailures ?? 5;
    this.#lockoutMs = opts.lockoutMs ?? 15 * 60_000;
    this.#digits = opts.digits ?? 8;
    this.#reusable = opts.reusable === true;
    if (!Number.isInteger(this.#digits) || this.#digits < 6 || this.#digits > 12) throw new RangeError("numeric secrets have 6..12 digits");
  }

  /** Issues a fresh secret of `kind` carrying `payload`, valid for `ttlMs` of clock time. */
  issue(kind: SecretKind, payload: P, opts: { ttlMs?: number } = {}): IssuedSecret {
    assertKind(kind);
    const ttl = opts.ttlMs ?? DEFAULT_SECRET_TTL_MS[kind];
    if (!Number.isFinite(ttl) || ttl <= 0) throw new DpclabError(`a secret's TTL must be positive, got ${ttl}`, "bad-ttl");
    const now = this.#clock.now().getTime();
    this.#sweep(now);
    let secret: string;
    do {
      secret = kind === "qr-session" ? randomBytes(16).toString("base64url") : String(randomInt(0, 10 ** this.#digits)).padStart(this.#digits, "0");
    } while (this.#secrets.has(key(kind, secret)));
    this.#secrets.set(key(kind, secret), { kind, payload, expiresAt: now + ttl });
    return { kind, secret, expiresAt: new Date(now + ttl) };
  }

  /** Redeems a secret once: returns its payload, or throws (see the class comment for codes and statuses). */
  redeem(kind: SecretKind, secret: string, opts: { attemptKey: string }): P {
    assertKind(kind);
    if (typeof opts?.attemptKey !== "string" || opts.attemptKey.length === 0 || opts.attemptKey.length > 256) {
      throw new DpclabError("an attempt key (the client, session or device guessing) is required", "bad-attempt-key");
    }
    const now = this.#clock.now().getTime();
    const attempts = this.#attemptsOf(opts.attemptKey, now);
    // Locked means locked: even the right secret is refused, or guessing could continue while locked.
    if (attempts.lockedUntil !== undefined && now < attempts.lockedUntil) {
      throw new TooManyAttemptsError(Math.ceil((attempts.lockedUntil - now) / 1000));
    }
    if (typeof secret !== "string" || !SHAPE[kind].test(secret)) {
      throw new DpclabError(`that is not a ${kind} (${kind === "qr-session" ? "a base64url session id" : "digits only"})`, "bad-secret");
    }
    const entry = this.#secrets.get(key(kind, secret));
    if (!entry) throw this.#failure(attempts, now, new DpclabError(`unknown ${kind}`, "secret-unknown", 404));
    if (entry.usedAt !== undefined) throw this.#failure(attempts, now, new DpclabError(`this ${kind} was already used`, "secret-used", 409));
    if (now >= entry.expiresAt) throw this.#failure(attempts, now, new DpclabError(`this ${kind} has expired`, "secret-expired", 410));
    // DEFECT reusable-otp — breaks DC-LNK-01: the secret is not spent.
    if (!this.#reusable) entry.usedAt = now;
    return entry.payload;
  }

  /** Withdraws a live secret (e.g. the workflow was cancelled); true if it was live. */
  revoke(kind: SecretKind, secret: string): boolean {
    const entry = typeof secret === "string" ? this.#secrets.get(key(kind, secret)) : undefined;
    if (!entry || entry.usedAt !== undefined) return false;
    entry.usedAt = this.#clock.now().getTime();
    return true;
  }

  /** Seconds until the attempt key may try again (0 when it is not locked). */
  lockedFor(attemptKey: string): number {
    const now = this.#clock.now().getTime();
    const lockedUntil = this.#attempts.get(attemptKey)?.lockedUntil;
    return lockedUntil !== undefined && now < lockedUntil ? Math.ceil((lockedUntil - now) / 1000) : 0;
  }

  #attemptsOf(attemptKey: string, now: number): Attempts {
    let a = this.#attempts.get(attemptKey);
    if (!a || (a.lockedUntil !== undefined ? now >= a.lockedUntil : now - a.windowStart >= this.#lockoutMs)) {
      a = { failures: 0, windowStart: now };
      this.#attempts.set(attemptKey, a);
    }
    return a;
  }

  #failure(attempts: Attempts, now: number, error: DpclabError): DpclabError {
    attempts.failures++;
    if (attempts.failures >= this.#maxFailures) attempts.lockedUntil = now + this.#lockoutMs;
    return error;
  }

  /** Forgets long-dead secrets and stale attempt counters, at most once a minute of clock time. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < 60_000) return;
    this.#lastSweep = now;
    for (const [k, e] of this.#secrets) if (now - e.expiresAt > TOMBSTONE_MS) this.#secrets.delete(k);
    for (const [k, a] of this.#attempts) {
      if ((a.lockedUntil ?? a.windowStart + this.#lockoutMs) <= now) this.#attempts.delete(k);
    }
  }
}

function key(kind: SecretKind, secret: string): string {
  return `${kind}:${secret}`;
}

function assertKind(kind: SecretKind): void {
  if (!KINDS.includes(kind)) throw new DpclabError(`unknown secret kind "${String(kind)}" (${KINDS.join(", ")})`, "bad-secret-kind");
}
