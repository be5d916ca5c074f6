import type { KeyObject } from "node:crypto";

/**
 * DER encodings of node:crypto keys, framed by hand for P-256. OpenSSL 3's DER encoders cost 10–25× its JWK export
 * (~150 µs against ~6 µs for a public key), and a fleet's renewal exports fresh keys every time; other keys take the
 * encoder. Tests compare every byte with OpenSSL's own output.
 */

/** SubjectPublicKeyInfo of a P-256 key up to the uncompressed point: SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING 04… */
export const P256_SPKI_HEAD = Buffer.from("3059301306072a8648ce3d020106082a8648ce3d03010703420004", "hex");

/** Whether a DER SubjectPublicKeyInfo is a P-256 key (id-ecPublicKey, prime256v1, uncompressed point). */
export function isP256Spki(der: Uint8Array): boolean {
  return der.length === 91 && Buffer.from(der.buffer, der.byteOffset, 27).equals(P256_SPKI_HEAD);
}

/** PKCS#8 (RFC 5208) of a P-256 key up to d: version 0, { id-ecPublicKey, prime256v1 }, OCTET STRING { ECPrivateKey v1, d … } (RFC 5915). */
const P256_PKCS8_HEAD = Buffer.from("308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420", "hex");
/** ECPrivateKey's [1] publicKey BIT STRING, up to the uncompressed point. */
const P256_PKCS8_PUBLIC = Buffer.from("a14403420004", "hex");

/** The DER SubjectPublicKeyInfo of a public key. */
export function spkiOf(publicKey: KeyObject): Uint8Array {
  if (publicKey.asymmetricKeyType === "ec") {
    const { crv, x, y } = publicKey.export({ format: "jwk" });
    if (crv === "P-256" && x && y) return new Uint8Array(Buffer.concat([P256_SPKI_HEAD, Buffer.from(x, "base64url"), Buffer.from(y, "base64url")]));
  }
  return new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
}

/** The DER PKCS#8 PrivateKeyInfo of a private key (with its public point, as OpenSSL writes it). */
export function pkcs8Of(privateKey: KeyObject): Uint8Array {
  if (privateKey.asymmetricKeyType === "ec") {
    const { crv, d, x, y } = privateKey.export({ format: "jwk" });
    if (crv === "P-256" && d && x && y) {
      const parts = [P256_PKCS8_HEAD, Buffer.from(d, "base64url"), P256_PKCS8_PUBLIC, Buffer.from(x, "base64url"), Buffer.from(y, "base64url")];
      return new Uint8Array(Buffer.concat(parts));
    }
  }
  return new Uint8Array(privateKey.export({ type: "pkcs8", format: "der" }));
}
