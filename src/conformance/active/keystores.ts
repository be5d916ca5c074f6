import type { KeystoreKind } from "../../../emulators/derived/index.js";
import { type DeviceKey, type Keystore, SoftwareKeystore } from "../../../fleet/keystore/index.js";
import type { KeyAlgorithm } from "../../pki/index.js";

/**
 * Keystores the suite hands to the fleet's device clients to make a device misbehave in one precise way, so the
 * workflows themselves stay the fleet's (a probe is the real enrolment with one thing changed).
 */

/** A software keystore that remembers the keys it made (the suite needs them to try a renewal on the same key). */
export class RecordingKeystore implements Keystore {
  readonly keys: DeviceKey[] = [];
  readonly #inner = new SoftwareKeystore();

  constructor(readonly kind: KeystoreKind = "software") {}

  async generateKey(alg: KeyAlgorithm): Promise<DeviceKey> {
    const key = await this.#inner.generateKey(alg);
    this.keys.push(key);
    return key;
  }

  /** The last key made (the derived PIV Authentication key of an Android enrolment). */
  get last(): DeviceKey {
    const key = this.keys.at(-1);
    if (!key) throw new Error("the keystore made no key");
    return key;
  }
}

/** "Generates" a key certified before: what a device renewing on the same key sends (DC-MNT-06). */
export function replayingKeystore(key: DeviceKey): Keystore {
  return { kind: "software", generateKey: async () => key };
}

/** Keys whose CSR signature covers other bytes: a CSR without proof of possession (DC-ISS-12). */
export function tamperingKeystore(): Keystore {
  const inner = new SoftwareKeystore();
  return {
    kind: "software",
    async generateKey(alg) {
      const key = await inner.generateKey(alg);
      return { ...key, sign: (data: Uint8Array) => key.sign(new Uint8Array([...data, 0x00])) };
    },
  };
}
