import { randomBytes, randomInt } from "node:crypto";
import type { Clock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import { ExpiringMap } from "./expiring-map.js";

/**
 * One-time secrets of the issuers' enrolment workflows (docs/intune.md §2): Purebred's time-limited one-time passcodes,
 * Entrust's QR session + numeric password, Intercede's QR session. Each is redeemable once, before it expires;
 * wrong guesses are rate-limited per attempt key (a client, a session, a device) across all secrets, so guessing one
 * secret after another does not get around the limit.
 *
 * Failures (DpclabError code → HTTP status):
 * - "bad-secret" 400: not a string of the kind's shape (does not count as a guess);
 * - "secret-unknown" 404: no such secret of that kind (in that scope): a wrong guess, counted;
 * - "secret-used" 409: redeemed (or withdrawn) before: a replay, NOT counted;
 * - "secret-expired" 410: past its TTL: a replay, NOT counted;
 * - "too-many-attempts" 429: the attempt key is locked; `retryAfterSeconds` says for how long.
 *
 * Why replays are free (issue 10 §7): the retry limit of an activation secret (DC-ACT-01: 10 tries, then the
 * authenticator is disabled; SP 800-63B §5.2.11) exists to stop *guessing* an unknown secret. A consumed or expired
 * secret is not a guess: it can never succeed again (single use, DC-LNK-01), and whoever presents it — an attacker who
 * saw it, or the holder's own app retrying after a lost answer — learns nothing new. Counting it let anyone who had
 * seen a spent OTP-1 lock the real user out of OTP-2 with 5 replays. It is charged to no key: the replaying client's
 * key would not help, since the attempt keys here are the holder's (a Purebred registration) or a device id the
 * client names itself. Unknown secrets still count, so brute force stays limited to `maxFailures` per key per
 * `lockoutMs`; a guess that happens to hit a dead secret gains nothing.
 *
 * Scopes: a secret issued with `scope` is found only when redeemed with the same scope (a Purebred registration and
 * stage), so a guess against one registration can neither spend nor learn another's secret.
 *
 * Bounds (issue 10 §8): secrets and their tombstones, and attempt counters, live in ExpiringMaps: each expires in
 * O(1) amortised and at most `maxSecrets` / `maxAttemptKeys` are kept (the oldest evicted beyond).
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
  /** How long a used or expired secret is kept after its expiry, to answer "used"/"expired"; default 24 hours. */
  tombstoneMs?: number;
  /** Cap on stored secrets (live ones and tombstones) per kind; default 200,000. */
  maxSecrets?: number;
  /** Cap on attempt counters; default 100,000. */
  maxAttemptKeys?: number;
}

export interface IssuedSecret {
  kind: SecretKind;
  secret: string;
  expiresAt: Date;
}

/** Default lifetimes (the docs give none apart from "time-limited", docs/intune.md §2). */
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

export interface SecretScope {
  /** What the secret belongs to (e.g. a registration and stage); redeem finds it only under the same scope. */
  scope?: string;
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
  readonly #tombstoneMs: number;
  /** Per kind: lifetimes are constant per kind in every workflow, so each map expires from its front. */
  readonly #secrets = new Map<SecretKind, ExpiringMap<string, Entry<P>>>();
  readonly #attempts: ExpiringMap<string, Attempts>;

  constructor(opts: OneTimeSecretsOptions) {
    this.#clock = opts.clock;
    this.#maxFailures = opts.maxFailures ?? 5;
    this.#lockoutMs = opts.lockoutMs ?? 15 * 60_000;
    this.#digits = opts.digits ?? 8;
    this.#reusable = opts.reusable === true;
    this.#tombstoneMs = opts.tombstoneMs ?? TOMBSTONE_MS;
    if (!Number.isFinite(this.#tombstoneMs) || this.#tombstoneMs < 0) throw new RangeError("tombstoneMs must be a non-negative number of ms");
    if (!Number.isInteger(this.#digits) || this.#digits < 6 || this.#digits > 12) throw new RangeError("numeric secrets have 6..12 digits");
    for (const kind of KINDS) this.#secrets.set(kind, new ExpiringMap({ maxEntries: opts.maxSecrets ?? 200_000 }));
    this.#attempts = new ExpiringMap({ maxEntries: opts.maxAttemptKeys ?? 100_000 });
  }

  /** Issues a fresh secret of `kind` carrying `payload`, valid for `ttlMs` of clock time. */
  issue(kind: SecretKind, payload: P, opts: { ttlMs?: number } & SecretScope = {}): IssuedSecret {
    assertKind(kind);
    const ttl = opts.ttlMs ?? DEFAULT_SECRET_TTL_MS[kind];
    if (!Number.isFinite(ttl) || ttl <= 0) throw new DpclabError(`a secret's TTL must be positive, got ${ttl}`, "bad-ttl");
    const now = this.#clock.now().getTime();
    const store = this.#store(kind);
    let secret: string;
    do {
      secret = kind === "qr-session" ? randomBytes(16).toString("base64url") : String(randomInt(0, 10 ** this.#digits)).padStart(this.#digits, "0");
    } while (store.has(key(secret, opts.scope), now));
    // Kept past expiry as a tombstone, to answer "used"/"expired" (free) rather than "unknown" (a counted guess).
    store.set(key(secret, opts.scope), { kind, payload, expiresAt: now + ttl }, now + ttl + this.#tombstoneMs, now);
    return { kind, secret, expiresAt: new Date(now + ttl) };
  }

  /** Redeems a secret once: returns its payload, or throws (see the class comment for codes and statuses). */
  redeem(kind: SecretKind, secret: string, opts: { attemptKey: string } & SecretScope): P {
    assertKind(kind);
    if (typeof opts?.attemptKey !== "string" || opts.attemptKey.length === 0 || opts.attemptKey.length > 256) {
      throw new DpclabError("an attempt key (the client, session or device guessing) is required", "bad-attempt-key");
    }
    const now = this.#clock.now().getTime();
    const attempts = this.#attempts.get(opts.attemptKey, now);
    // Locked means locked: even the right secret is refused, or guessing could continue while locked.
    if (attempts?.lockedUntil !== undefined && now < attempts.lockedUntil) {
      throw new TooManyAttemptsError(Math.ceil((attempts.lockedUntil - now) / 1000));
    }
    if (typeof secret !== "string" || !SHAPE[kind].test(secret)) {
      throw new DpclabError(`that is not a ${kind} (${kind === "qr-session" ? "a base64url session id" : "digits only"})`, "bad-secret");
    }
    const entry = this.#store(kind).get(key(secret, opts.scope), now);
    if (!entry) throw this.#failure(opts.attemptKey, now, new DpclabError(`unknown ${kind}`, "secret-unknown", 404));
    // Replays of a dead secret are refused without charging anyone's attempt budget (see the class comment).
    if (entry.usedAt !== undefined) throw new DpclabError(`this ${kind} was already used`, "secret-used", 409);
    if (now >= entry.expiresAt) throw new DpclabError(`this ${kind} has expired`, "secret-expired", 410);
    // DEFECT reusable-otp — breaks DC-LNK-01: the secret is not spent.
    if (!this.#reusable) entry.usedAt = now;
    return entry.payload;
  }

  /** Withdraws a live secret (e.g. the workflow was cancelled); true if it was live. */
  revoke(kind: SecretKind, secret: string, opts: SecretScope = {}): boolean {
    if (!KINDS.includes(kind) || typeof secret !== "string") return false;
    const now = this.#clock.now().getTime();
    const entry = this.#store(kind).get(key(secret, opts.scope), now);
    if (!entry || entry.usedAt !== undefined) return false;
    entry.usedAt = now;
    return true;
  }

  /** Seconds until the attempt key may try again (0 when it is not locked). */
  lockedFor(attemptKey: string): number {
    const now = this.#clock.now().getTime();
    const lockedUntil = this.#attempts.get(attemptKey, now)?.lockedUntil;
    return lockedUntil !== undefined && now < lockedUntil ? Math.ceil((lockedUntil - now) / 1000) : 0;
  }

  /** How many secrets (live and tombstones) and attempt counters are held, and the caps: for tests and benchmarks. */
  sizes(): { secrets: Record<SecretKind, number>; attemptKeys: number; maxSecrets: number; maxAttemptKeys: number } {
    const secrets = Object.fromEntries(KINDS.map((k) => [k, this.#store(k).size])) as Record<SecretKind, number>;
    return { secrets, attemptKeys: this.#attempts.size, maxSecrets: this.#store("otp").maxEntries, maxAttemptKeys: this.#attempts.maxEntries };
  }

  #store(kind: SecretKind): ExpiringMap<string, Entry<P>> {
    return this.#secrets.get(kind) as ExpiringMap<string, Entry<P>>;
  }

  /** Counts a wrong guess against `attemptKey`; the counter lives as long as its window or its lock. */
  #failure(attemptKey: string, now: number, error: DpclabError): DpclabError {
    let a = this.#attempts.get(attemptKey, now);
    if (!a) {
      a = { failures: 0, windowStart: now };
      this.#attempts.set(attemptKey, a, now + this.#lockoutMs, now);
    }
    a.failures++;
    if (a.failures >= this.#maxFailures) {
      a.lockedUntil = now + this.#lockoutMs;
      this.#attempts.set(attemptKey, a, a.lockedUntil, now); // moves to the back: expiry order kept
    }
    return error;
  }
}

function key(secret: string, scope: string | undefined): string {
  return scope === undefined ? secret : `${scope}\u0000${secret}`;
}

function assertKind(kind: SecretKind): void {
  if (!KINDS.includes(kind)) throw new DpclabError(`unknown secret kind "${String(kind)}" (${KINDS.join(", ")})`, "bad-secret-kind");
}
