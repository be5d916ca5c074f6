import { type KeyObject, verify as nodeVerify } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { DerError, derChildren, derExpect, derOidText, derTlv } from "../der.js";
import { DpclabError } from "../errors.js";
import { Name } from "../x509.js";
import { type KeyAlgorithm, signParams } from "./algorithms.js";
import { crypto } from "./crypto.js";
import { isP256Spki } from "./key-encoding.js";
import { OIDS } from "./oids.js";
import { publicKeyFromSpki, signatureAlgorithmFor } from "./signature.js";

/**
 * PKCS#10 certification requests (RFC 2986). The device generates the derived key and proves possession of it by
 * signing its CSR (DC-ISS-12); the issuer verifies that signature with the key the CSR carries and refuses keys
 * outside CERT-13 / SP 800-78-5 (DC-KEY-01).
 */

export interface CsrInput {
  /** Subject DN (RDNs most significant first, "C=US,O=…,CN=…"), or "" for an empty subject (the CA names the holder). */
  subject: string;
  /** SubjectPublicKeyInfo, DER. */
  publicKey: Uint8Array;
  alg: KeyAlgorithm;
  /**
   * Signs the DER CertificationRequestInfo with the private key, returning the signature as X.509 carries it:
   * DER ECDSA-Sig-Value for EC (see derEcdsaSignature for PKCS#11/WebCrypto raw r||s), PKCS#1 v1.5 for RSA.
   */
  sign: (tbs: Uint8Array<ArrayBuffer>) => Promise<Uint8Array> | Uint8Array;
}

export interface VerifiedCsr {
  /** Subject DN as text ("" when empty). */
  subject: string;
  /** SubjectPublicKeyInfo, DER. */
  publicKey: Uint8Array;
  alg: KeyAlgorithm;
}

/** Largest CSR we parse: an RSA-3072 CSR with a long subject is ~1 KB. */
const MAX_CSR_BYTES = 16 * 1024;

const ALGORITHM_DER = new Map<KeyAlgorithm, Uint8Array>();

export async function createCsr(input: CsrInput): Promise<Uint8Array> {
  let subject: Uint8Array;
  try {
    subject = input.subject ? new Uint8Array(new Name(input.subject).toArrayBuffer()) : Uint8Array.of(0x30, 0x00);
  } catch {
    throw new DpclabError(`CSR subject is not a distinguished name: "${input.subject}"`, "bad-subject");
  }
  // CertificationRequestInfo ::= SEQUENCE { version INTEGER (0), subject Name, subjectPKInfo, attributes [0] }
  const info = derTlv(0x30, Uint8Array.of(0x02, 0x01, 0x00), subject, input.publicKey, Uint8Array.of(0xa0, 0x00));
  let algorithm = ALGORITHM_DER.get(input.alg);
  if (!algorithm) {
    algorithm = new Uint8Array(AsnConvert.serialize(signatureAlgorithmFor(input.alg)));
    ALGORITHM_DER.set(input.alg, algorithm);
  }
  const signature = await input.sign(info);
  return derTlv(0x30, info, algorithm, derTlv(0x03, Uint8Array.of(0), signature));
}

/** A CSR signed with a WebCrypto key pair (ECDSA or RSASSA-PKCS1-v1_5, as generateKeyPair makes them). */
export async function createCsrWithKey(keyPair: CryptoKeyPair, alg: KeyAlgorithm, subject: string): Promise<Uint8Array> {
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("spki", keyPair.publicKey));
  return createCsr({
    subject,
    publicKey,
    alg,
    sign: async (tbs) => {
      const sig = new Uint8Array(await crypto.subtle.sign(signParams(alg), keyPair.privateKey, tbs));
      return alg.startsWith("p") ? derEcdsaSignature(sig) : sig;
    },
  });
}

/** Raw r||s (WebCrypto, PKCS#11 CKM_ECDSA) → DER ECDSA-Sig-Value (RFC 5480 §2.2.3), as X.509 and PKCS#10 carry it. */
export function derEcdsaSignature(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2) throw new DpclabError("a raw ECDSA signature is r||s of equal halves", "bad-signature");
  const n = raw.length / 2;
  const int = (v: Uint8Array) => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    const t = v.subarray(i);
    return derTlv(0x02, (t[0] ?? 0) & 0x80 ? Uint8Array.of(0, ...t) : t);
  };
  return derTlv(0x30, int(raw.subarray(0, n)), int(raw.subarray(n)));
}

// Signature algorithms a CSR may use (CERT-12): hash name for node:crypto.
const CSR_SIGNATURE_HASH: Readonly<Record<string, { hash: string; family: "ec" | "rsa" }>> = {
  [OIDS.ecdsaWithSHA256]: { hash: "sha256", family: "ec" },
  [OIDS.ecdsaWithSHA384]: { hash: "sha384", family: "ec" },
  [OIDS.ecdsaWithSHA512]: { hash: "sha512", family: "ec" },
  [OIDS.sha256WithRSAEncryption]: { hash: "sha256", family: "rsa" },
  [OIDS.sha384WithRSAEncryption]: { hash: "sha384", family: "rsa" },
  [OIDS.sha512WithRSAEncryption]: { hash: "sha512", family: "rsa" },
};
const SHA1_SIGNATURES = new Set(["1.2.840.113549.1.1.5", "1.2.840.10045.4.1", "1.2.840.10040.4.3"]);

/**
 * Issuer side: parses a DER CSR, checks its key against CERT-13 and DC-KEY-01 (RSA 2048/3072 with e = 65537,
 * P-256, P-384) and its signature algorithm against CERT-12 (no SHA-1), and verifies proof of possession: the CSR's
 * signature with its own public key (DC-ISS-12).
 */
export function verifyCsr(der: Uint8Array): VerifiedCsr {
  if (!(der instanceof Uint8Array) || der.length === 0 || der.length > MAX_CSR_BYTES) {
    throw new DpclabError(`a CSR is 1..${MAX_CSR_BYTES} bytes of DER (RFC 2986)`, "bad-csr");
  }
  // An issuer's workflow checks a CSR before it hands it to the issuance core, which checks it again: the same bytes
  // give the same verdict, so a CSR that passed is remembered (by content, bounded). Failures are never remembered.
  const id = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("latin1");
  const known = verified.get(id);
  if (known) return { ...known };
  const result = verifyUncached(der);
  if (verified.size >= MAX_REMEMBERED) verified.delete(verified.keys().next().value as string);
  verified.set(id, result);
  return { ...result };
}

const MAX_REMEMBERED = 1024;
const verified = new Map<string, VerifiedCsr>();

function verifyUncached(der: Uint8Array): VerifiedCsr {
  const parts = parseCsr(der);
  let key: KeyObject;
  try {
    key = publicKeyFromSpki(parts.spki);
  } catch {
    throw new DpclabError("the CSR's subjectPKInfo is not a public key node can read", "bad-csr");
  }
  const alg = isP256Spki(parts.spki) ? "p256" : allowedKeyAlgorithm(key);
  if (SHA1_SIGNATURES.has(parts.signatureOid)) {
    throw new DpclabError("the CSR is signed with SHA-1, which CERT-12 prohibits", "csr-key-not-allowed");
  }
  const sigAlg = CSR_SIGNATURE_HASH[parts.signatureOid];
  if (!sigAlg) throw new DpclabError(`CSR signature algorithm ${parts.signatureOid} is not one CERT-12 allows`, "csr-key-not-allowed");
  if ((sigAlg.family === "ec") !== alg.startsWith("p")) {
    throw new DpclabError(`CSR signature algorithm ${parts.signatureOid} does not fit its ${alg} key`, "csr-signature-invalid");
  }
  let ok = false;
  try {
    ok = nodeVerify(sigAlg.hash, parts.info, { key, dsaEncoding: "der" }, parts.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new DpclabError("the CSR's signature does not verify with the key it carries: no proof of possession (DC-ISS-12)", "csr-signature-invalid");
  let subject: string;
  try {
    subject = parts.subject.length > 2 ? new Name(toArrayBuffer(parts.subject)).toString() : "";
  } catch {
    throw new DpclabError("the CSR's subject is not a Name", "bad-csr");
  }
  return { subject, publicKey: parts.spki, alg };
}

/** CERT-13 and DC-KEY-01 (same algorithms as the PIV Authentication key, SP 800-78-5). */
function allowedKeyAlgorithm(key: KeyObject): KeyAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "ec") {
    if (details.namedCurve === "prime256v1") return "p256";
    if (details.namedCurve === "secp384r1") return "p384";
    throw new DpclabError(`EC curve ${details.namedCurve ?? "?"} is not allowed (CERT-13: P-256 or P-384)`, "csr-key-not-allowed");
  }
  if (key.asymmetricKeyType === "rsa") {
    const bits = details.modulusLength ?? 0;
    if (details.publicExponent !== 65537n) {
      throw new DpclabError(`RSA public exponent ${details.publicExponent} is not allowed (CERT-13: e = 65537)`, "csr-key-not-allowed");
    }
    if (bits === 2048) return "rsa2048";
    if (bits === 3072) return "rsa3072";
    throw new DpclabError(`RSA-${bits} is not allowed (CERT-13, DC-KEY-01: RSA 2048 or 3072)`, "csr-key-not-allowed");
  }
  throw new DpclabError(`${key.asymmetricKeyType ?? "unknown"} keys are not allowed (CERT-13: RSA or EC P-256/P-384)`, "csr-key-not-allowed");
}

interface CsrParts {
  info: Uint8Array;
  subject: Uint8Array;
  spki: Uint8Array;
  signatureOid: string;
  signature: Uint8Array;
}

function parseCsr(der: Uint8Array): CsrParts {
  try {
    const outer = derExpect(der, 0, der.length, 0x30, "CertificationRequest");
    if (outer.end !== der.length) throw new DerError("expected one SEQUENCE");
    const [info, algorithm, signature, extra] = derChildren(der, outer);
    if (info?.tag !== 0x30) throw new DerError("certificationRequestInfo is not a SEQUENCE");
    if (algorithm?.tag !== 0x30 || !signature || signature.tag !== 0x03 || extra) {
      throw new DerError("expected algorithm and BIT STRING signature");
    }
    const [version, subject, spki, attributes, more] = derChildren(der, info);
    if (version?.tag !== 0x02 || version.end - version.body !== 1 || der[version.body] !== 0) throw new DerError("version must be 0 (v1)");
    if (subject?.tag !== 0x30 || !spki || spki.tag !== 0x30) throw new DerError("subject and subjectPKInfo must be SEQUENCEs");
    if (attributes?.tag !== 0xa0 || more) throw new DerError("attributes [0] must close certificationRequestInfo");
    const [oid] = derChildren(der, algorithm);
    if (!oid) throw new DerError("signatureAlgorithm is not an AlgorithmIdentifier");
    let signatureOid: string;
    try {
      signatureOid = derOidText(der, oid);
    } catch {
      throw new DerError("signatureAlgorithm is not an AlgorithmIdentifier");
    }
    if (der[signature.body] !== 0 || signature.end - signature.body < 2) throw new DerError("signature BIT STRING has unused bits");
    return {
      info: der.slice(info.start, info.end),
      subject: der.slice(subject.start, subject.end),
      spki: der.slice(spki.start, spki.end),
      signatureOid,
      signature: der.slice(signature.body + 1, signature.end),
    };
  } catch (e) {
    throw new DpclabError(`not a DER PKCS#10 CertificationRequest: ${(e as Error).message}`, "bad-csr");
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
