export { isCkr, Pkcs11Error } from "./errors.js";
export { Pkcs11Library, type SlotId, type TokenSummary } from "./library.js";
export { resolveModulePath } from "./module-path.js";
export {
  type KeyPairHandles,
  type KeyPairTemplate,
  type ObjectHandle,
  Pkcs11Session,
  type Template,
} from "./session.js";
export { ecSpki, rsaSpki } from "./spki.js";
