import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateKeyPairDer, pkcs8Of, spkiOf } from "../../src/pki/index.js";

const hex = (b: Uint8Array | Buffer) => Buffer.from(b).toString("hex");

describe("key encoding (DER SPKI and PKCS#8 of node:crypto keys)", () => {
  it("frames P-256 keys byte for byte as OpenSSL's own DER encoders do (2,000 keys: leading zero bytes included)", () => {
    for (let i = 0; i < 2_000; i++) {
      const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      expect(hex(spkiOf(publicKey))).toBe(hex(publicKey.export({ type: "spki", format: "der" })));
      expect(hex(pkcs8Of(privateKey))).toBe(hex(privateKey.export({ type: "pkcs8", format: "der" })));
    }
  });

  it("takes OpenSSL's encoders for other keys (P-384, RSA)", () => {
    for (const kp of [generateKeyPairSync("ec", { namedCurve: "P-384" }), generateKeyPairSync("rsa", { modulusLength: 2048 })]) {
      expect(hex(spkiOf(kp.publicKey))).toBe(hex(kp.publicKey.export({ type: "spki", format: "der" })));
      expect(hex(pkcs8Of(kp.privateKey))).toBe(hex(kp.privateKey.export({ type: "pkcs8", format: "der" })));
    }
  });

  it("generateKeyPairDer gives a pair OpenSSL reads back as one key", () => {
    for (const alg of ["p256", "p384"] as const) {
      const { spki, pkcs8 } = generateKeyPairDer(alg);
      const privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
      expect(createPublicKey(privateKey).equals(createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }))).toBe(true);
    }
  });
});
