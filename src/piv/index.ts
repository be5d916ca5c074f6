// PIV card model (SP 800-73-4 data model as OpenSC exposes it, docs/sp800-157.md §3–4) and, for convenience, the PKCS#11 layer.
export * from "../pkcs11/index.js";
export { PivCard } from "./card.js";
export { buildCcc } from "./ccc.js";
export {
  buildChuid,
  bytesToUuid,
  type ChuidContent,
  type ChuidSigner,
  ID_PIV_CHUID_SECURITY_OBJECT,
  ID_PIV_SIGNER_DN,
  type ParsedChuid,
  parseChuid,
  uuidToBytes,
  verifyChuidSignature,
} from "./chuid.js";
export { PIV_CONTAINERS, type PivContainerInfo, type PivContainerName } from "./containers.js";
export { buildDiscovery, PIV_AID } from "./discovery.js";
export { ecdsaDerToRaw, ecdsaRawToDer } from "./ecdsa-signature.js";
export { decodeFascn, encodeFascn, type FascN, formatFascn, parseFascnDigits, validateFascn } from "./fascn.js";
export { type CardPersonalization, personalizeCard } from "./personalize.js";
export { validatePin, validatePuk } from "./pin.js";
export {
  cardIdentifiers,
  type PivAuthPathResult,
  type PkiAuthFailureReason,
  type PkiAuthOptions,
  type PkiAuthResponse,
  type PkiAuthResult,
  type PkiAuthStep,
  type PkiAuthStepName,
  type PkiAuthVerification,
  pkiAuth,
  validatePivAuthPath,
  verifyChallengeSignature,
  verifyPkiAuthResponse,
} from "./pki-auth.js";
export {
  JsonFilePinRetryStore,
  MAX_PIN_TRIES,
  MemoryPinRetryStore,
  type PinRetryState,
  type PinRetryStore,
} from "./retry-counter.js";
export { PIV_KEY_SLOT_NAMES, PIV_KEY_SLOTS, type PinPolicy, type PivKeySlot, type PivKeySlotInfo } from "./slots.js";
export { decodeTlvs, encodeTlv, encodeTlvs, type Tlv } from "./tlv.js";
