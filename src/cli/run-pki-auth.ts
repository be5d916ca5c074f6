import type { CardIssuer, CardRecord } from "../../emulators/piv-ca/index.js";
import { pivCaHandler } from "../../emulators/piv-ca/index.js";
import { inProcessFetch } from "../../emulators/shared/index.js";
import type { Clock } from "../clock.js";
import { type LabDir, openLabCard } from "../lab/index.js";
import { type PkiAuthResult, type PkiAuthStep, pkiAuth } from "../piv/index.js";
import { createHttpRevocationChecker } from "../pki/index.js";

/**
 * Runs PKI-AUTH with a deck card against the lab's trust anchor. Revocation goes to the URLs in the certificates:
 * over real HTTP when `online` (a `dpclab pki serve` must answer there), else dispatched in-process to the card issuer.
 */
export async function runPkiAuth(
  lab: LabDir,
  issuer: CardIssuer,
  card: CardRecord,
  opts: { pin?: string; online?: boolean; clock: Clock; onStep?: (s: PkiAuthStep) => void },
): Promise<PkiAuthResult> {
  const fetchFn = opts.online ? fetch : inProcessFetch(pivCaHandler(issuer));
  const piv = openLabCard(lab, card.tokenLabel);
  try {
    return await pkiAuth({
      card: piv,
      pin: opts.pin ?? card.pin,
      trustAnchors: [issuer.root.certificate],
      intermediates: [issuer.pivCa.certificate],
      revocation: createHttpRevocationChecker(fetchFn),
      clock: opts.clock,
      onStep: opts.onStep,
    });
  } finally {
    piv.close();
  }
}

export function formatStep(s: PkiAuthStep): string {
  return `  ${s.ok ? "✓" : "✗"} ${s.step.padEnd(18)} ${s.detail}`;
}
