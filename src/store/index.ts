// The lab's state below every component that keeps some: the lab store (SQLite by default, PostgreSQL for a shared
// lab, memory for a throwaway one) and, for what stays a file (lab.json, the CAs' PEM files, SoftHSM's config), the
// atomic writes and the shape checks of anything read back.
// It knows no lab layout (src/lab) and no card (src/piv); both use it, as do the emulators.
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
export { checkTable, type LabStore, type PutOptions, type StoreKind, type StoreTx, StoreUnavailable, StoreUnusable } from "./lab-store.js";
export { MemoryStore } from "./memory-store.js";
export { openStore } from "./open-store.js";
export { PostgresStore } from "./postgres-store.js";
export { SCHEMA_VERSION } from "./schema.js";
export { anything, arrayOf, CorruptLabFile, integer, object, oneOf, recordOf, type Shape, string } from "./shape.js";
export { SqliteStore } from "./sqlite-store.js";
