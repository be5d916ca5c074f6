import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pkcs11Library } from "../../src/pkcs11/index.js";
import { makeTempSoftHsm, type TempSoftHsm } from "../helpers/softhsm.js";

// Pkcs11Library finds tokens by label through an index (label → slot, confirmed with one C_GetTokenInfo) instead of
// scanning every slot per lookup, which made opening a deck of N cards O(N²) PKCS#11 calls.

let hsm: TempSoftHsm;
let lib: Pkcs11Library;
const SO = "12345678";
const PIN = "123456";

beforeAll(() => {
  hsm = makeTempSoftHsm();
  lib = Pkcs11Library.open({ softhsmConf: hsm.conf });
});
afterAll(() => {
  lib.close();
  hsm.cleanup();
});

/** Counts C_GetTokenInfo / C_GetSlotList calls made during `fn`. */
function counting<T>(fn: () => T): { result: T; tokenInfo: number; slotList: number } {
  const m = lib.module as unknown as Record<string, (...a: unknown[]) => unknown>;
  const info = m.C_GetTokenInfo as (...a: unknown[]) => unknown;
  const list = m.C_GetSlotList as (...a: unknown[]) => unknown;
  let tokenInfo = 0;
  let slotList = 0;
  m.C_GetTokenInfo = (...a) => {
    tokenInfo++;
    return info.apply(lib.module, a);
  };
  m.C_GetSlotList = (...a) => {
    slotList++;
    return list.apply(lib.module, a);
  };
  try {
    return { result: fn(), tokenInfo, slotList };
  } finally {
    delete m.C_GetTokenInfo;
    delete m.C_GetSlotList;
  }
}

describe("the token index", () => {
  const labels = Array.from({ length: 24 }, (_, i) => `DECK TEST ${i}`);

  beforeAll(() => {
    for (const label of labels) lib.initToken(label, SO, PIN);
  });

  it("finds every token a full scan finds, with the same slot and serial", () => {
    const scanned = lib.tokens();
    for (const label of labels) {
      const t = lib.token(label);
      expect(t).toEqual(scanned.find((s) => s.label === label));
      expect(lib.findSlotByLabel(label)?.equals(t?.slot as Buffer)).toBe(true);
    }
    expect(new Set(scanned.map((t) => t.serial)).size).toBe(scanned.length);
  });

  it("a known label costs one C_GetTokenInfo and no slot list: opening the deck is linear, not quadratic", () => {
    lib.tokens(); // index built
    const { tokenInfo, slotList } = counting(() => {
      for (const label of labels) expect(lib.token(label)?.label).toBe(label);
    });
    expect(tokenInfo).toBe(labels.length);
    expect(slotList).toBe(0);
  });

  it("an unknown label scans only the slots not seen before and the empty ones", () => {
    lib.tokens();
    const miss = counting(() => lib.token("NOT THERE TEST"));
    expect(miss.result).toBeUndefined();
    expect(miss.slotList).toBe(1);
    expect(miss.tokenInfo).toBeLessThanOrEqual(1); // SoftHSM's one empty slot
    // initToken: the existence check, the free slot, C_InitToken, and re-finding the renumbered slot stay O(1)
    const init = counting(() => lib.initToken("FRESH TEST", SO, PIN));
    expect(init.tokenInfo).toBeLessThanOrEqual(6);
    expect(lib.token("FRESH TEST")?.slot.equals(init.result)).toBe(true);
    expect(
      lib
        .tokens()
        .find((t) => t.label === "FRESH TEST")
        ?.slot.equals(init.result),
    ).toBe(true);
  });

  it("tokens made by another process appear after reinitialize(), which drops the index", () => {
    execFileSync("softhsm2-util", ["--init-token", "--free", "--label", "OTHER PROCESS TEST", "--so-pin", SO, "--pin", PIN], { env: hsm.env, stdio: "ignore" });
    expect(lib.token("OTHER PROCESS TEST")).toBeUndefined(); // SoftHSM reads its token directory at C_Initialize only
    lib.reinitialize();
    expect(lib.token("OTHER PROCESS TEST")?.label).toBe("OTHER PROCESS TEST");
    for (const label of labels) expect(lib.token(label)?.label).toBe(label);
    // and tokens this process makes afterwards are found too (the free slot changed under the old index)
    lib.initToken("AFTER REINIT TEST", SO, PIN);
    expect(lib.token("AFTER REINIT TEST")?.label).toBe("AFTER REINIT TEST");
  });

  it("a token initialised by a worker thread (its own index, the same SoftHSM) is found here; known ones still resolve", async () => {
    const dist = fileURLToPath(new URL("../../dist/src/pkcs11/index.js", import.meta.url));
    if (!existsSync(dist)) throw new Error(`${dist} missing: the global setup compiles it`);
    lib.tokens(); // this thread's index knows the empty slot, which the worker is about to fill
    const code = `
      const { parentPort, workerData } = require("node:worker_threads");
      import(workerData.dist).then(({ Pkcs11Library }) => {
        const lib = Pkcs11Library.open({ softhsmConf: workerData.conf });
        lib.initToken("WORKER TEST", "${SO}", "${PIN}");
        parentPort.postMessage(lib.token("DECK TEST 3")?.label ?? "missing");
      }).catch((e) => parentPort.postMessage("error: " + e.message));
    `;
    const answer = await new Promise<string>((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { dist, conf: hsm.conf } });
      w.once("message", (m: string) => {
        resolve(m);
        void w.terminate();
      });
      w.once("error", reject);
    });
    expect(answer).toBe("DECK TEST 3");
    expect(lib.token("WORKER TEST")?.label).toBe("WORKER TEST");
    expect(lib.token("DECK TEST 7")?.label).toBe("DECK TEST 7");
    const next = lib.initToken("MAIN AFTER WORKER TEST", SO, PIN);
    expect(lib.token("MAIN AFTER WORKER TEST")?.slot.equals(next)).toBe(true);
    expect(lib.tokens().map((t) => t.label)).toEqual(expect.arrayContaining(["WORKER TEST", "MAIN AFTER WORKER TEST", ...labels]));
  });
});
