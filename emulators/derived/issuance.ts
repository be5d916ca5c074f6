import { createHash, randomUUID } from "node:crypto";
import type { Clock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import {
  CertificateFacts,
  type CertStatus,
  DEFAULT_DERIVED_VALIDITY_DAYS,
  type DerivedSubscriber,
  derivedKeyManagementRequest,
  derivedPivAuthPolicy,
  derivedPivAuthRequest,
  derivedSigningRequest,
  derivedValidity,
  distinguishedNameText,
  generateKeyPairDer,
  type IssueRequest,
  type KeyAlgorithm,
  normalizeSerialHex,
  type RevocationReason,
  verifyCsr,
} from "../../src/pki/index.js";
import { Name } from "../../src/x509.js";
import type { CardIssuer } from "../piv-ca/index.js";
import type { IssuingAuthority } from "../shared/index.js";
import { readDevice, readDeviceId } from "../shared/index.js";
import { type Defects, NO_DEFECTS, withCertificateDefects } from "./defects.js";
import type {
  ApplicantSession,
  CardholderNotifier,
  DerivedCredentialRecord,
  DeviceApprover,
  DeviceDescriptor,
  IssuedCredentialFacts,
  IssuedCredentialLookup,
  IssuerName,
  TranscriptEvent,
} from "./types.js";

/**
 * The issuance core the three derived-credential issuers share (SP 800-157 r1 §2): issue a derived PIV credential to
 * an approved device for an applicant who passed PKI-AUTH, keep it in the PIV identity account, notify the cardholder,
 * and maintain it (seven-day recheck, account termination, lost device, key recovery). Each issuer's HTTP workflow sits
 * on top. Every refusal is a DpclabError with a 4xx status; every step lands in the credential's transcript with the
 * rule IDs it is evidence for.
 */
export interface DerivedIssuanceOptions {
  name: IssuerName;
  authority: IssuingAuthority;
  cardIssuer: CardIssuer;
  clock: Clock;
  /** Asks the MDM whether the device is approved (DC-ISS-02); without one, approval is blanket (documented policy). */
  approver?: DeviceApprover;
  notifier?: CardholderNotifier;
  /** Default 365; at most 1096 (DC-LIFE-02). */
  validityDays?: number;
  /** Active credentials allowed per PIV Card (DC-ISS-11 "MAY cap"); default 5. */
  maxActivePerCard?: number;
  /** Known non-conformances to switch on (defects.ts); default none — the faithful issuer. */
  defects?: Defects;
}

export interface IssueInput {
  session: ApplicantSession;
  device: DeviceDescriptor;
  /** PKCS#10 for the derived PIV Authentication key, generated on the device (DC-ISS-12). */
  csr: Uint8Array;
  /** iOS only: S/MIME — the device's digital-signature key CSR; the key-management key is made here and escrowed. */
  smime?: { signingCsr: Uint8Array };
  /**
   * A rekey: the id of the active credential this one replaces. It does not count against the cap while the new one
   * is minted, and is revoked as "superseded" once the new one exists (DC-MNT-06: new key, new serial).
   */
  supersedes?: string;
  /**
   * The applicant proved possession of the superseded credential's key instead of a new PKI-AUTH (DC-MNT-01): the
   * PIV Card was not used, so the seven-day recheck of the card (DC-ISS-06) stays the predecessor's — a card revoked
   * after that window does not revoke the new credential (DC-LNK-04).
   */
  provenByCurrentKey?: boolean;
}

export interface IssueResult {
  record: DerivedCredentialRecord;
  certificates: { pivAuth: Uint8Array; signing?: Uint8Array; encryption?: Uint8Array };
  /** PKCS#8 of the S/MIME key-management key, for the device (a copy stays escrowed here, DC-KEY-03). */
  escrowedEncryptionKey?: Uint8Array;
}

export interface DueCheckSummary {
  /** Credentials whose seven-day recheck ran now (DC-ISS-06). */
  rechecked: string[];
  /** Credentials revoked now, with why. */
  revoked: { id: string; reason: RevocationReason; rule: string }[];
}

const DAY_MS = 86_400_000;
/** DC-ISS-06: re-check the PIV Authentication certificate seven days after issuance. */
const RECHECK_AFTER_MS = 7 * DAY_MS;
const DEFAULT_MAX_ACTIVE_PER_CARD = 5;
/** The issuer-level journal keeps about the newest this many events (trimmed in batches). */
const JOURNAL_LIMIT = 10_000;
const MAX_CSR_BYTES = 16 * 1024;

export class DerivedIssuance implements IssuedCredentialLookup {
  readonly name: IssuerName;
  readonly authority: IssuingAuthority;
  readonly #cardIssuer: CardIssuer;
  readonly #clock: Clock;
  readonly #approver?: DeviceApprover;
  readonly #notifier?: CardholderNotifier;
  readonly #validityDays: number;
  readonly #maxActivePerCard: number;
  readonly #defects: Defects;
  readonly #records = new Map<string, DerivedCredentialRecord>();
  /** The records by the serial of their PIV Authentication certificate: what the tenant asks about. */
  readonly #bySerial = new Map<string, DerivedCredentialRecord>();
  /** The records of each card: the DC-ISS-11 cap counts a card's credentials, not the whole issuer's. */
  readonly #recordsOfCard = new Map<number, DerivedCredentialRecord[]>();
  /** SHA-256 of every public key certified by this issuer, or reserved by an issuance in flight (DC-MNT-06). */
  readonly #keys = new Set<string>();
  /** Issuances in flight per card, so concurrent requests cannot slip past the cap (DC-ISS-11). */
  readonly #pending = new Map<number, number>();
  /** S/MIME key-management keys (PKCS#8), by credential id (DC-KEY-03: escrowed; signature keys never). */
  readonly #escrow = new Map<string, Uint8Array>();
  /** Issuer-level events, refusals included: what no credential record holds. */
  readonly #journal: TranscriptEvent[] = [];

  constructor(opts: DerivedIssuanceOptions) {
    this.name = opts.name;
    this.authority = opts.authority;
    this.#cardIssuer = opts.cardIssuer;
    this.#clock = opts.clock;
    this.#approver = opts.approver;
    this.#notifier = opts.notifier;
    this.#validityDays = opts.validityDays ?? DEFAULT_DERIVED_VALIDITY_DAYS;
    derivedValidity(new Date(0), this.#validityDays); // refuses > 1096 days now rather than at the first issuance
    this.#maxActivePerCard = opts.maxActivePerCard ?? DEFAULT_MAX_ACTIVE_PER_CARD;
    this.#defects = opts.defects ?? NO_DEFECTS;
    if (!Number.isInteger(this.#maxActivePerCard) || this.#maxActivePerCard < 1) throw new RangeError("maxActivePerCard must be a positive integer");
  }

  async issue(input: IssueInput): Promise<IssueResult> {
    const transcript: TranscriptEvent[] = [];
    const at = () => this.#clock.now().toISOString();
    const step = (event: string, rules: string[], detail?: Record<string, unknown>) =>
      transcript.push({ at: at(), event, rules, ...(detail ? { detail } : {}) });
    try {
      return await this.#issue(input, step, transcript);
    } catch (error) {
      const e = error instanceof DpclabError ? error : new DpclabError("issuance failed", "issuance-failed", 400);
      // Bounded like every store an outside client can grow: refusals cost a client nothing to cause.
      if (this.#journal.length >= 2 * JOURNAL_LIMIT) this.#journal.splice(0, this.#journal.length - JOURNAL_LIMIT);
      this.#journal.push({
        at: at(),
        event: "issuance.refused",
        rules: refusalRules(e.code),
        detail: { code: e.code, message: e.message, steps: transcript.length },
      });
      throw e;
    }
  }

  async #issue(
    input: IssueInput,
    step: (event: string, rules: string[], detail?: Record<string, unknown>) => void,
    transcript: TranscriptEvent[],
  ): Promise<IssueResult> {
    const { session, device, csr, smime } = (input ?? {}) as Partial<IssueInput>;
    if (!session || typeof session !== "object" || !Number.isInteger(session.cardIndex) || !session.pivAuthCertificate) {
      throw new DpclabError("issuance needs the PKI-AUTH session of the applicant (DC-ISS-04)", "no-session", 401);
    }
    const dev = readDevice(device);
    checkCsrBytes(csr, "csr");
    if (smime !== undefined) checkCsrBytes(smime?.signingCsr, "smime.signingCsr");

    step("pki-auth.verified", ["DC-ISS-04", "DC-ISS-05", "DC-LNK-01"], {
      session: session.id,
      cardIndex: session.cardIndex,
      pivAuthSerial: session.pivAuthCertificate.serialNumber.toLowerCase(),
      authenticatedAt: session.authenticatedAt?.toISOString?.(),
    });

    // DC-ISS-02: only to devices the home agency (through the MDM) approved, and only to the applicant's own device:
    // the MDM knows whose device it is, so one cardholder's PKI-AUTH never furnishes another user's device.
    const account = this.#cardIssuer.account(session.cardIndex);
    const approval = this.#approver ? this.#approver.isApproved(dev.deviceId, { userPrincipalName: account.cardholder.email }) : ({ approved: true } as const);
    if (!approval.approved)
      throw new DpclabError(`device ${dev.deviceId} is not approved for derived credentials: ${approval.reason}`, "device-not-approved", 403);
    step("device.approved", ["DC-ISS-02"], { deviceId: dev.deviceId, policy: this.#approver ? "mdm" : "blanket", keystore: dev.keystore });

    // DC-LNK-02/03, DC-MNT-03: the identity account is still active now, not only at PKI-AUTH.
    if (account.status !== "active") {
      throw new DpclabError(`the PIV identity account of card ${session.cardIndex} is ${account.status}`, "account-terminated", 403);
    }
    step("account.checked", ["DC-LNK-02", "DC-LNK-03"], { cardIndex: session.cardIndex, status: account.status });

    // DC-ISS-12: the key was generated on the device; the CSR signature proves possession.
    const authCsr = verifyCsr(csr as Uint8Array);
    step("csr.pop-verified", ["DC-ISS-12", "CERT-13"], { alg: authCsr.alg });
    if (smime && dev.platform !== "ios") {
      throw new DpclabError("S/MIME certificates are issued to iOS devices only (the Android flow installs PIV Auth only)", "smime-ios-only", 400);
    }
    const signingCsr = smime ? verifyCsr(smime.signingCsr) : undefined;
    if (signingCsr) step("smime.csr-pop-verified", ["DC-ISS-12", "DC-KEY-02"], { alg: signingCsr.alg });

    // DC-MNT-06: a new credential gets a new key, never one certified before (by this issuer).
    const authKey = sha256Hex(authCsr.publicKey);
    const signKey = signingCsr ? sha256Hex(signingCsr.publicKey) : undefined;
    // DEFECT same-key-on-renewal — breaks DC-MNT-06: a key certified before is accepted again (renewal on the same key).
    const checkKeys = !this.#defects.has("same-key-on-renewal");
    if (checkKeys && (this.#keys.has(authKey) || (signKey && (this.#keys.has(signKey) || signKey === authKey)))) {
      throw new DpclabError("this public key was already certified: a new credential needs a new key (DC-MNT-06)", "key-reused", 409);
    }
    // DC-ISS-11: cap the active credentials per card (in-flight issuances count; a rekey's predecessor does not).
    const replaced = input.supersedes !== undefined ? this.credential(input.supersedes) : undefined;
    if (replaced && (replaced.status !== "active" || replaced.cardIndex !== session.cardIndex)) {
      throw new DpclabError(`credential ${replaced.id} is not an active credential of card ${session.cardIndex}`, "cannot-supersede", 409);
    }
    const active = this.#activeFor(session.cardIndex) + (this.#pending.get(session.cardIndex) ?? 0) - (replaced ? 1 : 0);
    if (active >= this.#maxActivePerCard) {
      throw new DpclabError(
        `card ${session.cardIndex} already has ${active} active derived credentials (cap ${this.#maxActivePerCard}, DC-ISS-11)`,
        "too-many-credentials",
        409,
      );
    }
    if (checkKeys) step("key.fresh", ["DC-MNT-06"], { publicKeySha256: authKey });
    step("cap.checked", ["DC-ISS-11"], { active, cap: this.#maxActivePerCard });

    // Reserve before the first await: concurrent issuances see the key and the slot taken.
    this.#keys.add(authKey);
    if (signKey) this.#keys.add(signKey);
    this.#pending.set(session.cardIndex, (this.#pending.get(session.cardIndex) ?? 0) + 1);
    let committed = false;
    try {
      const id = randomUUID();
      const issuedAt = this.#clock.now();
      const subscriber: DerivedSubscriber = {
        commonName: account.cardholder.commonName,
        agency: account.cardholder.agency,
        email: account.cardholder.email,
      };
      const common = { subscriber, keystore: dev.keystore, notBefore: issuedAt, validityDays: this.#validityDays };
      // DEFECT reuse-card-uuid — breaks CERT-04: the PIV Card's UUID (CHUID GUID) instead of a fresh one per certificate.
      const cardUuid = this.#defects.has("reuse-card-uuid") ? this.#cardIssuer.card(session.cardIndex).cardUuid : undefined;
      const faithful = derivedPivAuthRequest({ ...common, publicKey: authCsr.publicKey, ...(cardUuid ? { uuid: cardUuid } : {}) });
      const { uuid } = faithful;
      // The certificate-content defects (wrong policy, no EKU, https/no-OCSP AIA, four years): defects.ts.
      const request = withCertificateDefects(faithful.request, this.#defects, this.authority.ca.publication);
      const pivAuth = await this.#sign(request, `dc:${id}/piv-auth`);
      step("certificate.issued", ["CERT-01", "CERT-02", "CERT-03", "CERT-04", "CERT-05", "CERT-06", "CERT-07", "CERT-11", "DC-LIFE-02"], {
        serialNumber: pivAuth.serialNumber,
        policy: derivedPivAuthPolicy(dev.keystore),
        uuid,
        notAfter: request.notAfter.toISOString(),
      });

      let signing: Signed | undefined;
      let encryption: Signed | undefined;
      let escrowed: Uint8Array | undefined;
      if (signingCsr) {
        signing = await this.#sign(derivedSigningRequest({ ...common, publicKey: signingCsr.publicKey }), `dc:${id}/smime-signing`);
        step("smime.signing-issued", ["DC-KEY-02"], { serialNumber: signing.serialNumber });
        // DC-KEY-03: the key-management key is made here so that it can be escrowed (human KM keys must be).
        const kmAlg: KeyAlgorithm = signingCsr.alg === "p384" ? "p384" : signingCsr.alg.startsWith("rsa") ? "rsa2048" : "p256";
        const { spki: kmSpki, pkcs8 } = generateKeyPairDer(kmAlg);
        escrowed = pkcs8;
        encryption = await this.#sign(derivedKeyManagementRequest({ ...common, publicKey: kmSpki }), `dc:${id}/smime-encryption`);
        this.#keys.add(sha256Hex(kmSpki));
        this.#escrow.set(id, escrowed);
        step("smime.encryption-issued", ["DC-KEY-03"], { serialNumber: encryption.serialNumber, alg: kmAlg });
        step("key.escrowed", ["DC-KEY-03"], { credentialId: id });
      }

      const record: DerivedCredentialRecord = {
        id,
        issuer: this.name,
        cardIndex: session.cardIndex,
        deviceId: dev.deviceId,
        platform: dev.platform,
        keystore: dev.keystore,
        pivAuth: { certificate: b64(pivAuth.der), serialNumber: pivAuth.serialNumber },
        ...(signing && encryption
          ? {
              smime: {
                signing: { certificate: b64(signing.der), serialNumber: signing.serialNumber },
                encryption: { certificate: b64(encryption.der), serialNumber: encryption.serialNumber },
              },
            }
          : {}),
        publicKeySha256: authKey,
        issuedAt: issuedAt.toISOString(),
        notAfter: request.notAfter.toISOString(),
        status: "active",
        recheckDueAt: input.provenByCurrentKey && replaced ? replaced.recheckDueAt : new Date(issuedAt.getTime() + RECHECK_AFTER_MS).toISOString(),
        ...(input.provenByCurrentKey && replaced?.recheckDoneAt ? { recheckDoneAt: replaced.recheckDoneAt } : {}),
        transcript,
        applicantPivAuth: {
          certificate: b64(new Uint8Array(session.pivAuthCertificate.rawData)),
          serialNumber: session.pivAuthCertificate.serialNumber.toLowerCase(),
        },
        ...(escrowed ? { escrowedKeyManagementKey: true } : {}),
      };
      // DC-ISS-08: the new credential is represented in the PIV identity account.
      account.derivedCredentials.push({ issuer: this.name, serialNumber: pivAuth.serialNumber, issuedAt: record.issuedAt, status: "active" });
      step("account.recorded", ["DC-ISS-08"], { cardIndex: session.cardIndex, serialNumber: pivAuth.serialNumber });
      this.#records.set(id, record);
      this.#bySerial.set(record.pivAuth.serialNumber.toLowerCase(), record);
      const ofCard = this.#recordsOfCard.get(record.cardIndex);
      if (ofCard) ofCard.push(record);
      else this.#recordsOfCard.set(record.cardIndex, [record]);
      committed = true;
      // DC-ISS-09: tell the cardholder, at the address in the identity account.
      this.#notify(
        record,
        "A derived PIV credential was issued",
        `A derived PIV credential was bound to your PIV Card for device ${dev.deviceId} (${dev.platform}). If this was not you, contact your security office.`,
      );
      step("cardholder.notified", ["DC-ISS-09"], { email: account.cardholder.email });
      if (input.provenByCurrentKey && replaced) {
        // The card was not used: the binding's recheck is the predecessor's (done or still due), not a new one.
        step("recheck.inherited", ["DC-ISS-06", "DC-LNK-04"], {
          from: replaced.id,
          dueAt: record.recheckDueAt,
          ...(record.recheckDoneAt ? { doneAt: record.recheckDoneAt } : {}),
        });
      } else step("recheck.scheduled", ["DC-ISS-06"], { dueAt: record.recheckDueAt });
      if (replaced) {
        this.#revoke(replaced, "superseded", "credential.superseded", ["DC-MNT-06", "DC-TRM-03"], `replaced by credential ${record.id}`);
        step("credential.superseded", ["DC-MNT-06"], { supersedes: replaced.id });
      }
      return {
        record,
        certificates: { pivAuth: pivAuth.der, ...(signing ? { signing: signing.der } : {}), ...(encryption ? { encryption: encryption.der } : {}) },
        ...(escrowed ? { escrowedEncryptionKey: escrowed.slice() } : {}),
      };
    } finally {
      const left = (this.#pending.get(session.cardIndex) ?? 1) - 1;
      if (left > 0) this.#pending.set(session.cardIndex, left);
      else this.#pending.delete(session.cardIndex);
      if (!committed) {
        this.#keys.delete(authKey);
        if (signKey) this.#keys.delete(signKey);
      }
    }
  }

  /**
   * (a) DC-ISS-06: for every credential whose seven-day recheck is due, asks the card issuer for the status of the PIV
   * Authentication certificate used to obtain it; revoked on or before the due date → the derived credential(s) it
   * obtained are revoked (a later revocation is card loss, which alone does not invalidate DPCs, DC-LNK-04).
   * (b) DC-LNK-02, DC-TRM-02: revokes every active credential whose identity account is terminated.
   */
  runDueChecks(): DueCheckSummary {
    const now = this.#clock.now();
    const summary: DueCheckSummary = { rechecked: [], revoked: [] };
    // DEFECT no-seven-day-recheck — breaks DC-ISS-06: the PIV Authentication certificate is never re-checked.
    const recheck = !this.#defects.has("no-seven-day-recheck");
    for (const record of recheck ? this.#records.values() : []) {
      if (record.recheckDoneAt || now.getTime() < Date.parse(record.recheckDueAt)) continue;
      const serial = record.applicantPivAuth?.serialNumber;
      const status: CertStatus = serial ? this.#cardIssuer.pivCa.status(serial) : { status: "unknown" };
      const revokedInWindow = status.status === "revoked" && status.revokedAt.getTime() <= Date.parse(record.recheckDueAt);
      record.recheckDoneAt = now.toISOString();
      record.transcript.push({
        at: record.recheckDoneAt,
        event: "recheck.done",
        rules: ["DC-ISS-06"],
        detail: {
          pivAuthSerial: serial,
          status: status.status,
          ...(status.status === "revoked" ? { revokedAt: status.revokedAt.toISOString(), reason: status.reason } : {}),
        },
      });
      summary.rechecked.push(record.id);
      if (revokedInWindow && record.status === "active") {
        const reason: RevocationReason = status.reason === "keyCompromise" ? "keyCompromise" : "cessationOfOperation";
        this.#revoke(record, reason, "recheck.revoked", ["DC-ISS-06", "DC-TRM-03"], "the PIV Card used to obtain it was revoked within seven days of issuance");
        summary.revoked.push({ id: record.id, reason, rule: "DC-ISS-06" });
      }
    }
    // DEFECT no-revocation-on-termination — breaks DC-LNK-02, DC-TRM-02, DC-TRM-03: terminated accounts keep their credentials.
    const monitor = !this.#defects.has("no-revocation-on-termination");
    for (const record of monitor ? this.#records.values() : []) {
      if (record.status !== "active") continue;
      if (this.#cardIssuer.accountStatus(record.cardIndex) !== "terminated") continue;
      this.#revoke(record, "affiliationChanged", "account.terminated", ["DC-LNK-02", "DC-TRM-02", "DC-TRM-03"], "the PIV identity account was terminated");
      summary.revoked.push({ id: record.id, reason: "affiliationChanged", rule: "DC-TRM-02" });
    }
    return summary;
  }

  /** DC-TRM-01: the device was lost, stolen or compromised — revoke every active credential on it. */
  revokeDevice(deviceId: string, reason: RevocationReason = "keyCompromise"): DerivedCredentialRecord[] {
    readDeviceId(deviceId);
    if (!DEVICE_REASONS.includes(reason)) {
      throw new DpclabError(`a device is revoked for ${DEVICE_REASONS.join(", ")}; got "${String(reason)}"`, "bad-revocation-reason", 400);
    }
    const onDevice = [...this.#records.values()].filter((r) => r.deviceId === deviceId);
    if (onDevice.length === 0) throw new DpclabError(`this issuer issued nothing to device ${deviceId}`, "device-unknown", 404);
    const revoked = onDevice.filter((r) => r.status === "active");
    for (const r of revoked) this.#revoke(r, reason, "device.revoked", ["DC-TRM-01", "DC-TRM-03", "DC-TRM-04"], `device ${deviceId} reported ${reason}`);
    return revoked;
  }

  /** Purebred key recovery (DC-KEY-03): the escrowed S/MIME key-management key, only to the same, still eligible cardholder. */
  recoverEscrowedKey(credentialId: string, session: ApplicantSession): Uint8Array {
    const record = this.credential(credentialId);
    if (!session || session.cardIndex !== record.cardIndex) {
      throw new DpclabError("escrowed keys are recovered only by the cardholder they were issued to", "not-your-credential", 403);
    }
    if (this.#cardIssuer.accountStatus(record.cardIndex) !== "active") {
      throw new DpclabError(`the PIV identity account of card ${record.cardIndex} is terminated`, "account-terminated", 403);
    }
    const key = this.#escrow.get(record.id);
    if (!key) throw new DpclabError("this credential has no escrowed key-management key", "no-escrowed-key", 404);
    record.transcript.push({ at: this.#clock.now().toISOString(), event: "key.recovered", rules: ["DC-KEY-03"], detail: { session: session.id } });
    return key.slice();
  }

  /** IssuedCredentialLookup: the CA the tenant checks a reported credential's signature with. */
  get caCertificate(): CertificateFacts {
    this.#caFacts ??= CertificateFacts.of(this.authority.certificate);
    return this.#caFacts;
  }
  #caFacts?: CertificateFacts;

  /** IssuedCredentialLookup: what this issuer's records say of the PIV Authentication certificate with this serial. */
  issuedCredential(serialNumber: string): IssuedCredentialFacts | undefined {
    const record = typeof serialNumber === "string" ? this.#bySerial.get(serialNumber.toLowerCase()) : undefined;
    if (!record) return undefined;
    let userPrincipalName: string;
    try {
      userPrincipalName = this.#cardIssuer.account(record.cardIndex).cardholder.email;
    } catch {
      return undefined; // no identity account any more: nothing to vouch for
    }
    return { deviceId: record.deviceId, userPrincipalName, status: record.status, certificate: record.pivAuth.certificate };
  }

  credentials(): readonly DerivedCredentialRecord[] {
    return [...this.#records.values()];
  }

  credential(id: string): DerivedCredentialRecord {
    const record = typeof id === "string" ? this.#records.get(id) : undefined;
    if (!record) throw new DpclabError(`no derived credential "${String(id)}" at this issuer`, "no-credential", 404);
    return record;
  }

  /** Status of a certificate this issuer's CA issued (the OCSP answer), by hex serial. */
  status(serialHex: string): CertStatus {
    let serial: string;
    try {
      serial = normalizeSerialHex(serialHex);
    } catch {
      throw new DpclabError(`not a hex serial number: "${String(serialHex)}"`, "bad-serial", 400);
    }
    return this.authority.status(serial);
  }

  /** Issuer-level events (refusals) that belong to no credential: the newest JOURNAL_LIMIT or more. */
  journal(): readonly TranscriptEvent[] {
    return this.#journal;
  }

  /** Credentials of a card that are active and still valid: an expired one is no longer a live credential (DC-ISS-11). */
  #activeFor(cardIndex: number): number {
    const now = this.#clock.now().getTime();
    let n = 0;
    for (const r of this.#recordsOfCard.get(cardIndex) ?? []) if (r.status === "active" && Date.parse(r.notAfter) > now) n++;
    return n;
  }

  async #sign(request: IssueRequest, ref: string): Promise<Signed> {
    const { der, serialNumber } = await this.authority.ca.issueDer(request);
    this.authority.registry.record(serialNumber, { subject: subjectText(request), notAfter: request.notAfter.toISOString(), ref });
    return { der, serialNumber };
  }

  #revoke(record: DerivedCredentialRecord, reason: RevocationReason, event: string, rules: string[], why: string): void {
    const now = this.#clock.now().toISOString();
    const serials = [record.pivAuth.serialNumber, record.smime?.signing.serialNumber, record.smime?.encryption.serialNumber].filter((s): s is string => !!s);
    for (const s of serials) this.authority.revoke(s, reason);
    record.status = "revoked";
    record.revokedAt = now;
    record.revocationReason = reason;
    record.transcript.push({ at: now, event, rules, detail: { reason, why, serials } });
    try {
      const entry = this.#cardIssuer
        .account(record.cardIndex)
        .derivedCredentials.find((d) => d.issuer === this.name && d.serialNumber === record.pivAuth.serialNumber);
      if (entry) entry.status = "revoked";
    } catch {
      // the account is gone: nothing to update
    }
    // DC-TRM-04: the issuer attempts to notify the subscriber.
    this.#notify(record, "Your derived PIV credential was revoked", `The derived PIV credential on device ${record.deviceId} was revoked: ${why}.`);
    record.transcript.push({ at: now, event: "cardholder.notified", rules: ["DC-TRM-04"] });
  }

  #notify(record: DerivedCredentialRecord, subject: string, body: string): void {
    if (!this.#notifier) return;
    let email: string;
    try {
      email = this.#cardIssuer.account(record.cardIndex).cardholder.email;
    } catch {
      return;
    }
    this.#notifier.notify({ cardIndex: record.cardIndex, email, subject: `[${this.name}] ${subject}`, body, at: this.#clock.now().toISOString() });
  }
}

interface Signed {
  der: Uint8Array<ArrayBuffer>;
  serialNumber: string;
}

const DEVICE_REASONS: readonly RevocationReason[] = ["keyCompromise", "cessationOfOperation", "superseded", "unspecified", "affiliationChanged"];

function checkCsrBytes(csr: unknown, what: string): void {
  if (!(csr instanceof Uint8Array) || csr.length === 0 || csr.length > MAX_CSR_BYTES) {
    throw new DpclabError(`${what} must be a DER PKCS#10 request of 1..${MAX_CSR_BYTES} bytes`, "bad-csr");
  }
}

function refusalRules(code: string): string[] {
  const rules: Record<string, string[]> = {
    "device-not-approved": ["DC-ISS-02"],
    "account-terminated": ["DC-LNK-02", "DC-LNK-03"],
    "csr-signature-invalid": ["DC-ISS-12"],
    "csr-key-not-allowed": ["CERT-13", "CERT-12"],
    "bad-csr": ["DC-ISS-12"],
    "key-reused": ["DC-MNT-06"],
    "too-many-credentials": ["DC-ISS-11"],
    "no-session": ["DC-ISS-04"],
  };
  return rules[code] ?? [];
}

function subjectText(request: IssueRequest): string {
  const { subject } = request;
  if (typeof subject === "string") return subject;
  return subject instanceof Name ? subject.toString() : distinguishedNameText(subject);
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}
