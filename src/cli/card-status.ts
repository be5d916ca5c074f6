import type { CardIssuer, CardRecord } from "../../emulators/piv-ca/index.js";
import type { PinRetryStore } from "../piv/index.js";

export type CardStatus = "active" | "revoked" | "terminated" | "blocked";

/** One word for a card, worst first: account terminated, PIV Auth certificate revoked, PIN blocked, else active. */
export function cardStatus(issuer: CardIssuer, card: CardRecord, pins: PinRetryStore): CardStatus {
  if (issuer.accountStatus(card.index) === "terminated") return "terminated";
  if (issuer.pivCa.status(card.certificates["9A"]).status === "revoked") return "revoked";
  if ((pins.load(card.tokenSerial)?.triesLeft ?? 1) <= 0) return "blocked";
  return "active";
}
