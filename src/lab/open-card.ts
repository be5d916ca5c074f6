import { JsonFilePinRetryStore, PivCard, Pkcs11Library } from "../piv/index.js";
import type { LabDir } from "./lab-dir.js";

/** Opens a card of the lab's deck through PKCS#11, with the lab's PIN retry counters. */
export function openLabCard(lab: LabDir, tokenLabel: string): PivCard {
  const lib = Pkcs11Library.open({ softhsmConf: lab.ensureSoftHsmConf() });
  return PivCard.open(lib, tokenLabel, new JsonFilePinRetryStore(lab.pinCountersPath));
}
