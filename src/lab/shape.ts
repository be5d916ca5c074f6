// Transitional: moved to src/store/shape.ts; test/lab/json-file.test.ts still imports it from here.
export * from "../store/index.js";
