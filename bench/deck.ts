import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { benchLab } from "./lab-fixture.js";
import { type Figure, round } from "./results.js";

/**
 * Cards personalised per second with the SoftHSM token directory on tmpfs and on disk, in the same run.
 * docs/architecture.md measured SoftHSM provisioning ~10× faster on tmpfs; whole-card personalisation also includes
 * certificate issuance and the CHUID signature, which do not get faster on tmpfs.
 */
export async function benchDeck(cards = 20): Promise<Figure[]> {
  const diskDir = mkdtempSync(`${process.cwd()}/.bench-disk-`);
  try {
    const measure = async (dir: string) => {
      const lab = await benchLab(cards, dir);
      lab.remove();
      return cards / lab.seconds;
    };
    if (!existsSync("/dev/shm")) throw new Error("no /dev/shm on this machine");
    await measure("/dev/shm"); // warm-up: module load, JIT
    const tmpfs = await measure("/dev/shm");
    const disk = await measure(diskDir);
    return [
      { name: "cards_per_second_tmpfs", value: round(tmpfs, 1), unit: "cards/s" },
      { name: "cards_per_second_disk", value: round(disk, 1), unit: "cards/s" },
      { name: "deck_tmpfs_per_disk_ratio", value: round(tmpfs / disk), unit: "ratio" },
    ];
  } finally {
    rmSync(diskDir, { recursive: true, force: true });
  }
}
