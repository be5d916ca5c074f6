// The lab's files on disk, below every component that keeps state: JSON read and written atomically, merged under a
// lock, and checked against a shape on every read (a mis-shaped file is one line naming the file and the fault).
// It knows no lab layout (src/lab) and no card (src/piv); both use it, as do the emulators' state files.
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
export { anything, arrayOf, CorruptLabFile, integer, object, oneOf, recordOf, type Shape, string } from "./shape.js";
