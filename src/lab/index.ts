export { DEFAULT_BASE_URL, DEFAULT_LAB_DIR, type LabConfig, LabDir, labConfigShape, writeSoftHsmConf } from "./lab-dir.js";
export { openLabCard } from "./open-card.js";
