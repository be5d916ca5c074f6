import { DpclabError } from "../../src/errors.js";
import type { PivKeySlot } from "../../src/piv/index.js";
import { KEY_ALGORITHMS, type KeyAlgorithm } from "../../src/pki/index.js";
import { arrayOf, CorruptLabFile, integer, object, oneOf, type Shape, string } from "../../src/store/index.js";
import { type Cardholder, cardholderShape } from "./identity-account.js";

/** One virtual PIV card of the deck, as the card issuer recorded it at personalisation. TEST secrets included on purpose. */
export interface CardRecord {
  index: number;
  /** The SoftHSM token label = the cardholder's CN (OpenSC labels a PIV token with the CN, docs/sp800-157.md §4). */
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

const cardRecordShape: Shape<CardRecord> = object<CardRecord>({
  index: integer(0),
  tokenLabel: string,
  tokenSerial: string,
  cardholder: cardholderShape,
  fascn: string,
  fascnText: string,
  cardUuid: string,
  pin: string,
  puk: string,
  alg: oneOf(...KEY_ALGORITHMS),
  issuedAt: string,
  expires: string,
  certificates: object<Record<PivKeySlot, string>>({ "9A": string, "9C": string, "9D": string, "9E": string }),
});

/** cards/deck.json: an array of card records, card i at index i (`null` or `{}` is a corrupt deck, not an empty one). */
const cardsShape = arrayOf(cardRecordShape);

export const deckShape: Shape<CardRecord[]> = (value) => {
  const deck = cardsShape(value);
  deck.forEach((card, i) => {
    if (card.index === i) return;
    const e = new CorruptLabFile(`is ${card.index}, but the card at position ${i} must have index ${i}`);
    e.path.push(`[${i}]`, ".index");
    throw e;
  });
  return deck;
};

/**
 * Adds to `deck` (in place: callers hold its records) the cards another writer saved that it lacks. Cards are only
 * ever added; two different cards at one index mean two `cards create` ran at once, which cannot be merged.
 */
export function mergeDeck(deck: CardRecord[], saved: readonly CardRecord[], path: string): void {
  for (const card of saved) {
    const mine = deck[card.index];
    if (!mine) deck[card.index] = card;
    else if (mine.tokenSerial !== card.tokenSerial) {
      throw new DpclabError(
        `${path}: card ${card.index} was also created by another process at the same time; create cards one command at a time`,
        "deck-conflict",
        409,
      );
    }
  }
}
