// Transitional: moved to src/store/shape.ts; test/lab/json-file.test.ts still imports it from here.
export { anything, arrayOf, CorruptLabFile, integer, object, oneOf, optional, recordOf, type Shape, string } from "../store/index.js";
