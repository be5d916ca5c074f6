import { existsSync } from "node:fs";
import { DpclabError } from "../errors.js";

/** Where distributions install SoftHSM's PKCS#11 module (Debian multiarch, plain, /usr/local builds). */
const SOFTHSM_CANDIDATES = [
  "/usr/lib/softhsm/libsofthsm2.so",
  "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/local/lib/softhsm/libsofthsm2.so",
];

/** The PKCS#11 module to load: DPCLAB_PKCS11_MODULE wins (e.g. OpenSC's module for a real card), else SoftHSM. */
export function resolveModulePath(): string {
  const fromEnv = process.env.DPCLAB_PKCS11_MODULE;
  if (fromEnv) return fromEnv;
  const found = SOFTHSM_CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  throw new DpclabError("SoftHSM not found: install softhsm2 (apt-get install softhsm2) or set DPCLAB_PKCS11_MODULE", "pkcs11-module-missing", 500);
}
