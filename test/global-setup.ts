import { execFileSync } from "node:child_process";

/** CLI tests run the compiled command, as a user would: compile first (incremental, seconds). */
export default function setup(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { stdio: "inherit" });
}
