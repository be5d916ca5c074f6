import { JsonFilePinRetryStore, PivCard, Pkcs11Library } from "../piv/index.js";
import type { LabDir } from "./lab-dir.js";

/** Opens a card of the lab's deck through PKCS#11, with the lab's PIN retry counters. */
export function openLabCard(lab: LabDir, tokenLabel: string): PivCard {
  const lib = Pkcs11Library.open({ softhsmConf: lab.ensureSoftHsmConf() });
  const store = new JsonFilePinRetryStore(lab.pinCountersPath);
  const card = PivCard.open(lib, tokenLabel, store);
  try {
    // A corrupt cards/pin-counters.json is one clear error now, not a PKI-AUTH step that fails for "card-error".
    store.load(card.serial);
  } catch (e) {
    card.close();
    throw e;
  }
  return card;
}
