import { existsSync } from "node:fs";
import type { ProcessEnv } from "./process.js";

/**
 * A private key that stays in a PKCS#11 token (a virtual PIV card, a hardware keystore): the relying parties'
 * clients reach it through OpenSSL's pkcs11 engine (libengine-pkcs11-openssl) or, for OpenVPN, pkcs11-helper.
 */
export interface TokenKey {
  /** The PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: string;
  /** SoftHSM's configuration for the lab's tokens (SOFTHSM2_CONF). */
  softhsmConf: string;
  tokenLabel: string;
  /** The key's CKA_ID as hex (PIV Authentication is 01 in OpenSC's layout, Digital Signature 02). */
  id: string;
  /** The user PIN (a TEST card's). */
  pin: string;
}

const ENGINES = ["/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so", "/usr/lib/aarch64-linux-gnu/engines-3/pkcs11.so", "/usr/lib/engines-3/pkcs11.so"];

/** OpenSSL's pkcs11 engine, or undefined when libengine-pkcs11-openssl is not installed. */
export function findPkcs11Engine(): string | undefined {
  return ENGINES.find((p) => existsSync(p));
}

/** RFC 7512 URI of the private key, with the PIN (`pin-value`) when the client cannot be asked for it. */
export function tokenKeyUri(key: TokenKey, withPin: boolean): string {
  const pct = (s: string) =>
    [...Buffer.from(s, "utf8")]
      .map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, "0")}`))
      .join("");
  const id = key.id
    .match(/../g)!
    .map((h) => `%${h}`)
    .join("");
  return `pkcs11:token=${pct(key.tokenLabel)};id=${id};type=private${withPin ? `;pin-value=${pct(key.pin)}` : ""}`;
}

/** What a client process needs to find the token: the engine's module and SoftHSM's configuration. */
export function tokenEnv(key: TokenKey | undefined): ProcessEnv {
  return key ? { PKCS11_MODULE_PATH: key.module, SOFTHSM2_CONF: key.softhsmConf } : {};
}
