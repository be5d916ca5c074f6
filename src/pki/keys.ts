import { generateKeyPairSync, type JsonWebKey, type KeyObject } from "node:crypto";
import { DpclabError } from "../errors.js";
import { type KeyAlgorithm, keyGenParams } from "./algorithms.js";
import { crypto } from "./crypto.js";
import { p256Pkcs8FromJwk, p256SpkiFromJwk } from "./key-encoding.js";
import { fromPem } from "./pem.js";

/** A fresh, extractable key pair of this algorithm (Node WebCrypto). */
export async function generateKeyPair(alg: KeyAlgorithm): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(keyGenParams(alg), true, ["sign", "verify"])) as CryptoKeyPair;
}

/**
 * A fresh key pair made synchronously (cheaper than a thread-pool round trip, one at a time): the private key as a
 * KeyObject and the public key as DER SubjectPublicKeyInfo, encoded by the generation itself (key-encoding.ts says
 * why a fresh KeyObject is never exported).
 */
export function generateSigningKey(alg: KeyAlgorithm): { privateKey: KeyObject; spki: Uint8Array } {
  const { publicKey, privateKey } = keygen(alg, { publicKeyEncoding: alg === "p256" ? JWK : SPKI_DER });
  return { privateKey: privateKey as KeyObject, spki: alg === "p256" ? p256SpkiFromJwk(publicKey as JsonWebKey) : new Uint8Array(publicKey as Buffer) };
}

/** A fresh key pair in DER (SPKI and PKCS#8): a key made to be handed over, such as an escrowed one (DC-KEY-03). */
export function generateKeyPairDer(alg: KeyAlgorithm): { spki: Uint8Array; pkcs8: Uint8Array } {
  if (alg === "p256") {
    const { publicKey, privateKey } = keygen(alg, { publicKeyEncoding: JWK, privateKeyEncoding: JWK });
    return { spki: p256SpkiFromJwk(publicKey as JsonWebKey), pkcs8: p256Pkcs8FromJwk(privateKey as JsonWebKey) };
  }
  const { publicKey, privateKey } = keygen(alg, { publicKeyEncoding: SPKI_DER, privateKeyEncoding: PKCS8_DER });
  return { spki: new Uint8Array(publicKey as Buffer), pkcs8: new Uint8Array(privateKey as Buffer) };
}

const JWK = { format: "jwk" } as const;
const SPKI_DER = { type: "spki", format: "der" } as const;
const PKCS8_DER = { type: "pkcs8", format: "der" } as const;

/** generateKeyPairSync for our algorithms; @types/node 20 does not type its "jwk" encodings (Node has them since 15.9). */
function keygen(alg: KeyAlgorithm, encodings: Record<string, unknown>): { publicKey: unknown; privateKey: unknown } {
  const generate = generateKeyPairSync as unknown as (type: "ec" | "rsa", options: Record<string, unknown>) => { publicKey: unknown; privateKey: unknown };
  if (alg === "p256" || alg === "p384") return generate("ec", { namedCurve: alg === "p256" ? "P-256" : "P-384", ...encodings });
  return generate("rsa", { modulusLength: alg === "rsa3072" ? 3072 : 2048, publicExponent: 65537, ...encodings });
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
