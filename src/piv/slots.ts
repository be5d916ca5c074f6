/**
 * The PIV key references and how OpenSC exposes them over PKCS#11 (docs/sp800-157.md §3 key table, §4 labels/IDs;
 * 73-4 Pt1 §5.1 Tables 4a/4b). A virtual card mirrors this layout so the same client code works on a real card.
 */
export type PivKeySlot = "9A" | "9C" | "9D" | "9E";

export type PinPolicy = "pin" | "pin-always" | "never";

export interface PivKeySlotInfo {
  slot: PivKeySlot;
  name: string;
  /** CKA_ID shared by the private key, public key and certificate (OpenSC parses "01".."04" as hex). */
  id: Uint8Array;
  privateLabel: string;
  publicLabel: string;
  certificateLabel: string;
  /** OID of the certificate container (73-4 Pt1 Table 3). */
  containerOid: string;
  /** Contact access rule: PIN, PIN Always (9C, CKA_ALWAYS_AUTHENTICATE), or Always (9E, no PIN). */
  pinPolicy: PinPolicy;
  /** OpenSC key usage (docs/sp800-157.md §4): 9D decrypts/derives and does not sign. */
  usage: { sign: boolean; decrypt: boolean; derive: boolean };
}

export const PIV_KEY_SLOTS: Readonly<Record<PivKeySlot, PivKeySlotInfo>> = {
  "9A": {
    slot: "9A",
    name: "PIV Authentication",
    id: Uint8Array.of(0x01),
    privateLabel: "PIV AUTH key",
    publicLabel: "PIV AUTH pubkey",
    certificateLabel: "Certificate for PIV Authentication",
    containerOid: "2.16.840.1.101.3.7.2.1.1",
    pinPolicy: "pin",
    usage: { sign: true, decrypt: true, derive: false },
  },
  "9C": {
    slot: "9C",
    name: "Digital Signature",
    id: Uint8Array.of(0x02),
    privateLabel: "SIGN key",
    publicLabel: "SIGN pubkey",
    certificateLabel: "Certificate for Digital Signature",
    containerOid: "2.16.840.1.101.3.7.2.1.0",
    pinPolicy: "pin-always",
    usage: { sign: true, decrypt: false, derive: false },
  },
  "9D": {
    slot: "9D",
    name: "Key Management",
    id: Uint8Array.of(0x03),
    privateLabel: "KEY MAN key",
    publicLabel: "KEY MAN pubkey",
    certificateLabel: "Certificate for Key Management",
    containerOid: "2.16.840.1.101.3.7.2.1.2",
    pinPolicy: "pin",
    usage: { sign: false, decrypt: true, derive: true },
  },
  "9E": {
    slot: "9E",
    name: "Card Authentication",
    id: Uint8Array.of(0x04),
    privateLabel: "CARD AUTH key",
    publicLabel: "CARD AUTH pubkey",
    certificateLabel: "Certificate for Card Authentication",
    containerOid: "2.16.840.1.101.3.7.2.5.0",
    pinPolicy: "never",
    usage: { sign: true, decrypt: false, derive: false },
  },
};

export const PIV_KEY_SLOT_NAMES: readonly PivKeySlot[] = ["9A", "9C", "9D", "9E"];
