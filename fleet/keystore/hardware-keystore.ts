import { randomBytes } from "node:crypto";
import { ecdsaRawToDer, type Pkcs11Library, type Pkcs11Session } from "../../src/piv/index.js";
import type { KeyAlgorithm } from "../../src/pki/index.js";
import type { DeviceKey, Keystore } from "./keystore.js";

/**
 * A hardware-backed keystore (the phone's secure element) modelled as a SoftHSM token of its own: keys are generated
 * inside it, sensitive and non-extractable (DC-TOK-02), which is what makes the credential the -hardware (.41) kind.
 */
export class HardwareKeystore implements Keystore {
  readonly kind = "hardware" as const;

  #session?: Pkcs11Session;

  private constructor(
    private readonly lib: Pkcs11Library,
    readonly tokenLabel: string,
    private readonly pin: string,
  ) {}

  /** One logged-in session per secure element: SoftHSM shares the login across a token's sessions. */
  #open(): Pkcs11Session {
    if (!this.#session) {
      const slot = this.lib.findSlotByLabel(this.tokenLabel);
      if (!slot) throw new Error(`secure element token "${this.tokenLabel}" is gone`);
      const session = this.lib.openSession(slot, { readWrite: true });
      session.login("user", this.pin);
      this.#session = session;
    }
    return this.#session;
  }

  /** Initialises a token for one device; the label is what later sessions find it by (never the slot id). */
  static provision(lib: Pkcs11Library, deviceId: string): HardwareKeystore {
    const label = `DPCLAB TEST SE ${deviceId}`.slice(0, 32);
    const pin = randomBytes(4).toString("hex");
    lib.initToken(label, randomBytes(8).toString("hex"), pin);
    return new HardwareKeystore(lib, label, pin);
  }

  async generateKey(alg: KeyAlgorithm): Promise<DeviceKey> {
    const session = this.#open();
    const id = randomBytes(8);
    const { publicKey, privateKey } = session.generateKeyPair(alg, {
      id,
      privateLabel: "derived PIV AUTH key",
      publicLabel: "derived PIV AUTH pubkey",
      sign: true,
    });
    const spki = session.publicKeySpki(publicKey);
    const isEc = alg === "p256" || alg === "p384";
    return {
      alg,
      publicKey: spki,
      async sign(data) {
        const signature = session.sign(privateKey, alg, data);
        return isEc ? ecdsaRawToDer(signature) : signature;
      },
    };
  }
}
