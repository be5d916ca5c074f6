import { sign } from "node:crypto";
import { generateSigningKey, hashFor, type KeyAlgorithm } from "../../src/pki/index.js";
import type { DeviceKey, Keystore } from "./keystore.js";

/**
 * The default keystore of a simulated phone: node:crypto key pairs whose private half never leaves this closure
 * (nothing exports it). Synchronous node:crypto rather than WebCrypto: a fleet signs one request at a time, and an
 * awaited WebCrypto signature costs several times a synchronous one (docs/architecture.md rates).
 */
export class SoftwareKeystore implements Keystore {
  readonly kind = "software" as const;

  /** `exportable`: its keys can be written out for a relying party's client (DeviceKey.exportPkcs8); default not. */
  constructor(private readonly opts: { exportable?: boolean } = {}) {}

  async generateKey(alg: KeyAlgorithm): Promise<DeviceKey> {
    const { privateKey, spki } = generateSigningKey(alg);
    const hash = hashFor(alg) === "SHA-256" ? "sha256" : "sha384";
    return {
      alg,
      publicKey: spki,
      // X.509-style: DER Ecdsa-Sig-Value for EC, PKCS#1 v1.5 for RSA (CERT-13)
      async sign(data) {
        return new Uint8Array(sign(hash, data, { key: privateKey, dsaEncoding: "der" }));
      },
      ...(this.opts.exportable ? { exportPkcs8: () => new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" })) } : {}),
    };
  }
}
