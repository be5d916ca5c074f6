import { ecdsaRawToDer } from "../../src/piv/index.js";
import { type KeyAlgorithm, keyGenParams, signParams } from "../../src/pki/index.js";
import type { DeviceKey, Keystore } from "./keystore.js";

/** The default keystore of a simulated phone: WebCrypto keys, marked non-extractable. */
export class SoftwareKeystore implements Keystore {
  readonly kind = "software" as const;

  async generateKey(alg: KeyAlgorithm): Promise<DeviceKey> {
    const pair = (await crypto.subtle.generateKey(keyGenParams(alg), false, ["sign", "verify"])) as CryptoKeyPair;
    const publicKey = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
    const isEc = alg === "p256" || alg === "p384";
    return {
      alg,
      publicKey,
      async sign(data) {
        const signature = new Uint8Array(await crypto.subtle.sign(signParams(alg), pair.privateKey, data.slice()));
        return isEc ? ecdsaRawToDer(signature) : signature;
      },
    };
  }
}
