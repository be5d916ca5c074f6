import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARIES, findBinary, findLibfaketime, PACKAGE_OF, RELYING_PARTY_KINDS, type RelyingPartyKind } from "../../emulators/relying-party/index.js";
import { dpclab, freePort, startDpclab, tempDir } from "../helpers/cli.js";

/** Why a relying party's tests cannot run here (a binary missing that setup could not install), or undefined. */
export function missingFor(kind: RelyingPartyKind): string | undefined {
  const missing = BINARIES[kind].filter((b) => !findBinary(b));
  return missing.length ? `needs ${missing.join(", ")} (apt-get install ${missing.map((b) => PACKAGE_OF[b] ?? b).join(" ")})` : undefined;
}

/** Why relying parties on a simulated clock (a fleet's, a scenario's) cannot run here: each missing server or libfaketime. */
export function missingOnSimulatedClock(): string[] {
  const missing = RELYING_PARTY_KINDS.map(missingFor).filter((m): m is string => m !== undefined);
  return [...new Set([...missing, ...(findLibfaketime() ? [] : ["libfaketime (apt-get install faketime)"])])];
}

export interface ServedLab {
  dir: string;
  url: string;
  /** A fresh Entrust iOS credential (card 1): PIV Authentication, S/MIME signing and encryption with the escrowed key. */
  fresh: string;
  /** The same kind of credential (card 2), revoked with `dpclab credentials revoke` before the tests. */
  revoked: string;
  revokedSerial: string;
  /** A key and certificate from another TEST root, laid out like a credential directory. */
  untrusted: string;
  /** The fresh credential with its certificates swapped: the S/MIME signing pair as PIV Authentication and back. */
  wrongUsage: string;
  stop(): Promise<void>;
}

/** A lab served by `dpclab serve` (the issuers' CAs live there), with credentials enrolled over HTTP by `dpclab enroll`. */
export async function servedLab(seed: string): Promise<ServedLab> {
  const tmp = tempDir(`dpclab-rp-${seed}-`);
  const dir = join(tmp.path, "lab");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const created = await dpclab(["cards", "create", "--dir", dir, "--count", "3", "--seed", seed, "--base-url", url]);
  if (created.code !== 0) throw new Error(created.stderr);
  const server = await startDpclab(["serve", "--dir", dir, "--port", String(port)]);
  try {
    const enrol = async (card: number) => {
      const out = join(tmp.path, `card${card}`);
      const r = await dpclab(["enroll", "--dir", dir, "--issuer", "entrust", "--card", String(card), "--platform", "ios", "--url", url, "--out", out]);
      if (r.code !== 0) throw new Error(r.stdout + r.stderr);
      return out;
    };
    const fresh = await enrol(1);
    const revoked = await enrol(2);
    const revokedSerial = JSON.parse(readFileSync(join(revoked, "credential.json"), "utf8")).serialNumber as string;
    const r = await dpclab(["credentials", "revoke", "--dir", dir, "--serial", revokedSerial]);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
    const untrusted = untrustedCredential(join(tmp.path, "untrusted"));
    const wrongUsage = join(tmp.path, "wrong-usage");
    cpSync(fresh, wrongUsage, { recursive: true });
    for (const [from, to] of [
      ["derived-signing", "derived-piv-auth"],
      ["derived-piv-auth", "derived-signing"],
    ]) {
      for (const ext of [".pem", ".key.pem"]) copyFileSync(join(fresh, `${from}${ext}`), join(wrongUsage, `${to}${ext}`));
    }
    return {
      wrongUsage,
      dir,
      url,
      fresh,
      revoked,
      revokedSerial,
      untrusted,
      async stop() {
        await server.stop();
        tmp.remove();
      },
    };
  } catch (error) {
    await server.stop();
    tmp.remove();
    throw error;
  }
}

/** openssl makes another TEST root and a client/S-MIME certificate under it: what no lab relying party trusts. */
export function untrustedCredential(out: string): string {
  mkdirSync(out, { recursive: true });
  const ossl = (args: string[]) => execFileSync("openssl", args, { cwd: out, stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  ossl(["req", "-x509", ...ec, "-days", "30", "-subj", "/CN=DPCLAB TEST Untrusted Root/O=DPCLAB TEST", "-keyout", "ca.key.pem", "-out", "chain.pem"]);
  ossl(["req", ...ec, "-subj", "/CN=DPCLAB TEST untrusted user/O=DPCLAB TEST", "-keyout", "derived-piv-auth.key.pem", "-out", "leaf.csr"]);
  writeFileSync(
    join(out, "ext.cnf"),
    "keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=clientAuth,emailProtection\ncertificatePolicies=2.16.840.1.101.3.2.1.3.40,2.16.840.1.101.3.2.1.3.6\n",
  );
  ossl(["x509", "-req", "-in", "leaf.csr", "-CA", "chain.pem", "-CAkey", "ca.key.pem", "-days", "30", "-extfile", "ext.cnf", "-out", "derived-piv-auth.pem"]);
  writeFileSync(join(out, "derived-signing.pem"), readFileSync(join(out, "derived-piv-auth.pem")));
  writeFileSync(join(out, "derived-signing.key.pem"), readFileSync(join(out, "derived-piv-auth.key.pem")), { mode: 0o600 });
  return out;
}
