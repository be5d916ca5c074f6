// A fleet worker thread: simulates one contiguous range of devices with its own stacks and VirtualClock.
import { parentPort, workerData } from "node:worker_threads";
import { CardIssuer } from "../../emulators/piv-ca/index.js";
import { VirtualClock } from "../../src/clock.js";
import { LabDir } from "../../src/lab/index.js";
import type { PivCard } from "../../src/piv/index.js";
import { planFleet } from "./fleet-options.js";
import type { IssuerLink } from "./issuer-link.js";
import { runShard } from "./shard.js";
import type { MainMessage, WorkerInput, WorkerMessage } from "./worker-protocol.js";

const post = (m: WorkerMessage) => parentPort!.postMessage(m);

async function main(input: WorkerInput): Promise<void> {
  const plan = planFleet(input.options);
  const lab = new LabDir(input.root);
  const start = new Date(input.start);
  const clock = new VirtualClock(start);
  const cards: PivCard[] = [];
  const links: IssuerLink[] = [];
  try {
    const cardIssuer = await CardIssuer.open(lab, clock);
    const { outcome, metrics, stormAt, stormWall, incidents } = await runShard({
      plan,
      lab,
      cardIssuer,
      start,
      clock,
      range: input.range,
      remote: false,
      cards,
      links,
      stormAt: (due) => {
        if (due === undefined) {
          post({ type: "storm-due", due: null });
          return Promise.resolve(Number.NaN);
        }
        const answer = new Promise<number>((resolve) => {
          const listen = (m: MainMessage) => {
            if (m.type !== "storm-at") return;
            parentPort!.off("message", listen);
            resolve(m.at);
          };
          parentPort!.on("message", listen);
        });
        post({ type: "storm-due", due });
        return answer;
      },
      onReady: () => post({ type: "ready" }),
      onDay: (p) => post({ type: "day", ...p, simulatedNow: p.simulatedNow.toISOString() }),
    });
    await closeAll(links, cards);
    post({
      type: "done",
      outcome,
      metrics: metrics.snapshot(),
      ...(stormAt !== undefined ? { stormAt } : {}),
      ...(stormWall ? { stormWall } : {}),
      ...(incidents ? { incidents } : {}),
    });
    // Stay until the main thread lets every worker go at once: a thread is never torn down while a sibling thread is
    // still inside SoftHSM (one library instance serves them all).
    await new Promise<void>((resolve) => {
      const listen = (m: MainMessage) => {
        if (m.type !== "exit") return;
        parentPort!.off("message", listen);
        resolve();
      };
      parentPort!.on("message", listen);
    });
  } finally {
    await closeAll(links, cards);
  }
}

/** Sessions only: the PKCS#11 library is the process's (C_Finalize here would end the other threads' sessions). */
async function closeAll(links: IssuerLink[], cards: PivCard[]): Promise<void> {
  for (const link of links.splice(0)) await link.close().catch(() => undefined);
  for (const card of cards.splice(0)) {
    try {
      card.close();
    } catch {
      // already closed
    }
  }
}

main(workerData as WorkerInput).catch((error: unknown) => {
  const e = error as { message?: string; code?: string };
  post({ type: "error", message: e?.message ?? String(error), ...(typeof e?.code === "string" ? { code: e.code } : {}) });
});
