export { DEFAULT_BASE_URL, DEFAULT_LAB_DIR, LabDir, writeSoftHsmConf, type LabConfig } from "./lab-dir.js";
export { readJson, writeJson } from "./json-file.js";
export { openLabCard } from "./open-card.js";
