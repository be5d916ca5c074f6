import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { readJson, updateJson } from "../../src/lab/index.js";
import { tempDir } from "../helpers/cli.js";

// The compiled module (the global setup runs tsc), loaded by plain worker threads.
const compiled = pathToFileURL(resolve("dist/src/lab/json-file.js")).href;

function incrementer(path: string, key: string, times: number): Promise<void> {
  const code = `
    const { workerData, parentPort } = require("node:worker_threads");
    import(workerData.compiled).then(({ updateJson }) => {
      for (let i = 0; i < workerData.times; i++)
        updateJson(workerData.path, (all = {}) => ({ ...all, [workerData.key]: (all[workerData.key] ?? 0) + 1 }));
      parentPort.postMessage("done");
    });`;
  return new Promise((res, rej) => {
    const w = new Worker(code, { eval: true, workerData: { compiled, path, key, times } });
    w.once("message", () => res());
    w.once("error", rej);
  });
}

describe("updateJson", () => {
  it("threads updating different entries of one file lose no update, and leave no temp or lock file", async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "counters.json");
      await Promise.all([incrementer(path, "a", 150), incrementer(path, "b", 150), incrementer(path, "c", 150)]);
      expect(readJson(path)).toEqual({ a: 150, b: 150, c: 150 });
      expect(readdirSync(dir.path)).toEqual(["counters.json"]);
    } finally {
      dir.remove();
    }
  });

  it("an update that throws changes nothing and releases the lock", () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "s.json");
      updateJson(path, () => ({ n: 1 }));
      expect(() =>
        updateJson(path, () => {
          throw new Error("refused");
        }),
      ).toThrow("refused");
      expect(readJson(path)).toEqual({ n: 1 });
      expect(existsSync(`${path}.lock`)).toBe(false);
      expect(updateJson<{ n: number }>(path, (s) => ({ n: (s?.n ?? 0) + 1 }))).toEqual({ n: 2 });
    } finally {
      dir.remove();
    }
  });
});
