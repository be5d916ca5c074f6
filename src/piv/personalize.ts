import { derBitStringOctets, derChildren, derExpect } from "../der.js";
import { DpclabError } from "../errors.js";
import type { Pkcs11Library } from "../pkcs11/index.js";
import { CertificateFacts, type KeyAlgorithm } from "../pki/index.js";
import { PIV_CONTAINERS, type PivContainerName } from "./containers.js";
import { validatePin, validatePuk } from "./pin.js";
import { PIV_KEY_SLOT_NAMES, PIV_KEY_SLOTS, type PivKeySlot } from "./slots.js";

export interface CardPersonalization {
  /** The cardholder's CN, ≤32 bytes: OpenSC labels a PIV token with the CN of its first certificate (docs/sp800-157.md §4). */
  tokenLabel: string;
  pin: string;
  /** Becomes the SoftHSM SO PIN (docs/sp800-157.md §4 DPC mirror: SO PIN = PUK). */
  puk: string;
  alg: KeyAlgorithm;
  /** Called once with the four on-card public keys (SPKI DER); returns their certificates (DER). */
  issueCertificates: (publicKeys: Record<PivKeySlot, Uint8Array>) => Promise<Record<PivKeySlot, Uint8Array>>;
  dataObjects: Record<PivContainerName, Uint8Array>;
}

/**
 * Personalises a new card: initialises a token, generates the four PIV key pairs inside it with OpenSC's labels
 * and IDs (FIPS 201-3 §4.2.2.1: on-card, non-exportable), has them certified, and writes the certificates and the
 * public data objects (CHUID, CCC, Discovery). Returns the token serial.
 */
export async function personalizeCard(lib: Pkcs11Library, spec: CardPersonalization): Promise<string> {
  validatePin(spec.pin);
  validatePuk(spec.puk);
  const slotId = lib.initToken(spec.tokenLabel, spec.puk, spec.pin);
  const session = lib.openSession(slotId, { readWrite: true });
  try {
    session.login("user", spec.pin);
    const publicKeys = {} as Record<PivKeySlot, Uint8Array>;
    for (const slot of PIV_KEY_SLOT_NAMES) {
      const info = PIV_KEY_SLOTS[slot];
      const isEc = spec.alg === "p256" || spec.alg === "p384";
      const { publicKey } = session.generateKeyPair(spec.alg, {
        id: info.id,
        privateLabel: info.privateLabel,
        publicLabel: info.publicLabel,
        sign: info.usage.sign,
        decrypt: info.usage.decrypt && !isEc,
        derive: info.usage.derive && isEc,
        alwaysAuthenticate: info.pinPolicy === "pin-always",
        private: info.pinPolicy !== "never",
      });
      publicKeys[slot] = session.publicKeySpki(publicKey);
    }
    const certificates = await spec.issueCertificates(publicKeys);
    for (const slot of PIV_KEY_SLOT_NAMES) {
      const info = PIV_KEY_SLOTS[slot];
      const der = certificates[slot];
      if (!der) throw new DpclabError(`no certificate was issued for the ${info.name} key (${slot})`, "certificate-missing", 500);
      assertCertifies(der, publicKeys[slot], slot);
      session.createCertificate({ id: info.id, label: info.certificateLabel, der });
    }
    for (const name of Object.keys(PIV_CONTAINERS) as PivContainerName[]) {
      const c = PIV_CONTAINERS[name];
      session.createDataObject({ application: c.name, label: c.name, objectId: c.oid, value: spec.dataObjects[name], private: false });
    }
    session.logout();
  } finally {
    session.close();
  }
  const token = lib.token(spec.tokenLabel);
  if (!token) throw new DpclabError(`card "${spec.tokenLabel}" vanished during personalisation`, "pkcs11-token-missing", 500);
  return token.serial;
}

/** A certificate for the wrong key would make the slot unusable: compare the subjectPublicKey bits. */
function assertCertifies(certDer: Uint8Array, spki: Uint8Array, slot: PivKeySlot): void {
  let certKey: Uint8Array;
  try {
    certKey = CertificateFacts.fromDer(certDer).publicKeyBits;
  } catch {
    throw new DpclabError(`the certificate issued for ${slot} is not DER X.509`, "bad-certificate", 500);
  }
  if (!Buffer.from(certKey).equals(Buffer.from(spkiKeyBits(spki)))) {
    throw new DpclabError(`the certificate issued for ${slot} certifies another key than the card's`, "certificate-key-mismatch", 500);
  }
}

/** subjectPublicKey of an SPKI: SEQUENCE { AlgorithmIdentifier, BIT STRING }. */
function spkiKeyBits(spki: Uint8Array): Uint8Array {
  const outer = derExpect(spki, 0, spki.length, 0x30, "SubjectPublicKeyInfo");
  const [, bits] = derChildren(spki, outer);
  if (!bits) throw new DpclabError("the card's public key is not an SPKI", "bad-public-key", 500);
  return derBitStringOctets(spki, bits);
}
