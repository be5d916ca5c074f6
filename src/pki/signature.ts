import { createPublicKey, type KeyObject, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { hashFor, type KeyAlgorithm } from "./algorithms.js";
import { OIDS } from "./oids.js";

/**
 * Signing and verifying of DER structures (certificates, CRLs, OCSP responses). Uses node:crypto's async sign, which
 * runs on the libuv pool like WebCrypto but emits the DER ECDSA-Sig-Value X.509 needs (no P1363 → DER re-encoding).
 */

const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

/** The AlgorithmIdentifier of signatures made with this key algorithm (CERT-12, CERT-13 hash pairing). */
export function signatureAlgorithmFor(alg: KeyAlgorithm): AlgorithmIdentifier {
  switch (alg) {
    case "p256":
      return new AlgorithmIdentifier({ algorithm: OIDS.ecdsaWithSHA256 });
    case "p384":
      return new AlgorithmIdentifier({ algorithm: OIDS.ecdsaWithSHA384 });
    case "rsa2048":
    case "rsa3072":
      // RFC 4055 §5: sha256WithRSAEncryption carries an explicit NULL parameter.
      return new AlgorithmIdentifier({ algorithm: OIDS.sha256WithRSAEncryption, parameters: DER_NULL });
  }
}

/** Signs `data` with the key, returning the signature as X.509 carries it (DER for ECDSA). */
export function signData(alg: KeyAlgorithm, key: KeyObject, data: ArrayBuffer | Uint8Array): Promise<ArrayBuffer> {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  return new Promise((resolve, reject) => {
    nodeSign(hashFor(alg).replace("-", "").toLowerCase(), bytes, { key, dsaEncoding: "der" }, (err, sig) => {
      if (err) reject(err);
      else resolve(sig.buffer.slice(sig.byteOffset, sig.byteOffset + sig.byteLength) as ArrayBuffer);
    });
  });
}

/** The same, synchronously: cheaper than a thread-pool round trip when signatures are made one at a time. */
export function signDataSync(alg: KeyAlgorithm, key: KeyObject, data: Uint8Array): Uint8Array {
  return nodeSign(hashFor(alg).replace("-", "").toLowerCase(), data, { key, dsaEncoding: "der" });
}

const HASH_BY_SIG_OID: Readonly<Record<string, string>> = {
  [OIDS.ecdsaWithSHA256]: "sha256",
  [OIDS.ecdsaWithSHA384]: "sha384",
  "1.2.840.10045.4.3.4": "sha512",
  [OIDS.sha256WithRSAEncryption]: "sha256",
  [OIDS.sha384WithRSAEncryption]: "sha384",
  "1.2.840.113549.1.1.13": "sha512",
};

/** A public key ready for repeated verifications (parsing an SPKI once, not per signature). */
export function publicKeyFromSpki(spki: ArrayBuffer | Uint8Array): KeyObject {
  const der = Buffer.from(spki instanceof Uint8Array ? spki : new Uint8Array(spki));
  return createPublicKey({ key: der, format: "der", type: "spki" });
}

/**
 * Verifies a signature made with one of the CERT-12 algorithms. Unknown algorithms (SHA-1, PSS, …) verify as false:
 * a relying party that cannot check a signature must not accept it.
 */
export function verifyData(
  signatureAlgorithm: AlgorithmIdentifier,
  key: KeyObject,
  data: ArrayBuffer | Uint8Array,
  signature: ArrayBuffer | Uint8Array,
): boolean {
  const hash = HASH_BY_SIG_OID[signatureAlgorithm.algorithm];
  if (!hash) return false;
  try {
    return nodeVerify(
      hash,
      data instanceof Uint8Array ? data : new Uint8Array(data),
      { key, dsaEncoding: "der" },
      signature instanceof Uint8Array ? signature : new Uint8Array(signature),
    );
  } catch {
    return false;
  }
}

/** DER of an AlgorithmIdentifier, for equality checks (tbs.signature must equal the outer signatureAlgorithm). */
export function algorithmDer(alg: AlgorithmIdentifier): string {
  return Buffer.from(AsnConvert.serialize(alg)).toString("hex");
}
