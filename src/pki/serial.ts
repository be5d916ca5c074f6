import { DpclabError } from "../errors.js";
import { crypto } from "./crypto.js";

/** Certificate serial numbers travel as lowercase hex of the DER INTEGER contents (as X509Certificate.serialNumber). */

/** CERT-14: positive, ≤20 octets, unpredictable: 16 random bytes, top bit clear, first octet non-zero (DER-minimal). */
export function randomSerial(): ArrayBuffer {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x40;
  return b.buffer;
}

export function serialFromHex(hex: string): ArrayBuffer {
  if (!/^[0-9a-fA-F]+$/.test(hex)) throw new DpclabError(`serial number must be hex, got "${hex}"`, "bad-serial");
  let bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  bytes = bytes.subarray(i);
  if (bytes.length === 1 && bytes[0] === 0) throw new DpclabError("serial number must be positive (CERT-14)", "bad-serial");
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  if (bytes.length > 20) {
    throw new DpclabError("serial number longer than 20 octets (CERT-14)", "bad-serial");
  }
  return new Uint8Array(bytes).buffer;
}

/** Lowercase hex of INTEGER contents, the form CertStatus lookups and CRL entries use. */
export function serialToHex(serial: ArrayBuffer | Uint8Array): string {
  return Buffer.from(serial instanceof Uint8Array ? serial : new Uint8Array(serial)).toString("hex");
}

/** Canonical form of a hex serial typed by someone: lowercase, DER-minimal (so "00ab" and "AB" compare equal). */
export function normalizeSerialHex(hex: string): string {
  return serialToHex(serialFromHex(hex));
}
