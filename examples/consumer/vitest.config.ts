import { defineConfig } from "vitest/config";

export default defineConfig({
  // SoftHSM cards and (where an engine runs) a container build: give the tests room.
  test: { include: ["test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 600_000 },
});
