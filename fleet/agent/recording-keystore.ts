import type { KeystoreKind } from "../../emulators/derived/index.js";
import type { KeyAlgorithm } from "../../src/pki/index.js";
import type { DeviceKey, Keystore } from "../keystore/index.js";

/**
 * A device keystore that remembers the keys it made, so the agent can find the key its certificate certifies (by
 * public key) — Intercede's automatic rekey is proved with the current derived key (DC-MNT-01).
 */
export class RecordingKeystore implements Keystore {
  #recent: DeviceKey[] = [];

  constructor(private readonly inner: Keystore) {}

  get kind(): KeystoreKind {
    return this.inner.kind;
  }

  async generateKey(alg: KeyAlgorithm): Promise<DeviceKey> {
    const key = await this.inner.generateKey(alg);
    this.#recent.push(key);
    return key;
  }

  /**
   * The recorded keys with these SubjectPublicKeyInfos (PIV Authentication, then S/MIME signing); forgets every
   * recorded key (the device keeps only what it needs).
   */
  take(...spkis: Uint8Array[]): (DeviceKey | undefined)[] {
    const found = spkis.map((spki) => this.#recent.find((k) => Buffer.compare(Buffer.from(k.publicKey), Buffer.from(spki)) === 0));
    this.#recent = [];
    return found;
  }
}
