import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

// docker-compose.yml must stay valid without a container engine: Debian's docker-compose checks it offline.
const compose = spawnSync("docker-compose", ["version"], { encoding: "utf8" });
const composeMissing = compose.error ? "docker-compose is not installed (apt-get install docker-compose)" : "";

describe("docker-compose.yml", () => {
  it.skipIf(Boolean(composeMissing))(`is valid per \`docker-compose config\`${composeMissing ? ` — SKIPPED: ${composeMissing}` : ""}`, () => {
    const config = execFileSync("docker-compose", ["-f", "docker-compose.yml", "config"], { encoding: "utf8" });
    expect(config).toMatch(/\n {2}lab-init:\n/);
    expect(config).toMatch(/\n {2}lab:\n/);
    expect(config).toContain("serve");
    expect(config).toContain("127.0.0.1");
  });
});
