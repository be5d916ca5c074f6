import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CardIssuer } from "../../emulators/piv-ca/index.js";
import {
  type CredentialFiles,
  cardCredential,
  findPkcs11Engine,
  loadCredential,
  type RelyingParty,
  type RelyingPartyKind,
  startRelyingParty,
  type Verdict,
} from "../../emulators/relying-party/index.js";
import { systemClock } from "../../src/clock.js";
import { LabDir } from "../../src/lab/index.js";
import { resolveModulePath } from "../../src/pkcs11/index.js";
import { dpclab } from "../helpers/cli.js";
import { missingFor, type ServedLab, servedLab } from "./served-lab.js";

// Issue 13: real relying parties from Debian's packages, started by the lab on 127.0.0.1, judge derived credentials by
// their own checks — a fresh one is accepted, one revoked by `dpclab credentials revoke` is refused by the relying
// party's own OCSP or re-fetched CRL, one from another root is refused as untrusted. Each server starts once.
let lab: ServedLab;
const parties = new Map<string, RelyingParty>();
/** What each relying party said, printed at the end (latencies on this machine). */
const said: string[] = [];

beforeAll(async () => {
  lab = await servedLab("relying-parties");
}, 60_000);
afterAll(async () => {
  console.log(said.join("\n"));
  for (const rp of parties.values()) await rp.close();
  await lab?.stop();
  // Nothing the relying parties started is left running.
  expect(processesUnder(lab.dir)).toEqual([]);
});

let cardOwn: CredentialFiles | undefined;
/** Card 0's certificates exported by `dpclab cards export`, its keys in its token. */
async function cardOwnCredential(): Promise<CredentialFiles> {
  if (cardOwn) return cardOwn;
  const out = join(lab.dir, "..", "card0");
  const r = await dpclab(["cards", "export", "--dir", lab.dir, "--card", "0", "--out", out]);
  if (r.code !== 0) throw new Error(r.stderr);
  const labDir = new LabDir(lab.dir);
  const record = (await CardIssuer.open(labDir, systemClock)).cards()[0]!;
  cardOwn = cardCredential(out, { module: resolveModulePath(), softhsmConf: labDir.ensureSoftHsmConf(), tokenLabel: record.tokenLabel, pin: record.pin });
  return cardOwn;
}

function processesUnder(dir: string): string[] {
  const ps = execFileSync("ps", ["-eo", "pid=,args="]).toString("utf8");
  return ps.split("\n").filter((l) => l.includes(`${dir}/relying-parties`) && !l.includes("ps -eo"));
}

const cases: { kind: RelyingPartyKind; name: string; vpnStatus?: "crl" | "ocsp"; line: RegExp; refusedLine: RegExp }[] = [
  { kind: "app", name: "app (nginx, ssl_ocsp)", line: /^HTTP 200/, refusedLine: /^HTTP 400 — nginx: client SSL certificate verify error/ },
  {
    kind: "smime",
    name: "smime (openssl cms, CRL)",
    line: /CMS Verification successful; encrypted .* decrypted with the escrowed key/,
    refusedLine: /Verification failure/,
  },
  { kind: "vpn", name: "vpn (OpenVPN, --crl-verify)", vpnStatus: "crl", line: /Peer Connection Initiated/, refusedLine: /VERIFY ERROR/ },
  {
    kind: "vpn",
    name: "vpn (OpenVPN, OCSP --tls-verify)",
    vpnStatus: "ocsp",
    line: /OCSP: good .*Peer Connection Initiated/,
    refusedLine: /VERIFY SCRIPT ERROR|VERIFY ERROR/,
  },
  { kind: "wifi", name: "wifi (FreeRADIUS EAP-TLS, OCSP)", line: /^eapol_test: SUCCESS/, refusedLine: /^eapol_test: FAILURE/ },
];

for (const c of cases) {
  const missing = missingFor(c.kind);
  describe.skipIf(missing)(`${c.name}${missing ? ` — skipped: ${missing}` : ""}`, () => {
    const judge = async (dir: string | CredentialFiles): Promise<Verdict> => {
      let rp = parties.get(c.name);
      if (!rp) {
        rp = await startRelyingParty(c.kind, new LabDir(lab.dir), { vpnStatus: c.vpnStatus });
        parties.set(c.name, rp);
      }
      const verdict = await rp.authenticate(typeof dir === "string" ? loadCredential(dir) : dir);
      said.push(`${c.name}: ${verdict.reason} ${verdict.latencyMs.toFixed(0)} ms — ${verdict.line}`);
      return verdict;
    };

    it("accepts a fresh derived credential", async () => {
      const v = await judge(lab.fresh);
      expect(v, v.line).toMatchObject({ kind: c.kind, accepted: true, reason: "accepted" });
      expect(v.line).toMatch(c.line);
      expect(v.latencyMs).toBeGreaterThan(0);
    });

    it("refuses it once revoked, by its own status check", async () => {
      const v = await judge(lab.revoked);
      expect(v, v.line).toMatchObject({ accepted: false, reason: "revoked" });
      expect(v.line).toMatch(c.refusedLine);
      expect(v.line).toMatch(/revoked/i);
    });

    it("refuses a certificate made for another use (S/MIME signing as PIV Authentication, and back) as wrong key usage", async () => {
      const v = await judge(lab.wrongUsage);
      expect(v, v.line).toMatchObject({ accepted: false, reason: "wrong-key-usage" });
    });

    it("refuses a certificate from another root as untrusted", async () => {
      const v = await judge(lab.untrusted);
      expect(v, v.line).toMatchObject({ accepted: false, reason: "untrusted" });
    });

    // The baseline of bench/relying-parties.ts: the card's own PIV Authentication (S/MIME: Digital Signature)
    // certificate, its key never leaving the card's SoftHSM token (OpenSSL's pkcs11 engine, OpenVPN's pkcs11-helper).
    it.skipIf(!findPkcs11Engine())(
      `accepts the card's own credential with its key left in the card's token${findPkcs11Engine() ? "" : " — skipped: apt-get install libengine-pkcs11-openssl"}`,
      async () => {
        const v = await judge(await cardOwnCredential());
        expect(v, v.line).toMatchObject({ accepted: true, reason: "accepted" });
        expect(v.line).toMatch(c.kind === "smime" ? /CMS Verification successful/ : c.line);
      },
    );
  });
}

// A credential revoked while the relying parties are running must be refused at the next authentication: OpenVPN
// with CRLs once kept accepting it (its running TLS-mode server does not take a changed CRL file; it is now started
// again when the re-fetched CRLs changed).
const runningCases = cases.filter((c) => !missingFor(c.kind));
describe.skipIf(runningCases.length === 0)("revoked while the relying parties run", () => {
  it("each relying party accepts a fresh credential, then refuses it at its next authentication once it is revoked", async () => {
    const out = join(lab.dir, "..", "revoked-while-running");
    const enrolled = await dpclab(["enroll", "--dir", lab.dir, "--issuer", "entrust", "--card", "0", "--platform", "ios", "--url", lab.url, "--out", out]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const running = await Promise.all(
      runningCases.map(async (c) => ({ c, rp: await startRelyingParty(c.kind, new LabDir(lab.dir), { vpnStatus: c.vpnStatus }) })),
    );
    try {
      for (const { c, rp } of running) expect((await rp.authenticate(loadCredential(out))).accepted, c.name).toBe(true);
      const serial = loadCredential(out).pivAuth.serialNumber;
      const revoked = await dpclab(["credentials", "revoke", "--dir", lab.dir, "--serial", serial]);
      expect(revoked.code, revoked.stderr).toBe(0);
      for (const { c, rp } of running) {
        const v = await rp.authenticate(loadCredential(out));
        expect(v, `${c.name}: ${v.line}`).toMatchObject({ accepted: false, reason: "revoked" });
      }
    } finally {
      for (const { rp } of running) await rp.close();
    }
  });
});
