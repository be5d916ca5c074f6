import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateKeyPairDer, generateSigningKey } from "../../src/pki/index.js";
import { p256Pkcs8FromJwk, p256SpkiFromJwk } from "../../src/pki/key-encoding.js";

const hex = (b: Uint8Array | Buffer) => Buffer.from(b).toString("hex");

describe("key encoding (DER SPKI and PKCS#8 of P-256 keys framed from JWK)", () => {
  it("frames P-256 keys byte for byte as OpenSSL's own DER encoders do (2,000 keys: leading zero bytes included)", () => {
    for (let i = 0; i < 2_000; i++) {
      // The JWK from the generation itself (key-encoding.ts: never export a fresh KeyObject), OpenSSL's DER from its import.
      const jwk = generateKeyPairSync("ec", { namedCurve: "P-256", privateKeyEncoding: { format: "jwk" } } as never).privateKey as unknown as JsonWebKey;
      const privateKey = createPrivateKey({ key: jwk, format: "jwk" });
      expect(hex(p256SpkiFromJwk(jwk))).toBe(hex(createPublicKey(privateKey).export({ type: "spki", format: "der" })));
      expect(hex(p256Pkcs8FromJwk(jwk))).toBe(hex(privateKey.export({ type: "pkcs8", format: "der" })));
    }
  });

  it("refuses a JWK that is not a full-length P-256 key", () => {
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384", publicKeyEncoding: { format: "jwk" } } as never).publicKey as unknown as JsonWebKey;
    expect(() => p256SpkiFromJwk(p384)).toThrow(/P-256/);
    expect(() => p256SpkiFromJwk({ kty: "EC", crv: "P-256", x: "AAAA", y: "AAAA" })).toThrow(/32-byte/);
  });

  it("generateSigningKey: the SPKI is the private key's public half, for every algorithm", () => {
    for (const alg of ["p256", "p384", "rsa2048"] as const) {
      const { privateKey, spki } = generateSigningKey(alg);
      expect(createPublicKey(privateKey).equals(createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" })), alg).toBe(true);
    }
  });

  it("generateKeyPairDer gives a pair OpenSSL reads back as one key", () => {
    for (const alg of ["p256", "p384", "rsa2048"] as const) {
      const { spki, pkcs8 } = generateKeyPairDer(alg);
      const privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
      expect(createPublicKey(privateKey).equals(createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" })), alg).toBe(true);
    }
  });
});
