import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { DpclabError } from "../../src/errors.js";
import { anything, fileVersion, integer, object, readJson, recordOf, updateJson, writeJson } from "../../src/store/index.js";

const counters = recordOf(integer(0));

import { tempDir } from "../helpers/cli.js";

// The compiled module (the global setup runs tsc), loaded by plain worker threads.
const compiled = pathToFileURL(resolve("dist/src/store/json-file.js")).href;

function incrementer(path: string, key: string, times: number): Promise<void> {
  const code = `
    const { workerData, parentPort } = require("node:worker_threads");
    import(workerData.compiled).then(({ updateJson }) => {
      for (let i = 0; i < workerData.times; i++)
        updateJson(workerData.path, (v) => v, (all = {}) => ({ ...all, [workerData.key]: (all[workerData.key] ?? 0) + 1 }));
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
      expect({ ...readJson(path, counters) }).toEqual({ a: 150, b: 150, c: 150 });
      expect(readdirSync(dir.path)).toEqual(["counters.json"]);
    } finally {
      dir.remove();
    }
  });

  it("an update that throws changes nothing and releases the lock", () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "s.json");
      updateJson(path, anything, () => ({ n: 1 }));
      expect(() =>
        updateJson(path, anything, () => {
          throw new Error("refused");
        }),
      ).toThrow("refused");
      expect(readJson(path, anything)).toEqual({ n: 1 });
      expect(existsSync(`${path}.lock`)).toBe(false);
      expect(updateJson(path, object({ n: integer(0) }), (s) => ({ n: (s?.n ?? 0) + 1 }))).toEqual({ n: 2 });
    } finally {
      dir.remove();
    }
  });
});

describe("readJson checks what it reads (issue 10 item 10)", () => {
  const shape = object({ n: integer(0) });
  it.each([
    ["empty", "", /is empty/],
    ["truncated", '{"n": 1', /not valid JSON/],
    ["null", "null", /must be an object, not null/],
    ["{}", "{}", /n is missing \(must be a whole number/],
    ["a wrong type", '{"n": "1"}', /n must be a whole number .*not string/],
  ])("a file that is %s is one DpclabError naming the file", (_name, text, what) => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "lab.json");
      writeFileSync(path, text);
      let error: unknown;
      try {
        readJson(path, shape);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DpclabError);
      expect((error as Error).message).toContain(path);
      expect((error as Error).message).toMatch(what);
      expect((error as Error).message).not.toContain("\n");
    } finally {
      dir.remove();
    }
  });

  it("keys from the file stay data: __proto__ does not become a prototype", () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "c.json");
      writeFileSync(path, '{"__proto__": 3, "constructor": 4}');
      const read = readJson(path, counters) as Record<string, number>;
      expect(Object.getPrototypeOf(read)).toBe(null);
      expect(Object.getOwnPropertyDescriptor(read, "__proto__")?.value).toBe(3);
      expect(read.constructor).toBe(4);
      expect(read.toString).toBeUndefined();
    } finally {
      dir.remove();
    }
  });
});

describe("writeJson (issue 10 item 9)", () => {
  it("creates secrets files 0600, also when replacing a 0644 one", () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "deck.json");
      writeJson(path, []);
      expect(statSync(path).mode & 0o777).toBe(0o644);
      writeJson(path, [], { mode: 0o600 });
      expect(statSync(path).mode & 0o777).toBe(0o600);
      updateJson(path, anything, () => [1], { mode: 0o600 });
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir.path)).toEqual(["deck.json"]);
    } finally {
      dir.remove();
    }
  });

  it("every write is a new file version, even within one mtime tick", () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "s.json");
      expect(fileVersion(path)).toBe("");
      writeJson(path, { n: 1 });
      const first = fileVersion(path);
      writeJson(path, { n: 2 });
      expect(fileVersion(path)).not.toBe(first);
    } finally {
      dir.remove();
    }
  });
});
