import { derBitString, derNull, derOid, derRead, derSequence, derUnsignedInteger } from "../der.js";
import { OIDS } from "../pki/index.js";

/** Named curves PIV keys may use (78-5: P-256, P-384), keyed by their OID. */
export const CURVE_OIDS = { p256: OIDS.p256, p384: OIDS.p384 } as const;

/**
 * CKA_EC_POINT holds the point wrapped in a DER OCTET STRING (PKCS#11 2.40 §2.3.3); some modules return it raw.
 * Returns the bare uncompressed point 04||X||Y.
 */
export function unwrapEcPoint(ecPoint: Uint8Array): Uint8Array {
  if (ecPoint[0] === 0x04) {
    try {
      const { value, end } = derRead(ecPoint);
      if (end === ecPoint.length && value[0] === 0x04 && value.length % 2 === 1) return value;
    } catch {
      // not DER-wrapped: fall through
    }
  }
  return ecPoint;
}

/** SubjectPublicKeyInfo (RFC 5480) for an EC public key, importable by WebCrypto as "spki". */
export function ecSpki(curve: keyof typeof CURVE_OIDS, ecPoint: Uint8Array): Uint8Array<ArrayBuffer> {
  return derSequence(derSequence(derOid(OIDS.ecPublicKey), derOid(CURVE_OIDS[curve])), derBitString(unwrapEcPoint(ecPoint)));
}

/** SubjectPublicKeyInfo (RFC 3279) for an RSA public key. */
export function rsaSpki(modulus: Uint8Array, publicExponent: Uint8Array): Uint8Array<ArrayBuffer> {
  const rsaPublicKey = derSequence(derUnsignedInteger(modulus), derUnsignedInteger(publicExponent));
  return derSequence(derSequence(derOid(OIDS.rsaEncryption), derNull()), derBitString(rsaPublicKey));
}
