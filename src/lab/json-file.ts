// Transitional: moved to src/store/json-file.ts; test/lab/json-file.test.ts loads the compiled dist/src/lab/json-file.js
// in worker threads. Import from src/store/index.js.
export * from "../store/index.js";
