import { rmSync } from "node:fs";
import { type CredentialFiles, loadCredential, writeCredential } from "../../emulators/relying-party/index.js";
import type { PresentableCredential } from "../agent/index.js";

/**
 * A device's credential as files a relying party's client reads, in the layout `dpclab enroll --out` writes (the
 * certificates, their keys 0600, chain.pem with the intermediates), then checked by the same loader `dpclab use`
 * runs. The directory is the pool's scratch space: rewritten for every exchange, removed by `clear`.
 */
export function writePresented(dir: string, credential: PresentableCredential): CredentialFiles {
  rmSync(dir, { recursive: true, force: true });
  const { pivAuthKey, signingKey, ...certificates } = credential;
  const pivAuth = pivAuthKey?.exportPkcs8?.();
  const signing = signingKey?.exportPkcs8?.();
  writeCredential(dir, { ...certificates, ...(pivAuth ? { pivAuthKey: pivAuth } : {}), ...(signing ? { signingKey: signing } : {}) });
  return loadCredential(dir);
}

export function clearPresented(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
