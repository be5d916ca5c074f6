import type { KeystoreKind } from "../../emulators/derived/index.js";
import type { KeyAlgorithm } from "../../src/pki/index.js";

/**
 * A device key pair generated in the device (DC-ISS-12): the private key never leaves the keystore; the device only
 * learns the public key and asks for signatures (CSR proof of possession, TLS client auth, S/MIME).
 */
export interface DeviceKey {
  alg: KeyAlgorithm;
  /** SubjectPublicKeyInfo, DER. */
  publicKey: Uint8Array;
  /** An X.509-style signature over `data` (DER Ecdsa-Sig-Value for EC, PKCS#1 v1.5 for RSA), hash per CERT-13. */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /**
   * The private key, PKCS#8 DER: only from a software keystore made exportable, for a device whose credential real
   * relying parties judge (their clients — eapol_test, OpenVPN, openssl — read the key from a file).
   */
  exportPkcs8?(): Uint8Array;
}

export interface Keystore {
  /** software → derived-pivAuth (.40); hardware → derived-pivAuth-hardware (.41) (CERT-01). */
  readonly kind: KeystoreKind;
  generateKey(alg: KeyAlgorithm): Promise<DeviceKey>;
}
