import { createHash } from "node:crypto";
import { ContentInfo, id_signedData, SignedData } from "@peculiar/asn1-cms";
import { AsnConvert } from "@peculiar/asn1-schema";
import { derOctetString, derOid, derRead, derSequence, derTlv } from "../der.js";
import { DpclabError } from "../errors.js";
import { CertificateFacts, hashFor, type KeyAlgorithm } from "../pki/index.js";
import { cryptoProvider, X509Certificate } from "../x509.js";
import { ecdsaDerToRaw, ecdsaRawToDer } from "./ecdsa-signature.js";
import { decodeFascn, encodeFascn, type FascN } from "./fascn.js";
import { decodeTlvs, encodeTlv, encodeTlvs } from "./tlv.js";

/** eContentType of the CHUID signature (73-4 Pt1 §3.1.2). */
export const ID_PIV_CHUID_SECURITY_OBJECT = "2.16.840.1.101.3.6.1";
/** Signed attribute naming the signer when its certificate is not in the SignedData (73-4 Pt1 §3.1.2). */
export const ID_PIV_SIGNER_DN = "2.16.840.1.101.3.6.5";
const ID_CONTENT_TYPE = "1.2.840.113549.1.9.3";
const ID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4";
const DIGEST_OIDS = { "SHA-256": "2.16.840.1.101.3.4.2.1", "SHA-384": "2.16.840.1.101.3.4.2.2" } as const;
const SIG_OIDS = {
  ecdsaSha256: "1.2.840.10045.4.3.2",
  ecdsaSha384: "1.2.840.10045.4.3.3",
  rsaSha256: "1.2.840.113549.1.1.11",
  rsaSha384: "1.2.840.113549.1.1.12",
};

// CHUID tags (73-4 Pt1 Table 9).
const TAG_FASCN = 0x30;
const TAG_GUID = 0x34;
const TAG_EXPIRATION = 0x35;
const TAG_CARDHOLDER_UUID = 0x36;
const TAG_SIGNATURE = 0x3e;
const TAG_EDC = 0xfe;

/** The PIV content signer (its certificate carries id-PIV-content-signing; CERT-01 .39). */
export interface ChuidSigner {
  certificate: X509Certificate;
  privateKey: CryptoKey;
  alg: KeyAlgorithm;
  /** The WebCrypto that made privateKey; default: @peculiar/x509's provider. */
  crypto?: Crypto;
}

/** What the CHUID says about the card (73-4 Pt1 Table 9). */
export interface ChuidContent {
  /** FASC-N fields, or its 25 encoded bytes. */
  fascn: FascN | Uint8Array;
  /** Card UUID (RFC 4122), also the urn:uuid in the 9A/9E certificates' SAN (73-4 Table 9 note). */
  guid: string;
  /** The card's expiration date; encoded as YYYYMMDD (UTC). */
  expiration: Date;
  cardholderUuid?: string;
}

export interface ParsedChuid {
  fascn: FascN;
  guid: string;
  expiration: string; // YYYYMMDD
  cardholderUuid?: string;
  /** DER ContentInfo(SignedData) from tag 3E. */
  signature: Uint8Array;
  /** The bytes the signature's messageDigest covers: every TLV before tag 3E. */
  signedContent: Uint8Array;
}

export function uuidToBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/^urn:uuid:/i, "").replace(/-/g, "");
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new DpclabError(`not a UUID: "${uuid}"`, "bad-uuid");
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

export function bytesToUuid(b: Uint8Array): string {
  if (b.length !== 16) throw new DpclabError(`a UUID is 16 bytes (got ${b.length})`, "bad-uuid");
  const h = Buffer.from(b).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function yyyymmdd(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new DpclabError("the CHUID expiration date is not a date", "bad-chuid");
  return d.toISOString().slice(0, 10).replace(/-/g, "");
}

const hashName = (h: "SHA-256" | "SHA-384") => (h === "SHA-384" ? "sha384" : "sha256");

/** DER SET OF (sorted, X.690 §11.6) of the signed attributes: what the signer actually signs (RFC 5652 §5.4). */
function derSetOf(items: Uint8Array[]): Uint8Array {
  const sorted = [...items].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const body = Buffer.concat(sorted);
  const lenBytes = body.length < 0x80 ? [body.length] : body.length < 0x100 ? [0x81, body.length] : [0x82, body.length >> 8, body.length & 0xff];
  return Uint8Array.from(Buffer.concat([Buffer.from([0x31, ...lenBytes]), body]));
}

/**
 * Builds the CHUID (73-4 Pt1 Table 9): 30 FASC-N, 34 GUID, 35 expiration, [36 cardholder UUID],
 * 3E issuer asymmetric signature (detached CMS SignedData over the preceding TLVs), FE EDC.
 */
export async function buildChuid(spec: ChuidContent, signer: ChuidSigner, opts: { includeSignerDn?: boolean } = {}): Promise<Uint8Array> {
  // Bytes are decoded first so a malformed FASC-N never reaches a card.
  const fascn = spec.fascn instanceof Uint8Array ? encodeFascn(decodeFascn(spec.fascn)) : encodeFascn(spec.fascn);
  const items: [number, Uint8Array][] = [
    [TAG_FASCN, fascn],
    [TAG_GUID, uuidToBytes(spec.guid)],
    [TAG_EXPIRATION, new TextEncoder().encode(yyyymmdd(spec.expiration))],
  ];
  if (spec.cardholderUuid) items.push([TAG_CARDHOLDER_UUID, uuidToBytes(spec.cardholderUuid)]);
  const signedContent = encodeTlvs(items);
  // pivSigner-DN is optional when the signer's certificate is included (73-4 Pt1 §3.1.2); we include both.
  const signature = await signChuidContent(signedContent, signer, opts.includeSignerDn ?? true);
  return concat(signedContent, encodeTlv(TAG_SIGNATURE, signature), encodeTlv(TAG_EDC));
}

/**
 * The detached CMS SignedData (RFC 5652) over the CHUID content, written as DER directly: the signer certificate is
 * embedded as its own bytes (asn1-schema re-serialised the whole parsed certificate for every card).
 */
async function signChuidContent(content: Uint8Array, signer: ChuidSigner, includeSignerDn: boolean): Promise<Uint8Array> {
  const hash = hashFor(signer.alg);
  const isEc = signer.alg === "p256" || signer.alg === "p384";
  const cert = CertificateFacts.of(signer.certificate);
  // Attribute ::= SEQUENCE { attrType OID, attrValues SET OF }
  const attribute = (type: string, value: Uint8Array) => derSequence(derOid(type), derTlv(0x31, value));
  const encoded = [
    attribute(ID_CONTENT_TYPE, derOid(ID_PIV_CHUID_SECURITY_OBJECT)),
    attribute(ID_MESSAGE_DIGEST, derOctetString(createHash(hashName(hash)).update(content).digest())),
  ];
  if (includeSignerDn) encoded.push(attribute(ID_PIV_SIGNER_DN, cert.subjectDer));
  // The SET OF in DER (sorted) order is what is signed; signedAttrs [0] IMPLICIT carries the same bytes.
  const toSign = derSetOf(encoded);
  const subtle = (signer.crypto ?? cryptoProvider.get()).subtle;
  const params = isEc ? { name: "ECDSA", hash } : { name: "RSASSA-PKCS1-v1_5" };
  const raw = new Uint8Array(await subtle.sign(params, signer.privateKey, ab(toSign)));
  const sigOid = isEc ? (hash === "SHA-384" ? SIG_OIDS.ecdsaSha384 : SIG_OIDS.ecdsaSha256) : hash === "SHA-384" ? SIG_OIDS.rsaSha384 : SIG_OIDS.rsaSha256;
  const digestAlgorithm = derSequence(derOid(DIGEST_OIDS[hash]));
  const signedAttrs = Uint8Array.from(toSign);
  signedAttrs[0] = 0xa0;
  const signerInfo = derSequence(
    Uint8Array.of(0x02, 0x01, 0x01), // version 1: sid = issuerAndSerialNumber (RFC 5652 §5.3)
    derSequence(cert.issuerDer, derTlv(0x02, cert.serialBytes)),
    digestAlgorithm,
    signedAttrs,
    isEc ? derSequence(derOid(sigOid)) : derSequence(derOid(sigOid), Uint8Array.of(0x05, 0x00)),
    derOctetString(isEc ? ecdsaRawToDer(raw) : raw),
  );
  const signedData = derSequence(
    Uint8Array.of(0x02, 0x01, 0x03), // version 3: eContentType is not id-data (RFC 5652 §5.1)
    derTlv(0x31, digestAlgorithm),
    derSequence(derOid(ID_PIV_CHUID_SECURITY_OBJECT)), // detached: no eContent
    derTlv(0xa0, cert.der), // certificates [0] IMPLICIT CertificateSet
    derTlv(0x31, signerInfo),
  );
  return derSequence(derOid(id_signedData), derTlv(0xa0, signedData));
}

/** Parses a CHUID (with or without the 53 GET DATA envelope). */
export function parseChuid(bytes: Uint8Array): ParsedChuid {
  let tlvs = decodeTlvs(bytes);
  if (tlvs.length === 1 && tlvs[0]?.tag === 0x53) tlvs = decodeTlvs(tlvs[0].value);
  const get = (tag: number) => tlvs.find((t) => t.tag === tag);
  const fascn = get(TAG_FASCN);
  const guid = get(TAG_GUID);
  const exp = get(TAG_EXPIRATION);
  const sigIndex = tlvs.findIndex((t) => t.tag === TAG_SIGNATURE);
  const sig = tlvs[sigIndex];
  if (!fascn || !guid || !exp || !sig) {
    throw new DpclabError("the CHUID lacks a mandatory element (30 FASC-N, 34 GUID, 35 expiration, 3E signature)", "bad-chuid");
  }
  const expiration = new TextDecoder().decode(exp.value);
  if (!/^\d{8}$/.test(expiration)) throw new DpclabError(`the CHUID expiration "${expiration}" is not YYYYMMDD`, "bad-chuid");
  const holder = get(TAG_CARDHOLDER_UUID);
  const signedContent = concat(...tlvs.slice(0, sigIndex).map((t) => t.raw));
  return {
    fascn: decodeFascn(fascn.value),
    guid: bytesToUuid(guid.value),
    expiration,
    ...(holder ? { cardholderUuid: bytesToUuid(holder.value) } : {}),
    signature: Uint8Array.from(sig.value),
    signedContent,
  };
}

/**
 * Verifies the CHUID's issuer signature: eContentType, messageDigest over the TLVs before 3E, and the signature
 * with the trusted signer's key (or, without one, the certificate inside the SignedData — integrity only).
 */
export async function verifyChuidSignature(bytes: Uint8Array, trustedSigner?: X509Certificate, crypto?: Crypto): Promise<boolean> {
  const chuid = parseChuid(bytes);
  let signedData: SignedData;
  try {
    const ci = AsnConvert.parse(chuid.signature, ContentInfo);
    if (ci.contentType !== id_signedData) return false;
    signedData = AsnConvert.parse(ci.content, SignedData);
  } catch {
    return false;
  }
  if (signedData.encapContentInfo.eContentType !== ID_PIV_CHUID_SECURITY_OBJECT || signedData.encapContentInfo.eContent) return false;
  const si = signedData.signerInfos[0];
  if (!si?.signedAttrs) return false;
  const attr = (oid: string) => si.signedAttrs?.find((a) => a.attrType === oid)?.attrValues[0];
  const ct = attr(ID_CONTENT_TYPE);
  const md = attr(ID_MESSAGE_DIGEST);
  if (!ct || !md || !Buffer.from(ct).equals(Buffer.from(derOid(ID_PIV_CHUID_SECURITY_OBJECT)))) return false;
  const hash = Object.entries(DIGEST_OIDS).find(([, oid]) => oid === si.digestAlgorithm.algorithm)?.[0] as "SHA-256" | "SHA-384" | undefined;
  if (!hash) return false;
  const digest = createHash(hashName(hash)).update(chuid.signedContent).digest();
  if (!Buffer.from(md).equals(Buffer.from(derOctetString(digest)))) return false;

  const signerCert = trustedSigner ?? embeddedSigner(signedData);
  if (!signerCert) return false;
  let signedAttrsDer: Uint8Array;
  try {
    signedAttrsDer = rawSignedAttrs(chuid.signature);
  } catch {
    return false; // a CMS whose lengths do not add up is not a valid signature
  }
  const sigAlg = si.signatureAlgorithm.algorithm;
  const isEc = sigAlg === SIG_OIDS.ecdsaSha256 || sigAlg === SIG_OIDS.ecdsaSha384;
  const sigHash = sigAlg === SIG_OIDS.ecdsaSha384 || sigAlg === SIG_OIDS.rsaSha384 ? "SHA-384" : "SHA-256";
  const subtle = (crypto ?? cryptoProvider.get()).subtle;
  const keyAlg = signerCert.publicKey.algorithm as EcKeyAlgorithm | RsaHashedKeyAlgorithm;
  try {
    if (isEc) {
      const namedCurve = (keyAlg as EcKeyAlgorithm).namedCurve;
      const key = await subtle.importKey("spki", signerCert.publicKey.rawData, { name: "ECDSA", namedCurve }, false, ["verify"]);
      const raw = ecdsaDerToRaw(new Uint8Array(si.signature.buffer), namedCurve === "P-384" ? 48 : 32);
      return await subtle.verify({ name: "ECDSA", hash: sigHash }, key, ab(raw), ab(signedAttrsDer));
    }
    const key = await subtle.importKey("spki", signerCert.publicKey.rawData, { name: "RSASSA-PKCS1-v1_5", hash: sigHash }, false, ["verify"]);
    return await subtle.verify({ name: "RSASSA-PKCS1-v1_5" }, key, si.signature.buffer, ab(signedAttrsDer));
  } catch {
    return false;
  }
}

function embeddedSigner(sd: SignedData): X509Certificate | undefined {
  const c = sd.certificates?.[0]?.certificate;
  return c ? new X509Certificate(AsnConvert.serialize(c)) : undefined;
}

/**
 * The signed attributes exactly as received, re-tagged from [0] IMPLICIT to SET (RFC 5652 §5.4): walk
 * ContentInfo → [0] → SignedData → signerInfos → first SignerInfo → field tagged A0.
 */
function rawSignedAttrs(contentInfo: Uint8Array): Uint8Array {
  const ci = derRead(contentInfo);
  const explicit = derRead(ci.value, derRead(ci.value).end); // skip contentType
  const sd = derRead(explicit.value);
  let at = 0;
  let last: ReturnType<typeof derRead> | undefined;
  while (at < sd.value.length) {
    last = derRead(sd.value, at);
    at = last.end;
  }
  if (last?.tag !== 0x31) throw new DpclabError("SignedData without signerInfos", "bad-chuid");
  const signerInfo = derRead(last.value);
  for (let p = 0; p < signerInfo.value.length; ) {
    const f = derRead(signerInfo.value, p);
    if (f.tag === 0xa0) {
      const raw = Uint8Array.from(signerInfo.value.subarray(p, f.end));
      raw[0] = 0x31;
      return raw;
    }
    p = f.end;
  }
  throw new DpclabError("the CHUID signature has no signed attributes", "bad-chuid");
}

function ab(u: Uint8Array): ArrayBuffer {
  return u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}
