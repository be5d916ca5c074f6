import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import type { LabConfig, LabDir } from "../../src/lab/index.js";
import type { PivKeySlot } from "../../src/piv/index.js";
import {
  CertificateAuthority,
  CertificateFacts,
  cardCertificateRequest,
  generateKeyPair,
  importPrivateKey,
  issueContentSigningCertificate,
  type KeyAlgorithm,
  type RevocationReason,
} from "../../src/pki/index.js";
import {
  arrayOf,
  CORRUPT_LAB_STATUS,
  CorruptLabFile,
  fileVersion,
  object,
  oneOf,
  readJson,
  recordOf,
  type Shape,
  withFileLock,
  writeJson,
  writeTextAtomically,
} from "../../src/store/index.js";
import { X509Certificate } from "../../src/x509.js";
import { type CertificateRegistryState, certificateRegistryShape, IssuingAuthority, publicationUrls } from "../shared/index.js";
import { type CardRecord, deckShape, mergeDeck } from "./card-record.js";
import { type AccountStatus, mergeAccounts, type PivIdentityAccount, pivIdentityAccountShape } from "./identity-account.js";

const YEAR_MS = 365 * 86_400_000;
export const ROOT_CA_NAME = "root";
export const PIV_CA_NAME = "piv-ca";
const CONTENT_SIGNER = "content-signer";

interface CardIssuerState {
  version: 1;
  registries: Record<string, CertificateRegistryState>;
  accounts: PivIdentityAccount[];
}

/** How long a look at state.json stays current for the reads that follow it (see reloadIfChanged). */
const RECHECK_MS = 1;
/** Saves by any CardIssuer of this process: one made since a look makes the next read look again. */
let processSaves = 0;

/** piv-ca/state.json, checked on every read: a corrupt file is one clear error (issue 10 item 10). */
const stateFields = object<CardIssuerState>({
  version: oneOf(1),
  registries: recordOf(certificateRegistryShape),
  accounts: arrayOf(pivIdentityAccountShape),
});

const stateShape: Shape<CardIssuerState> = (value) => {
  const state = stateFields(value);
  for (const name of [ROOT_CA_NAME, PIV_CA_NAME]) {
    if (Object.hasOwn(state.registries, name)) continue;
    const e = new CorruptLabFile("is missing");
    e.path.push(".registries", `[${JSON.stringify(name)}]`);
    throw e;
  }
  return state;
};

/** Signs CHUIDs (and later security objects): a PIV content-signing certificate of the card issuer (FIPS 201-3 §4.2.1). */
export interface ContentSigner {
  certificate: X509Certificate;
  privateKey: CryptoKey;
  alg: KeyAlgorithm;
}

/**
 * The PIV card issuer: the TEST root, the PIV Card Issuing CA under it, the content signer, the card deck's records
 * and a PIV identity account per cardholder. All its state lives in the lab dir.
 */
export class CardIssuer {
  /** fileVersion() of state.json and deck.json when last merged in: a stat per read tells whether to re-read. */
  #stateVersion = "";
  #deckVersion = "";
  /** When reloadIfChanged last looked at the files (performance.now()), and processSaves then. */
  #checkedAt = Number.NEGATIVE_INFINITY;
  #savesSeen = -1;

  private constructor(
    private readonly lab: LabDir,
    readonly config: LabConfig,
    readonly root: IssuingAuthority,
    readonly pivCa: IssuingAuthority,
    readonly contentSigner: ContentSigner,
    private readonly accounts: PivIdentityAccount[],
    private readonly deck: CardRecord[],
    private readonly clock: Clock,
  ) {
    // OCSP, CRLs and status look-ups of both CAs see what other processes saved, at once (issue 10 item 4).
    for (const a of [root, pivCa]) a.registry.onRead(() => this.reloadIfChanged());
  }

  get #statePath(): string {
    return join(this.lab.pivCaDir, "state.json");
  }

  /** Creates the lab's test PKI: `DPCLAB TEST Root CA` and `DPCLAB TEST PIV Card Issuing CA` under it. */
  static async create(lab: LabDir, config: LabConfig, clock: Clock): Promise<CardIssuer> {
    const now = clock.now();
    const rootCa = await CertificateAuthority.createRoot({
      commonName: "CN=DPCLAB TEST Root CA,OU=TEST PKI,O=DPCLAB TEST,C=US",
      alg: config.alg,
      notBefore: now,
      notAfter: new Date(now.getTime() + 20 * YEAR_MS),
      publication: publicationUrls(config.baseUrl, ROOT_CA_NAME),
    });
    const pivCa = await rootCa.createSubordinate({
      commonName: "CN=DPCLAB TEST PIV Card Issuing CA,OU=TEST PKI,O=DPCLAB TEST,C=US",
      alg: config.alg,
      notBefore: now,
      notAfter: new Date(now.getTime() + 10 * YEAR_MS),
      publication: publicationUrls(config.baseUrl, PIV_CA_NAME),
    });
    // DC-LIFE-03: the content-signing certificate must outlive the card certificates it vouches for.
    const signerKeys = await generateKeyPair(config.alg);
    const signerCert = await issueContentSigningCertificate(pivCa, {
      publicKey: new Uint8Array(await crypto.subtle.exportKey("spki", signerKeys.publicKey)),
      commonName: "DPCLAB TEST PIV Content Signer",
      notBefore: now,
      notAfter: new Date(now.getTime() + 9 * YEAR_MS),
    });
    const issuer = new CardIssuer(
      lab,
      config,
      new IssuingAuthority(ROOT_CA_NAME, rootCa, clock),
      new IssuingAuthority(PIV_CA_NAME, pivCa, clock),
      { certificate: signerCert, privateKey: signerKeys.privateKey, alg: config.alg },
      [],
      [],
      clock,
    );
    issuer.root.record(pivCa.certificate, "ca:piv-ca");
    issuer.pivCa.record(signerCert, "content-signer");
    lab.writeConfig(config);
    lab.ensureSoftHsmConf(); // the README promises it: OpenSC users point SOFTHSM2_CONF at it
    mkdirSync(lab.pivCaDir, { recursive: true });
    for (const [name, ca] of [
      [ROOT_CA_NAME, rootCa],
      [PIV_CA_NAME, pivCa],
    ] as const) {
      const material = await ca.export();
      writeTextAtomically(join(lab.pivCaDir, `${name}.pem`), material.certificatePem);
      writeTextAtomically(join(lab.pivCaDir, `${name}.key.pem`), material.privateKeyPem, { mode: 0o600 });
    }
    writeTextAtomically(join(lab.pivCaDir, `${CONTENT_SIGNER}.pem`), signerCert.toString("pem"));
    const pkcs8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", signerKeys.privateKey)).toString("base64");
    writeTextAtomically(join(lab.pivCaDir, `${CONTENT_SIGNER}.key.pem`), toPem(pkcs8, "PRIVATE KEY"), { mode: 0o600 });
    issuer.save();
    return issuer;
  }

  static async open(lab: LabDir, clock: Clock): Promise<CardIssuer> {
    const config = lab.readConfig();
    const statePath = join(lab.pivCaDir, "state.json");
    const stateVersion = fileVersion(statePath);
    const deckVersion = fileVersion(lab.deckPath);
    const state = readJson(statePath, stateShape);
    if (!state)
      throw new DpclabError(`the lab in ${lab.root} has no card issuer state (piv-ca/state.json); create a new lab`, "corrupt-lab", CORRUPT_LAB_STATUS);
    const pem = (file: string) => join(lab.pivCaDir, file);
    const load = (name: string) =>
      fromLabFiles([pem(`${name}.pem`), pem(`${name}.key.pem`)], () =>
        CertificateAuthority.load({
          certificatePem: readFileSync(pem(`${name}.pem`), "utf8"),
          privateKeyPem: readFileSync(pem(`${name}.key.pem`), "utf8"),
          alg: config.alg,
          publication: publicationUrls(config.baseUrl, name),
        }),
      );
    const signerCert = await fromLabFiles([pem(`${CONTENT_SIGNER}.pem`)], () => new X509Certificate(readFileSync(pem(`${CONTENT_SIGNER}.pem`), "utf8")));
    const signerKey = await fromLabFiles([pem(`${CONTENT_SIGNER}.key.pem`)], () =>
      importPrivateKey(readFileSync(pem(`${CONTENT_SIGNER}.key.pem`), "utf8"), config.alg),
    );
    const issuer = new CardIssuer(
      lab,
      config,
      new IssuingAuthority(ROOT_CA_NAME, await load(ROOT_CA_NAME), clock, state.registries[ROOT_CA_NAME]),
      new IssuingAuthority(PIV_CA_NAME, await load(PIV_CA_NAME), clock, state.registries[PIV_CA_NAME]),
      { certificate: signerCert, privateKey: signerKey, alg: config.alg },
      state.accounts,
      readJson(lab.deckPath, deckShape) ?? [],
      clock,
    );
    issuer.#stateVersion = stateVersion;
    issuer.#deckVersion = deckVersion;
    return issuer;
  }

  /** Opens the lab's card issuer, creating the lab (and its PKI) first if there is none. */
  static async openOrCreate(lab: LabDir, config: () => LabConfig, clock: Clock): Promise<CardIssuer> {
    return lab.exists() && existsSync(join(lab.pivCaDir, "state.json")) ? CardIssuer.open(lab, clock) : CardIssuer.create(lab, config(), clock);
  }

  authority(name: string): IssuingAuthority | undefined {
    return name === ROOT_CA_NAME ? this.root : name === PIV_CA_NAME ? this.pivCa : undefined;
  }

  cards(): readonly CardRecord[] {
    this.reloadIfChanged();
    return this.deck;
  }

  card(index: number): CardRecord {
    this.reloadIfChanged();
    const card = Number.isInteger(index) && index >= 0 ? this.deck[index] : undefined;
    if (!Number.isInteger(index) || !card) {
      throw new DpclabError(`no card ${index} in this lab (it has ${this.deck.length}: 0..${this.deck.length - 1})`, "no-card", 404);
    }
    return card;
  }

  account(cardIndex: number): PivIdentityAccount {
    this.reloadIfChanged(); // a termination by `dpclab accounts terminate` counts at once (DC-TRM-02)
    const account = this.accounts.find((a) => a.cardIndex === cardIndex);
    if (!account) throw new DpclabError(`no PIV identity account for card ${cardIndex}`, "no-account", 404);
    return account;
  }

  /** Issues the four card certificates for the keys generated on a card (FIPS 201-3 §4.2.2.1: keys generated on card). */
  async issueCardCertificates(
    card: Omit<CardRecord, "certificates" | "tokenSerial">,
    publicKeys: Record<PivKeySlot, Uint8Array>,
  ): Promise<{ ders: Record<PivKeySlot, Uint8Array>; serials: Record<PivKeySlot, string> }> {
    const ders = {} as Record<PivKeySlot, Uint8Array>;
    const serials = {} as Record<PivKeySlot, string>;
    const notBefore = new Date(card.issuedAt);
    // Card certificates never outlive the card (FIPS 201-3 §4.2.2.1) nor 3 years (CP2.6 §6.3.2).
    const notAfter = new Date(Math.min(new Date(card.expires).getTime(), notBefore.getTime() + 3 * YEAR_MS));
    for (const slot of ["9A", "9C", "9D", "9E"] as const) {
      // DER and facts (cached by content: personalisation reads the same bytes next), no X509Certificate parse.
      const { der } = await this.pivCa.ca.issueDer(
        cardCertificateRequest({
          slot,
          publicKey: publicKeys[slot],
          cardholder: { commonName: card.cardholder.commonName, email: card.cardholder.email, organization: card.cardholder.agency },
          fascn: Buffer.from(card.fascn, "hex"),
          cardUuid: card.cardUuid,
          notBefore,
          notAfter,
          cardExpiry: new Date(card.expires),
        }),
      );
      const cert = CertificateFacts.fromDer(der);
      // What IssuingAuthority.record does, without needing an X509Certificate.
      this.pivCa.registry.record(cert.serialNumber, { subject: cert.subject, notAfter: cert.notAfter.toISOString(), ref: `card:${card.index}/${slot}` });
      ders[slot] = der;
      serials[slot] = cert.serialNumber.toLowerCase();
    }
    return { ders, serials };
  }

  /** Adds a personalised card to the deck and opens the cardholder's PIV identity account. */
  addCard(card: CardRecord): void {
    if (this.deck[card.index]) throw new Error(`card index ${card.index} is taken`);
    this.deck[card.index] = card;
    this.accounts.push({
      cardIndex: card.index,
      cardholder: card.cardholder,
      status: "active",
      statusChangedAt: card.issuedAt,
      derivedCredentials: [],
    });
  }

  /** Revokes all four certificates of a card. Returns how many were newly revoked. */
  revokeCard(index: number, reason: RevocationReason): number {
    const card = this.card(index);
    let count = 0;
    for (const serial of Object.values(card.certificates)) if (this.pivCa.revoke(serial, reason)) count++;
    return count;
  }

  /** Terminates the PIV identity account (loss of eligibility): what DC-TRM-02 makes derived issuers act on. */
  terminateAccount(index: number): PivIdentityAccount {
    const account = this.account(index);
    if (account.status !== "terminated") {
      account.status = "terminated";
      account.statusChangedAt = this.clock.now().toISOString();
    }
    return account;
  }

  accountStatus(index: number): AccountStatus {
    return this.account(index).status;
  }

  /**
   * Merges in what another process saved (e.g. `dpclab cards revoke` or `accounts terminate` while `dpclab serve`
   * runs), so OCSP, CRLs, account and card look-ups answer what the lab's records say now. Costs one stat when
   * nothing changed; called on every read path. Merging (never replacing) keeps this process's unsaved changes.
   */
  reloadIfChanged(): void {
    // One stat per read path is cheap, but a due-check sweep reads every record's account: within a millisecond of the
    // last look, and with no save in this process since, another process's save could not be told from a race anyway.
    const now = performance.now();
    if (now - this.#checkedAt < RECHECK_MS && this.#savesSeen === processSaves) return;
    this.#checkedAt = now;
    this.#savesSeen = processSaves;
    const version = fileVersion(this.#statePath);
    if (version === this.#stateVersion) return;
    // The deck is written before the state (save), so a new state means the deck is at least as new.
    const deckVersion = fileVersion(this.lab.deckPath);
    const state = readJson(this.#statePath, stateShape);
    if (!state) return; // deleted under us: keep what we have, save() writes it back
    this.#stateVersion = version;
    this.#mergeState(state);
    if (deckVersion !== this.#deckVersion) {
      mergeDeck(this.deck, readJson(this.lab.deckPath, deckShape) ?? [], this.lab.deckPath);
      this.#deckVersion = deckVersion;
    }
  }

  /**
   * Persists registries, accounts and the deck as read-modify-writes under each file's lock: what is on disk now is
   * merged into this copy first, then the union is written. Every record only grows (certificates issued and
   * revoked, accounts terminated, cards added), so no writer can undo another's change — stopping `dpclab serve`
   * used to rewrite state.json from its stale copy and drop a revocation made meanwhile (issue 10 item 4).
   * The deck holds every PIN and PUK: mode 0600.
   */
  save(): void {
    processSaves++;
    const deckPath = this.lab.deckPath;
    withFileLock(deckPath, () => {
      mergeDeck(this.deck, readJson(deckPath, deckShape) ?? [], deckPath);
      writeJson(deckPath, this.deck, { mode: 0o600 });
      this.#deckVersion = fileVersion(deckPath); // under the lock: no other write can slip in unmerged
    });
    withFileLock(this.#statePath, () => {
      const saved = readJson(this.#statePath, stateShape);
      if (saved) this.#mergeState(saved);
      const state: CardIssuerState = {
        version: 1,
        registries: { ...saved?.registries, [ROOT_CA_NAME]: this.root.registry.toJSON(), [PIV_CA_NAME]: this.pivCa.registry.toJSON() },
        accounts: this.accounts,
      };
      writeJson(this.#statePath, state);
      this.#stateVersion = fileVersion(this.#statePath);
    });
  }

  #mergeState(saved: CardIssuerState): void {
    this.root.registry.merge(saved.registries[ROOT_CA_NAME] as CertificateRegistryState);
    this.pivCa.registry.merge(saved.registries[PIV_CA_NAME] as CertificateRegistryState);
    mergeAccounts(this.accounts, saved.accounts);
  }
}

/** Reads key material from lab files; a missing or unreadable one is one clear error naming the file(s). */
async function fromLabFiles<T>(paths: string[], read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    const what = (e as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : `not usable: ${(e as Error).message.split("\n")[0]}`;
    throw new DpclabError(`corrupt lab file ${paths.join(" or ")}: ${what}; restore it or create a new lab`, "corrupt-lab", CORRUPT_LAB_STATUS);
  }
}

function toPem(base64: string, label: string): string {
  return `-----BEGIN ${label}-----\n${base64.replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END ${label}-----\n`;
}
