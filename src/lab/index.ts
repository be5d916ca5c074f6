export { readJson, updateJson, writeJson } from "./json-file.js";
export { DEFAULT_BASE_URL, DEFAULT_LAB_DIR, type LabConfig, LabDir, writeSoftHsmConf } from "./lab-dir.js";
export { openLabCard } from "./open-card.js";
