import { RELYING_PARTY_KINDS, type RelyingPartyKind } from "../emulators/relying-party/index.js";
import { ISSUERS } from "../emulators/stack/index.js";
import type { PresentableCredential } from "../fleet/agent/index.js";
import { RelyingPartyPool } from "../fleet/relying-parties/index.js";
import { credential, isActive, type Model } from "./model.js";
import type { HeldCredential, World } from "./world.js";

/** Credentials judged per run at the most (each is a real exchange at every relying party). */
const MAX_JUDGED = 6;

/**
 * The end of a run, judged by real relying parties: every credential the devices held (revoked ones first, then the
 * newest, at most MAX_JUDGED), presented at nginx, OpenVPN, FreeRADIUS and (iOS, with its signing key) openssl cms
 * on the run's simulated clock. Each must accept exactly what the model says is neither revoked nor expired — a
 * revoked credential refused by every relying party, a renewed one accepted while its revoked predecessor is refused,
 * and after an issuer change the old credential still judged by its CA's status (the tenant's verdict is not theirs).
 * The deck serves the lab's CRLs and OCSP at the base URL its certificates name, answered by this run's stack.
 */
export async function judgeAtRelyingParties(m: Model, w: World): Promise<void> {
  const held = w.devices.flatMap((d) => d.history.map((h) => ({ h, platform: d.platform, expected: isActive(credential(m, h.model), m.now) })));
  const chosen = [...held.filter((x) => !x.expected), ...held.filter((x) => x.expected).reverse()].slice(0, MAX_JUDGED);
  if (chosen.length === 0) return;
  const status = w.deck.status;
  if (!status) throw new Error("the relying-parties scenario needs a deck that serves status (createDeck({ servesStatus: true }))");
  status.stack = w.stack;
  const pool = RelyingPartyPool.open(w.deck.lab, RELYING_PARTY_KINDS, ISSUERS, w.clock.now());
  const wrong: string[] = [];
  try {
    for (const { h, platform, expected } of chosen) {
      const presented = presentable(h);
      if (!presented) continue;
      const kinds: RelyingPartyKind[] = RELYING_PARTY_KINDS.filter(
        (k) => k !== "smime" || (platform === "ios" && presented.signingKey?.exportPkcs8 !== undefined),
      );
      for (const kind of kinds) {
        const v = await pool.authenticate(kind, presented, w.clock.now());
        w.count(`relying-party:${v.accepted ? "accepted" : `refused-${v.reason}`}`);
        if (v.accepted !== expected)
          wrong.push(
            `${kind} ${v.accepted ? "accepted" : `refused (${v.reason})`} credential ${h.model} (${h.issuer}, serial ${h.serialNumber}), which the model holds ${expected ? "valid" : "revoked or expired"}: ${v.line}`,
          );
      }
    }
  } finally {
    await pool.close();
    status.stack = undefined;
  }
  if (wrong.length) throw new Error(`the relying parties disagree with the credentials' status:\n  ${wrong.join("\n  ")}`);
}

function presentable(h: HeldCredential): PresentableCredential | undefined {
  if (!h.key?.exportPkcs8) return undefined;
  return {
    pivAuth: h.pivAuth,
    chain: h.chain,
    pivAuthKey: h.key,
    ...(h.signing ? { signing: h.signing } : {}),
    ...(h.signingKey ? { signingKey: h.signingKey } : {}),
  };
}
