import { DpclabError } from "../errors.js";

/** PIV Card PIN: 6–8 ASCII digits (73-4 Pt2 §2.4.3; DC-ACT-07). */
export function validatePin(pin: string): void {
  if (typeof pin !== "string" || !/^\d{6,8}$/.test(pin)) {
    throw new DpclabError("a PIN is 6 to 8 digits (SP 800-73-4 Pt2 §2.4.3)", "bad-pin");
  }
}

/** PIV PUK: exactly 8 bytes (73-4 Pt2 §2.4.3); dpclab uses 8 digits so it can be typed anywhere. */
export function validatePuk(puk: string): void {
  if (typeof puk !== "string" || !/^\d{8}$/.test(puk)) {
    throw new DpclabError("a PUK is exactly 8 digits (SP 800-73-4 Pt2 §2.4.3)", "bad-puk");
  }
}
