import type { PivKeySlot } from "../../src/piv/index.js";
import type { KeyAlgorithm } from "../../src/pki/index.js";
import type { Cardholder } from "./identity-account.js";

/** One virtual PIV card of the deck, as the card issuer recorded it at personalisation. TEST secrets included on purpose. */
export interface CardRecord {
  index: number;
  /** The SoftHSM token label = the cardholder's CN (OpenSC labels a PIV token with the CN, sp800-157.md §4). */
  tokenLabel: string;
  tokenSerial: string;
  cardholder: Cardholder;
  /** FASC-N, 25 bytes as hex (CHUID tag 30, SAN otherName of 9A/9E). */
  fascn: string;
  /** FASC-N as the printed digit string. */
  fascnText: string;
  /** Card UUID (CHUID GUID, urn:uuid in the SAN of 9A/9E). */
  cardUuid: string;
  pin: string;
  puk: string;
  alg: KeyAlgorithm;
  issuedAt: string;
  /** Card expiration date (CHUID tag 35); no card certificate outlives it. */
  expires: string;
  /** Serial numbers (hex) of the four card certificates. */
  certificates: Record<PivKeySlot, string>;
}
