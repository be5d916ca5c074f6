import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CardIssuer, createCards } from "../emulators/piv-ca/index.js";
import { systemClock } from "../src/clock.js";
import { LabDir } from "../src/lab/index.js";

/** A throwaway lab for a benchmark; `scratchDir` says where SoftHSM tokens are built (tmpfs or disk). */
export async function benchLab(cards: number, scratchDir?: string): Promise<{ lab: LabDir; issuer: CardIssuer; seconds: number; remove: () => void }> {
  const root = mkdtempSync(join(tmpdir(), "dpclab-bench-"));
  const lab = new LabDir(root);
  const issuer = await CardIssuer.create(
    lab,
    { version: 1, alg: "p256", seed: "bench", baseUrl: "http://127.0.0.1:7800", createdAt: systemClock.now().toISOString() },
    systemClock,
  );
  const started = performance.now();
  await createCards(lab, issuer, { count: cards, seed: "bench", clock: systemClock, scratchDir });
  return { lab, issuer, seconds: (performance.now() - started) / 1000, remove: () => rmSync(root, { recursive: true, force: true }) };
}
