import { CardIssuer } from "../../emulators/piv-ca/index.js";
import { systemClock } from "../clock.js";
import { LabDir } from "../lab/index.js";

/**
 * The CLI is the composition root: the one place in src/ that wires emulators together with the core.
 * Everything else in src/ imports nothing outside src/ (docs/architecture.md).
 */
export async function openLab(dir: string | undefined): Promise<{ lab: LabDir; issuer: CardIssuer }> {
  const lab = new LabDir(dir);
  const issuer = await CardIssuer.open(lab, systemClock);
  return { lab, issuer };
}
