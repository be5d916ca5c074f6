import { DpclabError } from "../errors.js";

/**
 * Key algorithms a card or CA may use. SP 800-78-5 allows RSA-2048/3072 and ECDSA P-256/P-384 for PIV keys;
 * P-256 is the default because RSA key generation costs ~250 ms each here (docs/architecture.md rates).
 */
export type KeyAlgorithm = "p256" | "p384" | "rsa2048" | "rsa3072";

export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ["p256", "p384", "rsa2048", "rsa3072"];

export function parseKeyAlgorithm(text: string): KeyAlgorithm {
  if ((KEY_ALGORITHMS as readonly string[]).includes(text)) return text as KeyAlgorithm;
  throw new DpclabError(`unknown key algorithm "${text}" (choose one of ${KEY_ALGORITHMS.join(", ")})`, "bad-algorithm");
}

/** The hash paired with each key (CERT-13: P-256→SHA-256, P-384→SHA-384, RSA→SHA-256). */
export function hashFor(alg: KeyAlgorithm): "SHA-256" | "SHA-384" {
  return alg === "p384" ? "SHA-384" : "SHA-256";
}

/** WebCrypto parameters to generate a key pair of this algorithm. */
export function keyGenParams(alg: KeyAlgorithm): EcKeyGenParams | RsaHashedKeyGenParams {
  switch (alg) {
    case "p256":
      return { name: "ECDSA", namedCurve: "P-256" };
    case "p384":
      return { name: "ECDSA", namedCurve: "P-384" };
    case "rsa2048":
    case "rsa3072":
      return {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: alg === "rsa2048" ? 2048 : 3072,
        publicExponent: new Uint8Array([1, 0, 1]), // e = 65537 (CERT-13)
        hash: "SHA-256",
      };
  }
}

/** WebCrypto parameters to sign (and to import a key for signing) with this algorithm. */
export function signParams(alg: KeyAlgorithm): EcdsaParams | Algorithm {
  return alg.startsWith("p") ? ({ name: "ECDSA", hash: hashFor(alg) } as EcdsaParams) : { name: "RSASSA-PKCS1-v1_5" };
}
