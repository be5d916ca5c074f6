import type { ApplicantAuthenticator, ApplicantSession } from "../../emulators/derived/index.js";
import type { CardIssuer, CardRecord } from "../../emulators/piv-ca/index.js";
import type { IssuingAuthority } from "../../emulators/shared/index.js";
import type { LabStackOptions } from "../../emulators/stack/index.js";
import { openLabCard } from "../../src/lab/index.js";
import { createCsrWithKey, generateKeyPair, type KeyAlgorithm } from "../../src/pki/index.js";
import { X509Certificate } from "../../src/x509.js";
import { type ServedStackLab, servedStackLab } from "../helpers/stack-lab.js";

/**
 * A lab for the derived-credential core: the served lab stack (test/helpers/stack-lab.ts: card issuer, deck of real
 * SoftHSM cards, every CA's publication on a loopback server), seen from one issuer CA (Purebred's) and the kiosk.
 */
export interface DerivedLab extends ServedStackLab {
  cardIssuer: CardIssuer;
  authority: IssuingAuthority;
  authenticator: ApplicantAuthenticator;
}

export async function makeDerivedLab(opts: { cards: number; seed: string; start: Date; stack?: Partial<LabStackOptions> }): Promise<DerivedLab> {
  const world = await servedStackLab({ seed: opts.seed, cards: opts.cards, start: opts.start, stack: opts.stack });
  const { stack } = world;
  return Object.assign(world, { cardIssuer: stack.cardIssuer, authority: stack.issuers.purebred.issuance.authority, authenticator: stack.authenticator });
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
  return new X509Certificate(typeof der === "string" ? new Uint8Array(Buffer.from(der, "base64")) : new Uint8Array(der));
}
