import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { DpclabError } from "../errors.js";
import { type KeyAlgorithm, keyGenParams } from "./algorithms.js";
import { crypto } from "./crypto.js";
import { pkcs8Of, spkiOf } from "./key-encoding.js";
import { fromPem } from "./pem.js";

/** A fresh, extractable key pair of this algorithm (Node WebCrypto). */
export async function generateKeyPair(alg: KeyAlgorithm): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(keyGenParams(alg), true, ["sign", "verify"])) as CryptoKeyPair;
}

/** A fresh key pair as node:crypto KeyObjects, made synchronously (cheaper than a thread-pool round trip, one at a time). */
export function generateKeyObjects(alg: KeyAlgorithm): { publicKey: KeyObject; privateKey: KeyObject } {
  return alg === "p256" || alg === "p384"
    ? generateKeyPairSync("ec", { namedCurve: alg === "p256" ? "P-256" : "P-384" })
    : generateKeyPairSync("rsa", { modulusLength: alg === "rsa2048" ? 2048 : 3072, publicExponent: 65537 });
}

/** A fresh key pair in DER (SPKI and PKCS#8): a key made to be handed over, such as an escrowed one (DC-KEY-03). */
export function generateKeyPairDer(alg: KeyAlgorithm): { spki: Uint8Array; pkcs8: Uint8Array } {
  const { publicKey, privateKey } = generateKeyObjects(alg);
  return { spki: spkiOf(publicKey), pkcs8: pkcs8Of(privateKey) };
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
