/**
 * Card deck provisioning: ms per personalised virtual PIV card with the SoftHSM token directory on tmpfs vs on disk,
 * measured in the same run (these machines are noisy: only the ratio means something).
 *
 *   node dist/bench/deck-provisioning.js [--cards N]
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CardIssuer, createCards } from "../emulators/piv-ca/index.js";
import { systemClock } from "../src/clock.js";
import { LabDir } from "../src/lab/index.js";
import { recordBenchResults } from "./results.js";

const { values } = parseArgs({ options: { cards: { type: "string", default: "20" } } });
const cards = Number(values.cards);

async function msPerCard(scratchDir: string): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), "dpclab-bench-lab-"));
  try {
    const lab = new LabDir(root);
    const issuer = await CardIssuer.create(
      lab,
      { version: 1, alg: "p256", seed: "bench", baseUrl: "http://127.0.0.1:7800", createdAt: systemClock.now().toISOString() },
      systemClock,
    );
    const started = performance.now();
    await createCards(lab, issuer, { count: cards, seed: "bench", clock: systemClock, scratchDir });
    return (performance.now() - started) / cards;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (!existsSync("/dev/shm")) {
  console.error("no /dev/shm on this machine: nothing to compare");
  process.exit(1);
}
const diskDir = mkdtempSync(join(process.cwd(), ".bench-disk-"));
try {
  await msPerCard("/dev/shm"); // warm-up: module load, JIT
  const shm = await msPerCard("/dev/shm");
  const disk = await msPerCard(diskDir);
  const ratio = disk / shm;
  console.log(
    `deck provisioning, ${cards} P-256 cards each: tmpfs ${shm.toFixed(1)} ms/card, disk ${disk.toFixed(1)} ms/card → tmpfs is ${ratio.toFixed(1)}× faster`,
  );
  recordBenchResults({ deck_ms_per_card_tmpfs: round(shm), deck_ms_per_card_disk: round(disk), deck_tmpfs_speedup_ratio: round(ratio) });
} finally {
  rmSync(diskDir, { recursive: true, force: true });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
