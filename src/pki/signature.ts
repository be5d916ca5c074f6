import { createPublicKey, type KeyObject, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { type DerNode, derBitStringOctets, derChildren, derExpect, derIntegerContent } from "../der.js";
import { hashFor, type KeyAlgorithm } from "./algorithms.js";
import { isP256Spki } from "./key-encoding.js";
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
  [OIDS.ecdsaWithSHA512]: "sha512",
  [OIDS.sha256WithRSAEncryption]: "sha256",
  [OIDS.sha384WithRSAEncryption]: "sha384",
  [OIDS.sha512WithRSAEncryption]: "sha512",
};

/** SEQUENCE { rsaEncryption, NULL }. */
const RSA_ALGORITHM = Buffer.from("300d06092a864886f70d0101010500", "hex");
/**
 * ~2.8 KB each, so at most ~45 MB per thread: enough for a shard of a 10,000-device fleet, whose every renewal proves
 * itself with the key of a certificate issued a renewal ago (Intercede's rekey, DC-MNT-01) and sends a new one.
 */
const MAX_CACHED_KEYS = 16_384;
const keys = new Map<string, KeyObject>();

/**
 * A public key ready for repeated verifications. Imported keys are kept by SPKI (bounded, most recent kept): the key
 * of a CSR comes back in its certificate, that of a CA in every path. P-256 and RSA keys go in as JWK, which OpenSSL 3
 * imports 2× (P-256) to 15× (RSA) faster than DER through its decoder framework, with the same point/modulus checks.
 */
export function publicKeyFromSpki(spki: ArrayBuffer | Uint8Array): KeyObject {
  const der = spki instanceof Uint8Array ? Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength) : Buffer.from(spki);
  const id = der.toString("latin1");
  let key = keys.get(id);
  if (key) {
    keys.delete(id);
  } else {
    key = importSpki(der);
    if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value as string);
  }
  keys.set(id, key);
  return key;
}

function importSpki(der: Buffer): KeyObject {
  if (isP256Spki(der)) {
    const x = der.subarray(27, 59).toString("base64url");
    const y = der.subarray(59, 91).toString("base64url");
    return createPublicKey({ key: { kty: "EC", crv: "P-256", x, y }, format: "jwk" });
  }
  const rsa = rsaJwk(der);
  if (rsa) return createPublicKey({ key: rsa, format: "jwk" });
  return createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" });
}

/** n and e of an rsaEncryption SPKI (RFC 3279 §2.3.1), or undefined for anything else. */
function rsaJwk(der: Buffer): { kty: "RSA"; n: string; e: string } | undefined {
  try {
    const outer = derExpect(der, 0, der.length, 0x30, "SubjectPublicKeyInfo");
    const [alg, bits, extra] = derChildren(der, outer);
    if (outer.end !== der.length || !alg || !bits || extra || !der.subarray(alg.start, alg.end).equals(RSA_ALGORITHM)) return undefined;
    const rsaKey = derBitStringOctets(der, bits);
    const seq = derExpect(rsaKey, 0, rsaKey.length, 0x30, "RSAPublicKey");
    const [n, e, more] = derChildren(rsaKey, seq);
    if (seq.end !== rsaKey.length || !n || !e || more) return undefined;
    const unsigned = (node: DerNode) => {
      const v = derIntegerContent(rsaKey, node);
      if ((v[0] as number) & 0x80) throw new RangeError("negative");
      return Buffer.from(v[0] === 0 ? v.subarray(1) : v).toString("base64url");
    };
    return { kty: "RSA", n: unsigned(n), e: unsigned(e) };
  } catch {
    return undefined; // left to OpenSSL's decoder, which says what is wrong
  }
}

/**
 * Verifies a signature made with one of the CERT-12 algorithms. Unknown algorithms (SHA-1, PSS, …) verify as false:
 * a relying party that cannot check a signature must not accept it.
 */
export function verifyData(
  /** The signature algorithm OID, or an AlgorithmIdentifier. */
  signatureAlgorithm: string | { algorithm: string },
  key: KeyObject,
  data: ArrayBuffer | Uint8Array,
  signature: ArrayBuffer | Uint8Array,
): boolean {
  const hash = HASH_BY_SIG_OID[typeof signatureAlgorithm === "string" ? signatureAlgorithm : signatureAlgorithm.algorithm];
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
