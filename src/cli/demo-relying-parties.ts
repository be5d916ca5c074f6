import { join } from "node:path";
import { missingPackages, RELYING_PARTY_KINDS, type RelyingParty, startRelyingParty } from "../../emulators/relying-party/index.js";
import type { PresentableCredential } from "../../fleet/agent/index.js";
import { writePresented } from "../../fleet/relying-parties/index.js";
import type { LabDir } from "../lab/index.js";

/**
 * The demo's last walk-through step: one derived credential at the real relying parties (FreeRADIUS EAP-TLS,
 * OpenVPN, nginx, openssl cms), accepted; then its device reported lost, and each relying party refuses it by its own
 * OCSP or CRL check. Returns the table rows, or says in one line what to install when a server is missing.
 */
export async function demoRelyingParties(lab: LabDir, credential: PresentableCredential, reportLost: () => void): Promise<(string | number)[][]> {
  const missing = missingPackages(RELYING_PARTY_KINDS);
  if (missing.length) {
    console.log(`\nrelying parties skipped: apt-get install ${missing.join(" ")}`);
    return [];
  }
  // The files `dpclab enroll --out` would write, so `dpclab use` can be tried on them afterwards.
  const files = writePresented(join(lab.root, "demo-credential"), credential);
  const parties: RelyingParty[] = [];
  try {
    for (const kind of RELYING_PARTY_KINDS) parties.push(await startRelyingParty(kind, lab));
    const rows: (string | number)[][] = [];
    const round = async (when: string) => {
      for (const rp of parties) {
        const v = await rp.authenticate(files);
        console.log(
          `  ${v.accepted ? "✓" : "✗"} ${rp.kind.padEnd(6)} ${v.accepted ? "accepted" : `refused (${v.reason})`} in ${v.latencyMs.toFixed(0)} ms — ${v.line}`,
        );
        rows.push([rp.kind, when, v.accepted ? "accepted" : `refused: ${v.reason}`, `${v.latencyMs.toFixed(0)} ms`]);
      }
    };
    console.log(`\nthe Entrust iOS credential at real relying parties (${parties.map((p) => p.describe().split(" on ")[0]).join(", ")})`);
    await round("valid");
    reportLost();
    console.log("its device reported lost: the issuer revokes the credential (DC-TRM-01); each relying party asks its own OCSP or CRL");
    await round("device lost");
    return rows;
  } finally {
    for (const p of parties) await p.close();
  }
}
