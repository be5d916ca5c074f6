import { X509Certificate } from "@peculiar/x509";
import { ApplicantAuthenticator, type ApplicantSession, createIssuerAuthority } from "../../emulators/derived/index.js";
import { CardIssuer, type CardRecord, createCards } from "../../emulators/piv-ca/index.js";
import type { IssuingAuthority } from "../../emulators/shared/index.js";
import { VirtualClock } from "../../src/clock.js";
import { LabDir, openLabCard } from "../../src/lab/index.js";
import { createCsrWithKey, generateKeyPair, type KeyAlgorithm } from "../../src/pki/index.js";
import { tempDir } from "../helpers/cli.js";

/** A lab for the derived-credential core: card issuer + deck of real SoftHSM cards, an issuer CA, a kiosk. */
export interface DerivedLab {
  lab: LabDir;
  clock: VirtualClock;
  cardIssuer: CardIssuer;
  deck: CardRecord[];
  authority: IssuingAuthority;
  authenticator: ApplicantAuthenticator;
  dir: string;
  remove(): void;
}

export async function makeDerivedLab(opts: { cards: number; seed: string; start: Date; issuerBaseUrl?: string }): Promise<DerivedLab> {
  const dir = tempDir(`dpclab-derived-${opts.seed}-`);
  const clock = new VirtualClock(opts.start);
  const lab = new LabDir(dir.path);
  const cardIssuer = await CardIssuer.create(
    lab,
    { version: 1, alg: "p256", seed: opts.seed, baseUrl: "http://127.0.0.1:7800", createdAt: opts.start.toISOString() },
    clock,
  );
  const deck = await createCards(lab, cardIssuer, { count: opts.cards, seed: opts.seed, clock });
  const authority = await createIssuerAuthority(cardIssuer.root, "purebred", {
    alg: "p256",
    baseUrl: opts.issuerBaseUrl ?? "http://127.0.0.1:7801",
    clock,
    dir: `${dir.path}/purebred`,
  });
  const authenticator = new ApplicantAuthenticator({ cardIssuer, clock });
  return { lab, clock, cardIssuer, deck, authority, authenticator, dir: dir.path, remove: dir.remove };
}

/** What the client side of the kiosk does: read 9A, PIN, sign the challenge. Returns the submission. */
export function signChallenge(
  l: DerivedLab,
  index: number,
  challenge: { challengeId: string; challenge: string },
  tamper?: (bytes: Uint8Array) => Uint8Array,
): { challengeId: string; certificate: string; signature: string } {
  const record = l.deck[index] as CardRecord;
  const card = openLabCard(l.lab, record.tokenLabel);
  try {
    const cert = card.readCertificate("9A") as Uint8Array;
    card.verifyPin(record.pin);
    const bytes = new Uint8Array(Buffer.from(challenge.challenge, "base64"));
    const signature = card.sign("9A", tamper ? tamper(bytes) : bytes);
    return { challengeId: challenge.challengeId, certificate: Buffer.from(cert).toString("base64"), signature: Buffer.from(signature).toString("base64") };
  } finally {
    card.close();
  }
}

/** A full kiosk PKI-AUTH of card `index`. */
export function authenticate(l: DerivedLab, index: number): Promise<ApplicantSession> {
  return l.authenticator.authenticate(signChallenge(l, index, l.authenticator.challenge()));
}

/** A device key pair and its CSR (what the device agent makes). */
export async function deviceCsr(alg: KeyAlgorithm = "p256"): Promise<{ keys: CryptoKeyPair; csr: Uint8Array; spki: Uint8Array }> {
  const keys = await generateKeyPair(alg);
  const csr = await createCsrWithKey(keys, alg, "CN=DPCLAB TEST device key");
  return { keys, csr, spki: new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey)) };
}

export function certOf(der: Uint8Array | string): X509Certificate {
  return new X509Certificate(typeof der === "string" ? new Uint8Array(Buffer.from(der, "base64")) : der);
}
