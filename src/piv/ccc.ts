import { randomBytes } from "node:crypto";
import { DpclabError } from "../errors.js";
import { encodeTlvs } from "./tlv.js";

/** GSC-RID (A0 00 00 01 16), manufacturer FF, card type 02 (Java Card) — the prefix of F0 (73-4 Pt1 Table 7). */
const CARD_ID_PREFIX = Uint8Array.of(0xa0, 0x00, 0x00, 0x01, 0x16, 0xff, 0x02);

/**
 * A minimal valid Card Capability Container (73-4 Pt1 Table 7): F0 card identifier (21 bytes), F1/F2 versions
 * 0x21, F3 empty, F4 PKCS#15 00, F5 data model 0x10, F6, F7, FA–FD empty, FE EDC.
 */
export function buildCcc(cardId: Uint8Array = randomBytes(14)): Uint8Array {
  if (cardId.length !== 14) throw new DpclabError(`the CCC card identifier suffix is 14 bytes (got ${cardId.length})`, "bad-ccc");
  const id = new Uint8Array(21);
  id.set(CARD_ID_PREFIX, 0);
  id.set(cardId, 7);
  const empty = new Uint8Array(0);
  return encodeTlvs([
    [0xf0, id],
    [0xf1, Uint8Array.of(0x21)],
    [0xf2, Uint8Array.of(0x21)],
    [0xf3, empty],
    [0xf4, Uint8Array.of(0x00)],
    [0xf5, Uint8Array.of(0x10)],
    [0xf6, empty],
    [0xf7, empty],
    [0xfa, empty],
    [0xfb, empty],
    [0xfc, empty],
    [0xfd, empty],
    [0xfe, empty],
  ]);
}
