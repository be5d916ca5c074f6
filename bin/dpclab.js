#!/usr/bin/env node
// The dpclab command: runs the compiled CLI (npm run build, done by the quick-start scripts).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error("dpclab: not built yet; run `npm run build` (or the README's quick-start command)");
  process.exit(1);
}
await import(main.href);
