import { verify as nodeVerify, randomBytes } from "node:crypto";
import type { Clock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import { CertificateFacts, verifyCsr } from "../../src/pki/index.js";
import type { ApplicantSession, DerivedCredentialRecord, DerivedIssuance, DeviceDescriptor, IssueResult } from "../derived/index.js";
import { type Defects, ExpiringMap, NO_DEFECTS } from "../derived/index.js";

/**
 * MyID automatic rekey (docs/anchors.md §5: requested a configurable time before expiry, 28 days by default). The Identity
 * Agent polls; once now ≥ notAfter − rekeyBefore the poll hands out a single-use challenge. The agent signs it with
 * the *current* derived key — the existing credential authenticates the rekey, no new PKI-AUTH (DC-MNT-01, DC-MNT-04:
 * the module holding the current key) — and sends a CSR for a *new* key (DC-MNT-06). The subscriber must still be
 * eligible (DC-MNT-03): the old credential active and unexpired, the PIV identity account active (checked again by
 * the issuance core when it mints). The new credential supersedes the old one, which is revoked "superseded".
 *
 * Per credential:  not-due ──clock──▶ due ──poll──▶ challenge open ──proof + new-key CSR──▶ rekeyed (old revoked)
 *                                                        └──wrong proof──▶ challenge spent (poll again)
 */
export const DEFAULT_REKEY_BEFORE_MS = 28 * 86_400_000;
/** How long a rekey challenge can be answered. */
export const REKEY_CHALLENGE_TTL_MS = 10 * 60_000;

export type RekeyPoll =
  | { due: false; dueAt: string; notAfter: string }
  | { due: true; dueAt: string; notAfter: string; rekeyId: string; challenge: string; expiresAt: string; smime: boolean };

export interface RekeySubmission {
  rekeyId: string;
  /** The current derived key's signature over the challenge bytes (DER ECDSA-Sig-Value, or PKCS#1 v1.5). */
  signature: Uint8Array;
  device: DeviceDescriptor;
  csr: Uint8Array;
  smimeSigningCsr?: Uint8Array;
}

interface OpenRekey {
  rekeyId: string;
  challenge: Uint8Array;
  expiresAt: number;
  inFlight: boolean;
}

/** Credentials MyID remembers for rekey; beyond, the oldest (closest to expiry) is forgotten (issue 10 §8). */
const MAX_TRACKED = 500_000;
/** A credential is remembered this long past its notAfter, to answer "credential-expired" rather than "unknown". */
const KEEP_AFTER_EXPIRY_MS = 30 * 86_400_000;

export class AutomaticRekey {
  /**
   * The kiosk session a credential descends from: its cardholder and PIV identity account (DC-MNT-03). Kept until a
   * while after the credential's notAfter (a rekey is refused from then on); credentials of one issuer share a
   * lifetime, so this expires from the front.
   */
  readonly #origin: ExpiringMap<string, ApplicantSession>;
  /** At most one open challenge per tracked credential, gone at its expiry. */
  readonly #open: ExpiringMap<string, OpenRekey>;

  constructor(
    private readonly issuance: DerivedIssuance,
    private readonly clock: Clock,
    readonly rekeyBeforeMs: number,
    private readonly defects: Defects = NO_DEFECTS,
    maxTracked = MAX_TRACKED,
  ) {
    if (!Number.isFinite(rekeyBeforeMs) || rekeyBeforeMs <= 0) throw new RangeError(`rekeyBeforeMs must be a positive number of ms, got ${rekeyBeforeMs}`);
    this.#origin = new ExpiringMap({ maxEntries: maxTracked });
    this.#open = new ExpiringMap({ maxEntries: maxTracked });
  }

  /** Remembers a credential MyID issued, so its Identity Agent can rekey it later. */
  track(record: DerivedCredentialRecord, origin: ApplicantSession): void {
    const now = this.clock.now().getTime();
    this.#origin.set(record.id, origin, Date.parse(record.notAfter) + KEEP_AFTER_EXPIRY_MS, now);
  }

  /** Tracked credentials and open challenges: for tests and benchmarks. */
  sizes(): { tracked: number; openChallenges: number; maxTracked: number } {
    return { tracked: this.#origin.size, openChallenges: this.#open.size, maxTracked: this.#origin.maxEntries };
  }

  dueAt(record: DerivedCredentialRecord): Date {
    return new Date(Date.parse(record.notAfter) - this.rekeyBeforeMs);
  }

  poll(credentialId: string): RekeyPoll {
    const { record } = this.#eligible(credentialId);
    const now = this.clock.now().getTime();
    const dueAt = this.dueAt(record);
    const base = { dueAt: dueAt.toISOString(), notAfter: record.notAfter };
    if (now < dueAt.getTime()) return { due: false, ...base };
    let open = this.#open.get(credentialId, now);
    if (!open || (now >= open.expiresAt && !open.inFlight)) {
      open = {
        rekeyId: randomBytes(16).toString("base64url"),
        challenge: new Uint8Array(randomBytes(32)),
        expiresAt: now + REKEY_CHALLENGE_TTL_MS,
        inFlight: false,
      };
      // Kept one more TTL to answer "rekey-expired" rather than "unknown".
      this.#open.set(credentialId, open, open.expiresAt + REKEY_CHALLENGE_TTL_MS, now);
    }
    return {
      due: true,
      ...base,
      rekeyId: open.rekeyId,
      challenge: Buffer.from(open.challenge).toString("base64"),
      expiresAt: new Date(open.expiresAt).toISOString(),
      smime: !!record.smime,
    };
  }

  async rekey(credentialId: string, input: RekeySubmission): Promise<IssueResult> {
    const { record, origin } = this.#eligible(credentialId);
    const now = this.clock.now().getTime();
    const open = this.#open.get(credentialId, now);
    if (!open || open.rekeyId !== input.rekeyId) throw new DpclabError("no such rekey for this credential: poll for a new challenge", "rekey-unknown", 404);
    if (open.inFlight) throw new DpclabError("a rekey of this credential is in progress", "rekey-in-progress", 409);
    if (now >= open.expiresAt) throw new DpclabError("the rekey challenge expired: poll for a new one", "rekey-expired", 410);
    // DC-MNT-04: the device and module stay the same; moving to another keystore is an initial registration.
    const d = input.device;
    if (d.deviceId !== record.deviceId || d.platform !== record.platform || d.keystore !== record.keystore) {
      throw new DpclabError(
        `a rekey stays on device ${record.deviceId} (${record.platform}, ${record.keystore} keystore); anything else is a new enrolment at the kiosk (DC-MNT-04)`,
        "device-mismatch",
        409,
      );
    }
    // DC-MNT-01: authenticated with the existing credential — the current derived key signed the challenge.
    const current = CertificateFacts.fromDer(Buffer.from(record.pivAuth.certificate, "base64"));
    if (!verifyProof(current, open.challenge, input.signature)) {
      this.#open.delete(credentialId); // a wrong proof spends the challenge
      throw new DpclabError("the rekey proof does not verify with the current derived PIV Authentication key (DC-MNT-01)", "rekey-proof-invalid", 401);
    }
    // DC-MNT-06: a rekey is a new key; the same key would be a renewal, which is not permitted.
    const csr = verifyCsr(input.csr);
    // DEFECT same-key-on-renewal — breaks DC-MNT-06: a CSR for the current key is accepted (the core skips its check too).
    if (!this.defects.has("same-key-on-renewal") && Buffer.from(csr.publicKey).equals(Buffer.from(current.spki))) {
      throw new DpclabError("the CSR carries the current key: a rekey needs a new key pair (DC-MNT-06)", "key-reused", 409);
    }
    if (record.smime && !input.smimeSigningCsr) {
      throw new DpclabError("this credential carries S/MIME certificates: send smimeSigningCsr for a new signing key too", "smime-csr-required", 400);
    }
    if (input.smimeSigningCsr) {
      if (!record.smime) throw new DpclabError("this credential has no S/MIME certificates to rekey", "smime-not-issued", 400);
      verifyCsr(input.smimeSigningCsr);
    }

    open.inFlight = true;
    let result: IssueResult;
    try {
      // The core re-checks device approval (DC-ISS-02) and the identity account (DC-MNT-03) before it mints.
      result = await this.issuance.issue({
        session: { ...origin, id: `rekey:${open.rekeyId}`, authenticatedAt: new Date(now) },
        device: d,
        csr: input.csr,
        ...(input.smimeSigningCsr ? { smime: { signingCsr: input.smimeSigningCsr } } : {}),
        supersedes: record.id,
        provenByCurrentKey: true,
      });
    } catch (error) {
      open.inFlight = false;
      throw error;
    }
    this.#open.delete(credentialId);
    this.track(result.record, origin);
    result.record.transcript.push({
      at: new Date(now).toISOString(),
      event: "rekey.authenticated",
      rules: ["DC-MNT-01", "DC-MNT-03", "DC-MNT-04", "DC-MNT-06"],
      detail: { supersedes: record.id, proofBy: record.pivAuth.serialNumber, rekeyBeforeMs: this.rekeyBeforeMs },
    });
    return result;
  }

  /** The credential exists, is active and unexpired, and its cardholder's identity account is still active (DC-MNT-03). */
  #eligible(credentialId: string): { record: DerivedCredentialRecord; origin: ApplicantSession } {
    const record = this.issuance.credential(credentialId);
    // The issuance record says revoked or expired for as long as it exists; the tracked origin is forgotten some
    // time after expiry (bounded store), so it is asked only of a credential that is still live.
    if (record.status !== "active") {
      throw new DpclabError(
        `credential ${credentialId} was revoked (${record.revocationReason ?? "unspecified"}): enrol again at the kiosk`,
        "credential-revoked",
        409,
      );
    }
    if (this.clock.now().getTime() >= Date.parse(record.notAfter)) {
      throw new DpclabError(`credential ${credentialId} expired at ${record.notAfter}: enrol again at the kiosk`, "credential-expired", 409);
    }
    const origin = this.#origin.get(record.id, this.clock.now().getTime());
    if (!origin) throw new DpclabError(`credential ${credentialId} was not issued through MyID`, "no-credential", 404);
    if (origin.account.status !== "active") {
      throw new DpclabError(`the PIV identity account of card ${record.cardIndex} is ${origin.account.status} (DC-MNT-03)`, "account-terminated", 403);
    }
    return { record, origin };
  }
}

function verifyProof(current: CertificateFacts, challenge: Uint8Array, signature: Uint8Array): boolean {
  try {
    const hash = current.keyAlgorithm === "p384" ? "sha384" : "sha256"; // CERT-13 pairing
    return nodeVerify(hash, challenge, { key: current.publicKey, dsaEncoding: "der" }, signature);
  } catch {
    return false;
  }
}
