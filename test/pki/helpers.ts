import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CertificateAuthority, exportSpki, generateKeyPair, type IssuerPublication, type KeyAlgorithm, toPem } from "../../src/pki/index.js";
import type { X509Certificate } from "../../src/x509.js";

export const DAY = 86_400_000;
/** A month ago, in whole seconds (certificates carry no milliseconds), so tools that read the real clock agree. */
export const T0 = new Date(Math.floor(Date.now() / 1000) * 1000 - 30 * DAY);

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "dpclab-pki-"));
}

export function publication(name: string, base = "http://127.0.0.1:1"): IssuerPublication {
  return {
    caIssuersUrl: `${base}/aia/${name}.p7c`,
    ocspUrl: `${base}/ocsp/${name}`,
    crlUrl: `${base}/crl/${name}.crl`,
  };
}

export interface TestPki {
  root: CertificateAuthority;
  issuing: CertificateAuthority;
}

export async function makePki(alg: KeyAlgorithm = "p256", base?: string): Promise<TestPki> {
  const root = await CertificateAuthority.createRoot({
    commonName: "C=US,O=DPCLAB TEST,CN=DPCLAB TEST Root CA",
    alg,
    notBefore: new Date(T0.getTime() - DAY),
    notAfter: new Date(T0.getTime() + 3650 * DAY),
    publication: publication("root", base),
  });
  const issuing = await root.createSubordinate({
    commonName: "DPCLAB TEST PIV CA",
    alg,
    notBefore: new Date(T0.getTime() - DAY),
    notAfter: new Date(T0.getTime() + 1825 * DAY),
    publication: publication("piv", base),
  });
  return { root, issuing };
}

export async function newSpki(alg: KeyAlgorithm = "p256"): Promise<Uint8Array> {
  return exportSpki((await generateKeyPair(alg)).publicKey);
}

export function writePem(dir: string, name: string, ...certs: X509Certificate[]): string {
  const path = join(dir, name);
  writeFileSync(path, certs.map((c) => c.toString("pem")).join("\n"));
  return path;
}

export function writeDer(dir: string, name: string, der: ArrayBuffer | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, der instanceof Uint8Array ? der : new Uint8Array(der));
  return path;
}

export function writeCrlPem(dir: string, name: string, der: ArrayBuffer): string {
  const path = join(dir, name);
  writeFileSync(path, toPem(der, "X509 CRL"));
  return path;
}

/** Runs openssl; returns exit status and combined output (OpenSSL is the independent judge). */
export function openssl(args: string[], input?: Uint8Array): { status: number; out: string } {
  const r = spawnSync("openssl", args, { input, encoding: "buffer" });
  return { status: r.status ?? -1, out: `${r.stdout.toString()}${r.stderr.toString()}` };
}

export function opensslText(certPath: string): string {
  return execFileSync("openssl", ["x509", "-in", certPath, "-noout", "-text"]).toString();
}

export const FASCN = new Uint8Array(25).map((_, i) => (i * 37 + 11) & 0xff);
export const CARD_UUID = "3c9a1d64-0b5e-4f2a-9c1e-7d2b8a6f4e10";
