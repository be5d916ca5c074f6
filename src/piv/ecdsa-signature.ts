import { concatBytes, derRead, derSequence, derUnsignedInteger } from "../der.js";

/** WebCrypto/PKCS#11 raw r||s → DER Ecdsa-Sig-Value (RFC 5480 §2.2.3), as CMS carries it. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  const n = raw.length / 2;
  return derSequence(derUnsignedInteger(raw.subarray(0, n)), derUnsignedInteger(raw.subarray(n)));
}

/** DER Ecdsa-Sig-Value → raw r||s with each half `size` bytes (32 for P-256, 48 for P-384). */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array {
  const seq = derRead(der);
  const r = derRead(seq.value, 0);
  const s = derRead(seq.value, r.end);
  const fitTo = (v: Uint8Array) => {
    const trimmed = v.subarray(Math.max(0, v.length - size));
    return concatBytes(new Uint8Array(size - trimmed.length), trimmed);
  };
  return concatBytes(fitTo(r.value), fitTo(s.value));
}
