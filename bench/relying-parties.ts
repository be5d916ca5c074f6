import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import {
  type CredentialFiles,
  cardCredential,
  findPkcs11Engine,
  freePort,
  loadCredential,
  missingPackages,
  RELYING_PARTY_KINDS,
  type RelyingParty,
  startRelyingParty,
} from "../emulators/relying-party/index.js";
import { createLab, startServer } from "../src/api/index.js";
import { LabDir } from "../src/lab/index.js";
import { resolveModulePath } from "../src/pkcs11/index.js";
import { alternatingRates, type Figure, round } from "./results.js";

const DPCLAB = resolve(import.meta.dirname, "../../bin/dpclab.js");
const run = promisify(execFile);
/** Exchanges per batch and batches per side: each exchange is a real client process against a real server. */
const BATCH = 5;
const BATCHES = 4;

/**
 * Relying-party authentications per second for each kind (nginx via curl, OpenVPN, FreeRADIUS via eapol_test,
 * openssl cms), with a derived credential (its keys in files, as a software keystore hands them over) against the
 * same exchange with the card's own credential — its PIV Authentication certificate (Digital Signature for S/MIME),
 * the key staying in the card's SoftHSM token behind PKCS#11 (OpenSSL's pkcs11 engine; pkcs11-helper for OpenVPN).
 * Same lab, same servers, alternating batches: the ratio is derived per card.
 */
export async function benchRelyingParties(): Promise<Figure[]> {
  const missing = [...missingPackages(RELYING_PARTY_KINDS), ...(findPkcs11Engine() ? [] : ["libengine-pkcs11-openssl"])];
  if (missing.length) {
    console.warn(`relying-parties bench skipped: apt-get install ${missing.join(" ")}`);
    return [];
  }
  const tmp = mkdtempSync(join(tmpdir(), "dpclab-bench-rp-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // The library's lab, served here; `dpclab enroll` and `dpclab cards export` write the two credentials as files.
  const lab = await createLab({ dir: join(tmp, "lab"), cards: 3, seed: "bench-rp", baseUrl: url });
  const parties: RelyingParty[] = [];
  try {
    await startServer(lab, { port });
    const derivedDir = join(tmp, "derived");
    await run(process.execPath, [
      DPCLAB,
      "enroll",
      "--dir",
      lab.dir,
      "--issuer",
      "entrust",
      "--card",
      "1",
      "--platform",
      "ios",
      "--url",
      url,
      "--out",
      derivedDir,
    ]);
    const cardDir = join(tmp, "card");
    await run(process.execPath, [DPCLAB, "cards", "export", "--dir", lab.dir, "--card", "2", "--out", cardDir]);
    const record = lab.cards[2]!;
    // The same exchange on both sides: S/MIME signs and verifies only (a card has no escrowed encryption key here).
    const { encryption: _, ...derived } = loadCredential(derivedDir);
    const card = cardCredential(cardDir, { module: resolveModulePath(), softhsmConf: lab.softhsmConf, tokenLabel: record.tokenLabel, pin: record.pin });
    const labDir = new LabDir(lab.dir);
    const figures: Figure[] = [];
    for (const kind of RELYING_PARTY_KINDS) {
      const party = await startRelyingParty(kind, labDir);
      parties.push(party);
      // The relying parties absorb their own servers' hiccups (vpn.ts); a refusal here is a broken benchmark.
      const exchange = (credential: CredentialFiles, who: string) => async () => {
        const v = await party.authenticate(credential);
        if (!v.accepted) throw new Error(`${kind} refused the ${who} credential in the benchmark: ${v.line}`);
      };
      const rates = await alternatingRates(exchange(derived, "derived"), exchange(card, "card"), { batches: BATCHES, batch: BATCH, warmUp: 2 });
      figures.push(
        { name: `rp_${kind}_derived_auths_per_s`, value: round(rates.a, 1), unit: "auth/s" },
        { name: `rp_${kind}_card_auths_per_s`, value: round(rates.b, 1), unit: "auth/s" },
        { name: `rp_${kind}_derived_per_card_ratio`, value: round(rates.a / rates.b, 3), unit: "ratio" },
      );
    }
    return figures;
  } finally {
    for (const p of parties) await p.close().catch(() => undefined);
    await lab.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
