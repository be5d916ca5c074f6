import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { CardIssuer } from "../emulators/piv-ca/index.js";
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
import { systemClock } from "../src/clock.js";
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
  const dir = join(tmp, "lab");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  const parties: RelyingParty[] = [];
  try {
    await run(process.execPath, [DPCLAB, "cards", "create", "--dir", dir, "--count", "3", "--seed", "bench-rp", "--base-url", url]);
    server = spawn(process.execPath, [DPCLAB, "serve", "--dir", dir, "--port", String(port)], { stdio: "ignore" });
    await waitForServer(url);
    const derivedDir = join(tmp, "derived");
    await run(process.execPath, [DPCLAB, "enroll", "--dir", dir, "--issuer", "entrust", "--card", "1", "--platform", "ios", "--url", url, "--out", derivedDir]);
    const cardDir = join(tmp, "card");
    await run(process.execPath, [DPCLAB, "cards", "export", "--dir", dir, "--card", "2", "--out", cardDir]);
    const lab = new LabDir(dir);
    const record = (await CardIssuer.open(lab, systemClock)).cards()[2]!;
    // The same exchange on both sides: S/MIME signs and verifies only (a card has no escrowed encryption key here).
    const { encryption: _, ...derived } = loadCredential(derivedDir);
    const card = cardCredential(cardDir, { module: resolveModulePath(), softhsmConf: lab.ensureSoftHsmConf(), tokenLabel: record.tokenLabel, pin: record.pin });
    const figures: Figure[] = [];
    for (const kind of RELYING_PARTY_KINDS) {
      const party = await startRelyingParty(kind, lab);
      parties.push(party);
      let refusals = 0;
      // A refusal here is the relying party's own hiccup (OpenVPN's single-peer server now and then spends its
      // handshake window on the last client): tried again, at most twice, and counted in the figures.
      const exchange = (credential: CredentialFiles, who: string) => async () => {
        for (let attempt = 1; ; attempt++) {
          const v = await party.authenticate(credential);
          if (v.accepted) return;
          refusals++;
          if (attempt === 3) throw new Error(`${kind} refused the ${who} credential three times in the benchmark: ${v.line}`);
        }
      };
      const rates = await alternatingRates(exchange(derived, "derived"), exchange(card, "card"), { batches: BATCHES, batch: BATCH, warmUp: 2 });
      figures.push(
        { name: `rp_${kind}_derived_auths_per_s`, value: round(rates.a, 1), unit: "auth/s" },
        { name: `rp_${kind}_card_auths_per_s`, value: round(rates.b, 1), unit: "auth/s" },
        { name: `rp_${kind}_derived_per_card_ratio`, value: round(rates.a / rates.b, 3), unit: "ratio" },
        { name: `rp_${kind}_refused_then_retried`, value: refusals, unit: "exchanges" },
      );
    }
    return figures;
  } finally {
    for (const p of parties) await p.close().catch(() => undefined);
    if (server && server.exitCode === null) {
      const exited = new Promise((done) => server!.once("exit", done));
      server.kill("SIGTERM");
      await exited;
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function waitForServer(url: string): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/pki`)).ok) return;
    } catch {
      // not yet listening
    }
    if (Date.now() > until) throw new Error(`dpclab serve did not answer at ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
