// Transitional: the JSON-file helpers moved to src/store; emulators/derived/issuer-ca.ts and test/lab/json-file.test.ts
// still import them from here. Import them from src/store/index.js.
export {
  CORRUPT_LAB_STATUS,
  CorruptLabFile,
  fileVersion,
  parseJson,
  readJson,
  type Shape,
  updateJson,
  type WriteJsonOptions,
  withFileLock,
  writeJson,
  writeTextAtomically,
} from "../store/index.js";
export { DEFAULT_BASE_URL, DEFAULT_LAB_DIR, type LabConfig, LabDir, labConfigShape, writeSoftHsmConf } from "./lab-dir.js";
export { openLabCard } from "./open-card.js";
