import { X509Certificate } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CredentialFiles, loadCredential } from "../../emulators/relying-party/index.js";
import { toPem } from "../../src/pki/index.js";
import type { PresentableCredential } from "../agent/index.js";

/**
 * A device's credential as files a relying party's client reads, in the layout `dpclab enroll --out` writes (the
 * certificates, their keys 0600, chain.pem with the intermediates), then checked by the same loader `dpclab use`
 * runs. The directory is the pool's scratch space: rewritten for every exchange, removed by `clear`.
 */
export function writePresented(dir: string, credential: PresentableCredential): CredentialFiles {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const write = (name: string, der: Uint8Array, label: string) =>
    writeFileSync(join(dir, name), toPem(der, label), label === "PRIVATE KEY" ? { mode: 0o600 } : {});
  write("derived-piv-auth.pem", credential.pivAuth, "CERTIFICATE");
  if (credential.pivAuthKey) write("derived-piv-auth.key.pem", credential.pivAuthKey, "PRIVATE KEY");
  if (credential.signing) write("derived-signing.pem", credential.signing, "CERTIFICATE");
  if (credential.signing && credential.signingKey) write("derived-signing.key.pem", credential.signingKey, "PRIVATE KEY");
  // The intermediates: what the device sends along; the root is the relying party's own trust anchor.
  const intermediates = credential.chain.map((der) => new X509Certificate(der)).filter((c) => c.subject !== c.issuer);
  writeFileSync(join(dir, "chain.pem"), intermediates.map((c) => c.toString()).join(""));
  return loadCredential(dir);
}

export function clearPresented(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
