import type { JsonWebKey } from "node:crypto";

/**
 * DER encodings of P-256 keys framed by hand from their JWK coordinates. OpenSSL 3's DER encoders cost 10–25× its JWK
 * export (~150 µs against ~6 µs for a public key), and a fleet's renewal makes fresh keys every time. The JWK must come
 * from generateKeyPairSync's own publicKeyEncoding/privateKeyEncoding (keys.ts), never from exporting a fresh
 * KeyObject: on Node 20, `keyObject.export({ format: "jwk" })` can deadlock when a garbage collection during the export
 * finalises the key's generation job, which takes the key's lock the export holds (a 2-thread stress loop hangs within
 * ~20,000 keys). Tests compare every byte with OpenSSL's own output.
 */

/** SubjectPublicKeyInfo of a P-256 key up to the uncompressed point: SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING 04… */
export const P256_SPKI_HEAD = Buffer.from("3059301306072a8648ce3d020106082a8648ce3d03010703420004", "hex");

/** PKCS#8 (RFC 5208) of a P-256 key up to d: version 0, { id-ecPublicKey, prime256v1 }, OCTET STRING { ECPrivateKey v1, d … } (RFC 5915). */
const P256_PKCS8_HEAD = Buffer.from("308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420", "hex");
/** ECPrivateKey's [1] publicKey BIT STRING, up to the uncompressed point. */
const P256_PKCS8_PUBLIC = Buffer.from("a14403420004", "hex");

/** Whether a DER SubjectPublicKeyInfo is a P-256 key (id-ecPublicKey, prime256v1, uncompressed point). */
export function isP256Spki(der: Uint8Array): boolean {
  return der.length === 91 && Buffer.from(der.buffer, der.byteOffset, 27).equals(P256_SPKI_HEAD);
}

/** The DER SubjectPublicKeyInfo of a P-256 public JWK. */
export function p256SpkiFromJwk(jwk: JsonWebKey): Uint8Array {
  return new Uint8Array(Buffer.concat([P256_SPKI_HEAD, coordinate(jwk, "x"), coordinate(jwk, "y")]));
}

/** The DER PKCS#8 PrivateKeyInfo of a P-256 private JWK (with its public point, as OpenSSL writes it). */
export function p256Pkcs8FromJwk(jwk: JsonWebKey): Uint8Array {
  return new Uint8Array(Buffer.concat([P256_PKCS8_HEAD, coordinate(jwk, "d"), P256_PKCS8_PUBLIC, coordinate(jwk, "x"), coordinate(jwk, "y")]));
}

/** A 32-byte JWK member (RFC 7518 §6.2: coordinates and d are full length). */
function coordinate(jwk: JsonWebKey, name: "x" | "y" | "d"): Buffer {
  const bytes = typeof jwk[name] === "string" ? Buffer.from(jwk[name] as string, "base64url") : Buffer.alloc(0);
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || bytes.length !== 32) throw new TypeError(`not a P-256 JWK with a 32-byte "${name}"`);
  return bytes;
}
