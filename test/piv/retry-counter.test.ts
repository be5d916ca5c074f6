import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { JsonFilePinRetryStore, MAX_PIN_TRIES, MemoryPinRetryStore } from "../../src/piv/index.js";
import { tempDir } from "../helpers/cli.js";

const compiled = pathToFileURL(resolve("dist/src/piv/retry-counter.js")).href;

/** A thread that reserves `times` attempts on one card and reports how many it was granted. */
function reserver(path: string, times: number): Promise<number> {
  const code = `
    const { workerData, parentPort } = require("node:worker_threads");
    import(workerData.compiled).then(({ JsonFilePinRetryStore }) => {
      const store = new JsonFilePinRetryStore(workerData.path);
      let granted = 0;
      for (let i = 0; i < workerData.times; i++) if (store.reserve("card-1", 10).granted) granted++;
      parentPort.postMessage(granted);
    });`;
  return new Promise((res, rej) => {
    const w = new Worker(code, { eval: true, workerData: { compiled, path, times } });
    w.once("message", res);
    w.once("error", rej);
  });
}

describe("PIN retry store: reserve an attempt before the token sees the PIN (DC-ACT-07)", () => {
  it("threads reserving at once are granted exactly MAX_PIN_TRIES attempts between them", async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "pin-counters.json");
      const granted = await Promise.all([reserver(path, 8), reserver(path, 8), reserver(path, 8), reserver(path, 8)]);
      expect(granted.reduce((a, b) => a + b, 0)).toBe(MAX_PIN_TRIES);
      expect(new JsonFilePinRetryStore(path).load("card-1")).toEqual({ triesLeft: 0, maxTries: 10 });
    } finally {
      dir.remove();
    }
  });

  it("a refund gives back an unjudged try, never above the maximum; reset restores the maximum", () => {
    const dir = tempDir();
    for (const store of [new MemoryPinRetryStore(), new JsonFilePinRetryStore(join(dir.path, "c.json"))]) {
      expect(store.reserve("c", 3)).toEqual({ granted: true, triesLeft: 2 });
      store.refund("c", 3);
      store.refund("c", 3);
      expect(store.load("c")).toEqual({ triesLeft: 3, maxTries: 3 });
      for (let i = 0; i < 3; i++) store.reserve("c", 3);
      expect(store.reserve("c", 3)).toEqual({ granted: false, triesLeft: 0 });
      expect(store.load("c")?.triesLeft).toBe(0);
      store.reset("c", 3);
      expect(store.load("c")).toEqual({ triesLeft: 3, maxTries: 3 });
    }
    dir.remove();
  });
});
