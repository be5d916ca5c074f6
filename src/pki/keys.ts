import { DpclabError } from "../errors.js";
import { type KeyAlgorithm, keyGenParams } from "./algorithms.js";
import { crypto } from "./crypto.js";
import { fromPem } from "./pem.js";

/** A fresh, extractable key pair of this algorithm (Node WebCrypto). */
export async function generateKeyPair(alg: KeyAlgorithm): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(keyGenParams(alg), true, ["sign", "verify"])) as CryptoKeyPair;
}

/** The DER SubjectPublicKeyInfo of a public key: what CertificateAuthority.issue takes. */
export async function exportSpki(publicKey: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey("spki", publicKey));
}

/** Imports a PKCS#8 PEM private key for signing with this algorithm. */
export async function importPrivateKey(pem: string, alg: KeyAlgorithm): Promise<CryptoKey> {
  const params = alg.startsWith("p") ? keyGenParams(alg) : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  try {
    const der = fromPem(pem, "PRIVATE KEY");
    return await crypto.subtle.importKey("pkcs8", new Uint8Array(der).buffer, params, true, ["sign"]);
  } catch (e) {
    throw new DpclabError(`cannot import a ${alg} PKCS#8 private key: ${(e as Error).message}`, "bad-private-key");
  }
}
