import { createPublicKey, type KeyObject, verify as nodeVerify } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import { Name } from "@peculiar/x509";
import { derTlv } from "../der.js";
import { DpclabError } from "../errors.js";
import { type KeyAlgorithm, signParams } from "./algorithms.js";
import { crypto } from "./crypto.js";
import { OIDS } from "./oids.js";
import { signatureAlgorithmFor } from "./signature.js";

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

export async function createCsr(input: CsrInput): Promise<Uint8Array> {
  let subject: Uint8Array;
  try {
    subject = input.subject ? new Uint8Array(new Name(input.subject).toArrayBuffer()) : Uint8Array.of(0x30, 0x00);
  } catch {
    throw new DpclabError(`CSR subject is not a distinguished name: "${input.subject}"`, "bad-subject");
  }
  // CertificationRequestInfo ::= SEQUENCE { version INTEGER (0), subject Name, subjectPKInfo, attributes [0] }
  const info = derTlv(0x30, Uint8Array.of(0x02, 0x01, 0x00), subject, input.publicKey, Uint8Array.of(0xa0, 0x00));
  const algorithm = new Uint8Array(AsnConvert.serialize(signatureAlgorithmFor(input.alg)));
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
  "1.2.840.10045.4.3.4": { hash: "sha512", family: "ec" },
  [OIDS.sha256WithRSAEncryption]: { hash: "sha256", family: "rsa" },
  [OIDS.sha384WithRSAEncryption]: { hash: "sha384", family: "rsa" },
  "1.2.840.113549.1.1.13": { hash: "sha512", family: "rsa" },
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
  const parts = parseCsr(der);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(parts.spki), format: "der", type: "spki" });
  } catch {
    throw new DpclabError("the CSR's subjectPKInfo is not a public key node can read", "bad-csr");
  }
  const alg = allowedKeyAlgorithm(key);
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
  const bad = (why: string) => new DpclabError(`not a DER PKCS#10 CertificationRequest: ${why}`, "bad-csr");
  const outer = readTlv(der, 0, bad);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw bad("expected one SEQUENCE");
  const info = readTlv(der, outer.contentStart, bad);
  if (info.tag !== 0x30) throw bad("certificationRequestInfo is not a SEQUENCE");
  const algorithm = readTlv(der, info.end, bad);
  const signature = readTlv(der, algorithm.end, bad);
  if (algorithm.tag !== 0x30 || signature.tag !== 0x03 || signature.end !== outer.end) throw bad("expected algorithm and BIT STRING signature");
  const version = readTlv(der, info.contentStart, bad);
  if (version.tag !== 0x02 || version.end - version.contentStart !== 1 || der[version.contentStart] !== 0) throw bad("version must be 0 (v1)");
  const subject = readTlv(der, version.end, bad);
  const spki = readTlv(der, subject.end, bad);
  if (subject.tag !== 0x30 || spki.tag !== 0x30) throw bad("subject and subjectPKInfo must be SEQUENCEs");
  const attributes = readTlv(der, spki.end, bad);
  if (attributes.tag !== 0xa0 || attributes.end !== info.end) throw bad("attributes [0] must close certificationRequestInfo");
  let signatureOid: string;
  try {
    signatureOid = AsnConvert.parse(der.slice(algorithm.start, algorithm.end), asn1X509.AlgorithmIdentifier).algorithm;
  } catch {
    throw bad("signatureAlgorithm is not an AlgorithmIdentifier");
  }
  if (der[signature.contentStart] !== 0 || signature.end - signature.contentStart < 2) throw bad("signature BIT STRING has unused bits");
  return {
    info: der.slice(info.start, info.end),
    subject: der.slice(subject.start, subject.end),
    spki: der.slice(spki.start, spki.end),
    signatureOid,
    signature: der.slice(signature.contentStart + 1, signature.end),
  };
}

interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

/** One DER TLV: definite, minimal lengths only. */
function readTlv(der: Uint8Array, at: number, bad: (why: string) => Error): Tlv {
  if (at + 2 > der.length) throw bad("truncated");
  const tag = der[at] as number;
  if ((tag & 0x1f) === 0x1f) throw bad("multi-byte tags are not used in a CSR");
  let len = der[at + 1] as number;
  let contentStart = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3) throw bad("indefinite or oversized length");
    if (contentStart + n > der.length) throw bad("truncated length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[contentStart + i] as number);
    if (len < 0x80 || (n > 1 && der[contentStart] === 0)) throw bad("non-minimal length");
    contentStart += n;
  }
  const end = contentStart + len;
  if (end > der.length) throw bad("truncated content");
  return { tag, start: at, contentStart, end };
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
