export {
  CORRUPT_LAB_STATUS,
  fileVersion,
  parseJson,
  readJson,
  updateJson,
  type WriteJsonOptions,
  withFileLock,
  writeJson,
  writeTextAtomically,
} from "./json-file.js";
export { DEFAULT_BASE_URL, DEFAULT_LAB_DIR, type LabConfig, LabDir, labConfigShape, writeSoftHsmConf } from "./lab-dir.js";
export { openLabCard } from "./open-card.js";
export { CorruptLabFile, type Shape } from "./shape.js";
