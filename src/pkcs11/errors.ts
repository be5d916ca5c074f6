import { DpclabError } from "../errors.js";

/**
 * A PKCS#11 call failed. `ckr` is the return value's name (e.g. "CKR_PIN_INCORRECT"), which callers
 * match on; `code` is a stable dpclab reason ("pkcs11-ckr_pin_incorrect").
 */
export class Pkcs11Error extends DpclabError {
  constructor(
    readonly ckr: string,
    readonly method: string,
  ) {
    super(`PKCS#11 ${method} failed: ${ckr}`, `pkcs11-${ckr.toLowerCase()}`, 500);
    this.name = "Pkcs11Error";
  }
}

/** Runs one pkcs11js call and turns its native error into a Pkcs11Error. */
export function p11<T>(method: string, call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw toPkcs11Error(e, method);
  }
}

export function toPkcs11Error(e: unknown, method: string): Error {
  if (e instanceof Pkcs11Error) return e;
  if (e instanceof Error) {
    // pkcs11js puts the CKR_ name in `message` and the native function in `method`.
    const m = /CKR_[A-Z0-9_]+/.exec(e.message);
    if (m) return new Pkcs11Error(m[0], (e as { method?: string }).method || method);
    return new Pkcs11Error(e.message, method);
  }
  return new Pkcs11Error(String(e), method);
}

export function isCkr(e: unknown, ckr: string): boolean {
  return e instanceof Pkcs11Error && e.ckr === ckr;
}
