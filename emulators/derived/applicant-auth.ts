import { randomBytes } from "node:crypto";
import type { Clock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import { verifyPkiAuthResponse } from "../../src/piv/index.js";
import { CaStatusCache, CertificateFacts, createHttpRevocationChecker } from "../../src/pki/index.js";
import { type CardIssuer, type CardRecord, pivCaHandler } from "../piv-ca/index.js";
import { inProcessFetch } from "../shared/index.js";
import { type Defects, NO_DEFECTS } from "./defects.js";
import { ExpiringMap } from "./expiring-map.js";
import type { ApplicantSession } from "./types.js";

/**
 * The issuer's kiosk half of PKI-AUTH (DC-ISS-04, DC-LNK-01; FIPS 201-3 §6.2.3.1): hand out a fresh challenge, take
 * back the card's PIV Authentication certificate and its 9A signature over the challenge, validate the path with
 * revocation (against the card issuer's root and PIV CA), then check the PIV identity account is active — a terminated
 * account is not visible from the certificate (DC-LNK-02, DC-LNK-03). The session keeps a copy of the PIV
 * Authentication certificate (DC-ISS-05).
 *
 * Failures: "pki-auth-failed:<reason>" (401; revocation-unavailable 503), "unknown-card" 403, "account-terminated"
 * 403, "bad-request" 400 for malformed input; "session-unknown" 401 / "session-expired" 401 from session().
 */
export interface ApplicantAuthenticatorOptions {
  cardIssuer: CardIssuer;
  clock: Clock;
  /** Reaches the card issuer's OCSP/CRL; default: its handler in-process. */
  fetch?: typeof fetch;
  /** Default 5 minutes. */
  challengeTtlMs?: number;
  /** How long an authenticated session may be used for issuance; default 15 minutes. */
  sessionTtlMs?: number;
  /** Known non-conformances to switch on (defects.ts: "skip-status-check"); default none. */
  defects?: Defects;
  /** Cap on open challenges (unauthenticated to ask for); default 100,000, the oldest evicted beyond (issue 10 §8). */
  maxChallenges?: number;
  /** Cap on authenticated kiosk sessions; default 50,000, the oldest evicted beyond. */
  maxSessions?: number;
}

export interface PkiAuthChallenge {
  challengeId: string;
  /** 32 random bytes, base64. */
  challenge: string;
  expiresAt: string;
}

export interface PkiAuthSubmission {
  challengeId: string;
  /** The 9A certificate, DER as base64. */
  certificate: string;
  /** The 9A signature over the challenge bytes, base64 (ECDSA raw r||s or DER; RSA PKCS#1 v1.5). */
  signature: string;
}

const CHALLENGE_BYTES = 32;
const MAX_CERT_BASE64 = 16 * 1024;
const MAX_SIG_BASE64 = 2 * 1024;
const MAX_OPEN_CHALLENGES = 100_000;
const MAX_SESSIONS = 50_000;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

export class ApplicantAuthenticator {
  readonly #issuer: CardIssuer;
  readonly #clock: Clock;
  readonly #fetch: typeof fetch;
  readonly #challengeTtlMs: number;
  readonly #sessionTtlMs: number;
  readonly #defects: Defects;
  /**
   * Anyone may ask for a challenge, so this store is what a flood fills (issue 10 §8): bounded, expiring from the front
   * (constant TTL), the oldest evicted at the cap — a flood shortens how long a challenge survives (cap ÷ flood rate,
   * 50 s at 2,000/s) rather than refusing every applicant, as a 429/503 at the cap would. An expired challenge is
   * kept one more TTL to answer "challenge-expired" rather than "unknown".
   */
  readonly #challenges: ExpiringMap<string, { challenge: Uint8Array; expiresAt: number }>;
  readonly #sessions: ExpiringMap<string, { session: ApplicantSession; expiresAt: number }>;
  /** Good answers about the PIV CA itself are reused until their nextUpdate; each applicant's card is asked fresh. */
  readonly #caStatus = new CaStatusCache();

  constructor(opts: ApplicantAuthenticatorOptions) {
    this.#issuer = opts.cardIssuer;
    this.#clock = opts.clock;
    this.#fetch = opts.fetch ?? inProcessFetch(pivCaHandler(opts.cardIssuer));
    this.#challengeTtlMs = opts.challengeTtlMs ?? 5 * 60_000;
    this.#sessionTtlMs = opts.sessionTtlMs ?? 15 * 60_000;
    this.#defects = opts.defects ?? NO_DEFECTS;
    this.#challenges = new ExpiringMap({ maxEntries: opts.maxChallenges ?? MAX_OPEN_CHALLENGES });
    this.#sessions = new ExpiringMap({ maxEntries: opts.maxSessions ?? MAX_SESSIONS });
  }

  /** A fresh single-use challenge (FIPS 201-3 §6.2.3.1 step: "a random challenge"). */
  challenge(): PkiAuthChallenge {
    const now = this.#clock.now().getTime();
    const challengeId = randomBytes(16).toString("base64url");
    const challenge = new Uint8Array(randomBytes(CHALLENGE_BYTES));
    const expiresAt = now + this.#challengeTtlMs;
    this.#challenges.set(challengeId, { challenge, expiresAt }, expiresAt + this.#challengeTtlMs, now);
    return { challengeId, challenge: Buffer.from(challenge).toString("base64"), expiresAt: new Date(now + this.#challengeTtlMs).toISOString() };
  }

  async authenticate(submission: PkiAuthSubmission): Promise<ApplicantSession> {
    const { challengeId, certificate: certB64, signature: sigB64 } = (submission ?? {}) as Partial<PkiAuthSubmission>;
    if (typeof challengeId !== "string" || typeof certB64 !== "string" || typeof sigB64 !== "string") {
      throw new DpclabError("PKI-AUTH needs challengeId, certificate (base64 DER) and signature (base64)", "bad-request");
    }
    if (certB64.length > MAX_CERT_BASE64 || sigB64.length > MAX_SIG_BASE64 || !B64.test(certB64) || !B64.test(sigB64)) {
      throw new DpclabError("certificate and signature must be base64 of sensible size", "bad-request");
    }
    const now = this.#clock.now();
    // Single use: whatever happens next, this challenge is spent.
    const open = this.#challenges.get(challengeId, now.getTime());
    this.#challenges.delete(challengeId);
    if (!open) throw failed("challenge-unknown", "no such challenge, or it was already used: ask for a new one");
    if (now.getTime() >= open.expiresAt) throw failed("challenge-expired", "the challenge expired: ask for a new one");

    let certificate: CertificateFacts;
    try {
      certificate = CertificateFacts.fromDer(Buffer.from(certB64, "base64"));
    } catch {
      throw failed("bad-certificate", "the certificate is not a DER X.509 certificate");
    }
    const result = await verifyPkiAuthResponse({
      certificate,
      challenge: open.challenge,
      signature: new Uint8Array(Buffer.from(sigB64, "base64")),
      trustAnchors: [this.#issuer.root.certificate],
      intermediates: [this.#issuer.pivCa.certificate],
      // A fresh checker: no CRL cached between applicants; only the CA's own good status is shared.
      // DEFECT skip-status-check — breaks DC-ISS-04: no revocation check, so a revoked PIV Card still signs in.
      revocation: this.#defects.has("skip-status-check") ? undefined : createHttpRevocationChecker(this.#fetch, { caStatusCache: this.#caStatus }),
      clock: this.#clock,
    });
    if (!result.ok) throw failed(result.reason, result.detail, result.reason === "revocation-unavailable" ? 503 : 401);

    const card = this.#findCard(result.fascn, result.cardUuid, certificate);
    // DC-LNK-02/03: the identity account, not only the certificate, says whether the cardholder is still eligible.
    const account = this.#issuer.account(card.index);
    if (account.status !== "active") {
      throw new DpclabError(`the PIV identity account of card ${card.index} is ${account.status} (DC-LNK-02)`, "account-terminated", 403);
    }
    const session: ApplicantSession = {
      id: randomBytes(16).toString("base64url"),
      cardIndex: card.index,
      account,
      pivAuthCertificate: certificate, // DC-ISS-05
      authenticatedAt: now,
    };
    const expiresAt = now.getTime() + this.#sessionTtlMs;
    // Kept one more TTL after expiry, to answer "session-expired" rather than "unknown".
    this.#sessions.set(session.id, { session, expiresAt }, expiresAt + this.#sessionTtlMs, now.getTime());
    return session;
  }

  /** The session an HTTP workflow carries by id, while it is fresh. */
  session(id: string): ApplicantSession {
    const now = this.#clock.now().getTime();
    const entry = typeof id === "string" ? this.#sessions.get(id, now) : undefined;
    if (!entry) throw new DpclabError("no such PKI-AUTH session: authenticate with the PIV Card first", "session-unknown", 401);
    if (now >= entry.expiresAt) {
      this.#sessions.delete(id);
      throw new DpclabError("the PKI-AUTH session has expired: authenticate with the PIV Card again", "session-expired", 401);
    }
    return entry.session;
  }

  /** Open challenges and sessions held, and their caps: for tests and benchmarks. */
  sizes(): { challenges: number; sessions: number; maxChallenges: number; maxSessions: number } {
    return {
      challenges: this.#challenges.size,
      sessions: this.#sessions.size,
      maxChallenges: this.#challenges.maxEntries,
      maxSessions: this.#sessions.maxEntries,
    };
  }

  /** Ends a session (issuance done, or the applicant left the kiosk). */
  endSession(id: string): void {
    this.#sessions.delete(id);
  }

  #findCard(fascn: string | undefined, cardUuid: string | undefined, certificate: CertificateFacts): CardRecord {
    const serial = certificate.serialNumber.toLowerCase();
    const card = this.#issuer
      .cards()
      .find((c) => c && (fascn === undefined || c.fascn === fascn) && (cardUuid === undefined || c.cardUuid === cardUuid) && (fascn || cardUuid));
    if (!card || card.certificates["9A"] !== serial) {
      throw new DpclabError("the PIV Authentication certificate matches no card of this card issuer's deck", "unknown-card", 403);
    }
    return card;
  }
}

function failed(reason: string, detail: string, status = 401): DpclabError {
  return new DpclabError(`PKI-AUTH failed (${reason}): ${detail}`, `pki-auth-failed:${reason}`, status);
}
