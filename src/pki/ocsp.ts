import { createHash, type KeyObject } from "node:crypto";
import {
  DerError,
  type DerNode,
  derBitStringOctets,
  derChildren,
  derContent,
  derElement,
  derExpect,
  derGeneralizedTime,
  derIntegerContent,
  derNode,
  derOctetString,
  derOid,
  derOidText,
  derSequence,
  derSmallUnsigned,
  derTimeValue,
  derTlv,
} from "../der.js";
import { DpclabError } from "../errors.js";
import type { CertificateAuthority } from "./ca.js";
import { CertificateFacts, type CertificateInput } from "./certificate-facts.js";
import { crypto } from "./crypto.js";
import { OIDS } from "./oids.js";
import { type RevocationReason, revocationReasonCode, revocationReasonFromCode } from "./revocation-reason.js";
import { serialToHex } from "./serial.js";
import { verifyData } from "./signature.js";

/**
 * OCSP (RFC 6960) both ways, written and read as DER with src/der.ts: a relying party asks for every PKI-AUTH, so
 * neither side goes through asn1-schema.
 */

/** What a CA knows about one of its serial numbers (RFC 6960 §2.2). */
export type CertStatus = { status: "good" } | { status: "revoked"; revokedAt: Date; reason: RevocationReason } | { status: "unknown" };

export interface OcspResponder {
  /** The CA that answers, signing with its own key (RFC 6960 §4.2.2.2: the CA itself is an authorized responder). */
  ca: CertificateAuthority;
  /** Status of a serial this CA issued; the serial is lowercase hex of the INTEGER contents (cert.serialNumber). */
  status(serialHex: string): CertStatus | Promise<CertStatus>;
}

export interface OcspResponderOptions {
  /** nextUpdate − thisUpdate; default 24 h (responses are pre-producible, CP2.6 §4.9.9 imposes OCSP, not a period). */
  validityMs?: number;
}

export interface OcspResult {
  status: CertStatus;
  thisUpdate: Date;
  nextUpdate?: Date;
}

const DEFAULT_VALIDITY_MS = 24 * 3_600_000;
/** Clock skew tolerated between responder and relying party when checking thisUpdate/nextUpdate. */
const SKEW_MS = 5 * 60_000;
const HASHES: Readonly<Record<string, "sha1" | "sha256">> = { [OIDS.sha1]: "sha1", [OIDS.sha256]: "sha256" };

/** OCSPResponseStatus (RFC 6960 §4.2.1). */
const RESPONSE_STATUS_NAMES: Readonly<Record<number, string>> = {
  0: "successful",
  1: "malformedRequest",
  2: "internalError",
  3: "tryLater",
  5: "sigRequired",
  6: "unauthorized",
};
const SUCCESSFUL = 0;
const MALFORMED_REQUEST = 1;
const INTERNAL_ERROR = 2;

const OCSP_BASIC_OID = derOid(OIDS.ocspBasic);
const OCSP_NONCE_OID = derOid(OIDS.ocspNonce);
/** AlgorithmIdentifier { sha1, NULL }: the CertID hash RFC 5019 responders expect. */
const SHA1_ALGORITHM = derSequence(derOid(OIDS.sha1), Uint8Array.of(0x05, 0x00));

// ——— responder ———

interface ParsedRequest {
  /** Each Request's CertID: its DER (echoed in the answer) and its parts. */
  certIds: { der: Uint8Array; id: CertId }[];
  /** The nonce Extension (whole DER), echoed (RFC 8954). */
  nonceExtension?: Uint8Array;
}

interface CertId {
  hashAlgorithm: string;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  serial: Uint8Array;
}

/**
 * Answers a DER OCSPRequest (RFC 6960 §4.1) with a DER OCSPResponse (§4.2): a basic response signed by the CA,
 * responderID byKey, the CA certificate included, thisUpdate/nextUpdate, nonce echoed (RFC 8954).
 * A CertID naming another issuer gets "unknown"; bad DER gets malformedRequest. Never throws on input.
 */
export async function respondToOcsp(requestDer: Uint8Array, responder: OcspResponder, now: Date, options: OcspResponderOptions = {}): Promise<ArrayBuffer> {
  let request: ParsedRequest;
  try {
    request = parseOcspRequest(requestDer);
    if (!request.certIds.length) return statusOnly(MALFORMED_REQUEST);
  } catch {
    return statusOnly(MALFORMED_REQUEST);
  }
  // Whole seconds (RFC 5280 §4.1.2.5.2 style): nginx's ssl_ocsp cannot parse a fractional nextUpdate and refuses the
  // response ("invalid nextUpdate time in certificate status"), so a relying party would never accept a credential.
  now = new Date(Math.floor(now.getTime() / 1000) * 1000);
  try {
    const { ca } = responder;
    const thisUpdate = derGeneralizedTime(now);
    const nextUpdate = derTlv(0xa0, derGeneralizedTime(new Date(now.getTime() + (options.validityMs ?? DEFAULT_VALIDITY_MS))));
    const responses: Uint8Array[] = [];
    for (const { der, id } of request.certIds) {
      const ours = certIdNamesIssuer(id, ca.nameDer, ca.publicKeyBits);
      const status: CertStatus = ours ? await responder.status(serialToHex(id.serial)) : { status: "unknown" };
      // SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate, nextUpdate [0] EXPLICIT }
      responses.push(derSequence(der, encodeStatus(status), thisUpdate, nextUpdate));
    }
    // ResponseData ::= SEQUENCE { responderID [2] byKey, producedAt, responses, responseExtensions [1] EXPLICIT }
    const tbs = derSequence(
      derTlv(0xa2, derOctetString(sha1(ca.publicKeyBits))),
      derGeneralizedTime(now),
      derSequence(...responses),
      ...(request.nonceExtension ? [derTlv(0xa1, derSequence(request.nonceExtension))] : []),
    );
    const signature = await ca.sign(tbs);
    // BasicOCSPResponse ::= SEQUENCE { tbsResponseData, signatureAlgorithm, signature, certs [0] EXPLICIT SEQUENCE OF }
    const basic = derSequence(
      tbs,
      ca.signatureAlgorithmDer,
      derTlv(0x03, Uint8Array.of(0), signature),
      derTlv(0xa0, derSequence(new Uint8Array(ca.certificate.rawData))),
    );
    // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT SEQUENCE { type, OCTET STRING } }
    const response = derSequence(Uint8Array.of(0x0a, 0x01, SUCCESSFUL), derTlv(0xa0, derSequence(OCSP_BASIC_OID, derOctetString(basic))));
    return response.buffer;
  } catch {
    return statusOnly(INTERNAL_ERROR);
  }
}

function parseOcspRequest(der: Uint8Array): ParsedRequest {
  // OCSPRequest ::= SEQUENCE { tbsRequest, optionalSignature [0] EXPLICIT OPTIONAL }
  const outer = derExpect(der, 0, der.length, 0x30, "OCSPRequest");
  if (outer.end !== der.length) throw new DerError("bytes after the OCSPRequest");
  const [tbs, signature, extra] = derChildren(der, outer);
  if (tbs?.tag !== 0x30 || (signature && signature.tag !== 0xa0) || extra) throw new DerError("OCSPRequest is tbsRequest [, optionalSignature]");
  // TBSRequest ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, requestorName [1] OPTIONAL, requestList, requestExtensions [2] OPTIONAL }
  const fields = derChildren(der, tbs);
  let i = 0;
  if (fields[i]?.tag === 0xa0) i++;
  if (fields[i]?.tag === 0xa1) i++;
  const list = fields[i++];
  if (list?.tag !== 0x30) throw new DerError("requestList is missing");
  const out: ParsedRequest = { certIds: [] };
  for (const req of derChildren(der, list)) {
    const [certId] = req.tag === 0x30 ? derChildren(der, req) : [];
    if (!certId) throw new DerError("Request is reqCert [, singleRequestExtensions]");
    out.certIds.push({ der: derElement(der, certId), id: readCertId(der, certId) });
  }
  const exts = fields[i];
  if (exts) {
    if (exts.tag !== 0xa2 || fields[i + 1]) throw new DerError("unexpected field after requestList");
    const [seq] = derChildren(der, exts);
    for (const ext of seq ? derChildren(der, seq) : []) {
      const [id] = derChildren(der, ext);
      if (id && derOidText(der, id) === OIDS.ocspNonce) out.nonceExtension = derElement(der, ext);
    }
  }
  return out;
}

/** CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash OCTET STRING, issuerKeyHash OCTET STRING, serialNumber INTEGER } */
function readCertId(der: Uint8Array, node: DerNode): CertId {
  const [alg, nameHash, keyHash, serial, extra] = node.tag === 0x30 ? derChildren(der, node) : [];
  if (alg?.tag !== 0x30 || nameHash?.tag !== 0x04 || keyHash?.tag !== 0x04 || !serial || extra) throw new DerError("not a CertID");
  return {
    hashAlgorithm: derOidText(der, derNode(der, alg.body, alg.end)),
    issuerNameHash: derContent(der, nameHash),
    issuerKeyHash: derContent(der, keyHash),
    serial: derIntegerContent(der, serial),
  };
}

function statusOnly(status: number): ArrayBuffer {
  return Uint8Array.of(0x30, 0x03, 0x0a, 0x01, status).buffer;
}

/** CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL } */
function encodeStatus(s: CertStatus): Uint8Array {
  switch (s.status) {
    case "good":
      return Uint8Array.of(0x80, 0x00);
    case "unknown":
      return Uint8Array.of(0x82, 0x00);
    case "revoked":
      // RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
      return derTlv(0xa1, derGeneralizedTime(s.revokedAt), derTlv(0xa0, Uint8Array.of(0x0a, 0x01, revocationReasonCode(s.reason))));
  }
}

function decodeStatus(der: Uint8Array, node: DerNode): CertStatus {
  if (node.tag === 0x80) return { status: "good" };
  if (node.tag === 0x82) return { status: "unknown" };
  if (node.tag !== 0xa1) throw new DerError("certStatus is not good, revoked or unknown");
  const [time, reason] = derChildren(der, node);
  if (!time) throw new DerError("RevokedInfo has no revocationTime");
  let code = 0;
  if (reason) {
    const [enumerated] = reason.tag === 0xa0 ? derChildren(der, reason) : [];
    if (!enumerated) throw new DerError("revocationReason is [0] EXPLICIT CRLReason");
    code = derSmallUnsigned(der, enumerated, 0x0a);
  }
  return { status: "revoked", revokedAt: derTimeValue(der, time), reason: revocationReasonFromCode(code) };
}

/** RFC 6960 §4.1.1: issuerNameHash over the issuer's DER name, issuerKeyHash over its public key BIT STRING value. */
function certIdNamesIssuer(id: CertId, issuerNameDer: Uint8Array, issuerKeyBits: Uint8Array): boolean {
  const hash = HASHES[id.hashAlgorithm];
  if (!hash) return false;
  return equal(digest(hash, issuerKeyBits), id.issuerKeyHash) && equal(digest(hash, issuerNameDer), id.issuerNameHash);
}

// ——— client ———

/** A DER OCSPRequest for one certificate (SHA-1 CertID, as RFC 5019 responders expect), optionally with a nonce. */
export function createOcspRequest(cert: CertificateInput, issuer: CertificateInput, options: { nonce?: Uint8Array } = {}): ArrayBuffer {
  const subject = CertificateFacts.of(cert);
  const ca = CertificateFacts.of(issuer);
  const certId = derSequence(SHA1_ALGORITHM, derOctetString(sha1(ca.subjectDer)), derOctetString(sha1(ca.publicKeyBits)), derTlv(0x02, subject.serialBytes));
  // OCSPRequest { TBSRequest { requestList { Request { reqCert } }, requestExtensions [2] { nonce } } }
  const nonce = options.nonce ? [derTlv(0xa2, derSequence(derSequence(OCSP_NONCE_OID, derOctetString(derOctetString(options.nonce)))))] : [];
  return derSequence(derSequence(derSequence(derSequence(certId)), ...nonce)).buffer;
}

/** A random 16-byte nonce (RFC 8954 §2.1: 1–32 octets). */
export function newOcspNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}

interface BasicResponse {
  der: Uint8Array;
  tbs: DerNode;
  signatureAlgorithm: string;
  signature: Uint8Array;
  responses: DerNode[];
  extensions: DerNode[];
  certs: Uint8Array[];
}

/**
 * Reads an OCSPResponse for `cert`: checks it is a successful basic response signed by the issuer (or by a responder
 * the issuer delegated with id-kp-OCSPSigning, RFC 6960 §4.2.2.2), that it names this cert's CertID, that it is
 * current at `now`, and that it echoes the nonce when one was sent. Throws DpclabError "ocsp-invalid" otherwise.
 */
export function readOcspResponse(
  der: ArrayBuffer | Uint8Array,
  expected: { cert: CertificateInput; issuer: CertificateInput; now: Date; nonce?: Uint8Array },
): OcspResult {
  const bytes = der instanceof Uint8Array ? der : new Uint8Array(der);
  const basic = readBasicResponse(bytes);
  const cert = CertificateFacts.of(expected.cert);
  const issuer = CertificateFacts.of(expected.issuer);
  const b = basic.der;
  const tbsDer = derElement(b, basic.tbs);
  const signedByIssuer = verifyData(basic.signatureAlgorithm, issuer.publicKey, tbsDer, basic.signature);
  if (!signedByIssuer && !signedByDelegate(basic, tbsDer, issuer, expected.now)) {
    throw invalid("the OCSP response signature does not verify with the issuer's key or a delegated responder");
  }
  try {
    let single: DerNode[] | undefined;
    for (const r of basic.responses) {
      const parts = r.tag === 0x30 ? derChildren(b, r) : [];
      const id = readCertId(b, parts[0] ?? r);
      if (equal(id.serial, cert.serialBytes) && certIdNamesIssuer(id, issuer.subjectDer, issuer.publicKeyBits)) {
        single = parts;
        break;
      }
    }
    if (!single) throw invalid("the OCSP response has no status for this certificate's CertID");
    // SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate, nextUpdate [0] EXPLICIT OPTIONAL, singleExtensions [1] OPTIONAL }
    const [, statusNode, thisUpdateNode, next] = single;
    const singleExtensions = single.find((n, i) => i >= 3 && n.tag === 0xa1);
    // RFC 5280 §4.2 / RFC 6960 §4.4: a critical extension the client does not understand makes the answer unusable.
    for (const ext of [...basic.extensions, ...(singleExtensions ? derChildren(b, derChildren(b, singleExtensions)[0] ?? missingSequence()) : [])]) {
      const [id, maybeCritical] = derChildren(b, ext);
      if (!id || maybeCritical?.tag !== 0x01 || b[maybeCritical.body] !== 0xff) continue;
      const oid = derOidText(b, id);
      if (!KNOWN_OCSP_EXTENSIONS.has(oid))
        throw invalid(`the OCSP response has a critical extension ${oid} that is not understood (status undetermined, RFC 6960 §4.4)`);
    }
    if (!statusNode || !thisUpdateNode || thisUpdateNode.tag !== 0x18) throw new DerError("SingleResponse is certID, certStatus, thisUpdate");
    const thisUpdate = derTimeValue(b, thisUpdateNode);
    let nextUpdate: Date | undefined;
    if (next?.tag === 0xa0) {
      const [time] = derChildren(b, next);
      if (time?.tag !== 0x18) throw new DerError("nextUpdate is [0] EXPLICIT GeneralizedTime");
      nextUpdate = derTimeValue(b, time);
    }
    const status = decodeStatus(b, statusNode);
    const now = expected.now.getTime();
    if (thisUpdate.getTime() > now + SKEW_MS) throw invalid("the OCSP response's thisUpdate is in the future");
    if (nextUpdate && nextUpdate.getTime() < now - SKEW_MS) throw invalid("the OCSP response is stale (nextUpdate passed)");
    if (expected.nonce) {
      const sent = derOctetString(expected.nonce);
      const echoed = basic.extensions.some((ext) => {
        const [id, ...rest] = derChildren(b, ext);
        const value = rest[rest.length - 1];
        return id && value?.tag === 0x04 && derOidText(b, id) === OIDS.ocspNonce && equal(derContent(b, value), sent);
      });
      if (!echoed) throw invalid("the OCSP response does not echo our nonce");
    }
    return { status, thisUpdate, ...(nextUpdate ? { nextUpdate } : {}) };
  } catch (e) {
    if (e instanceof DpclabError) throw e;
    throw invalid(`the basic OCSP response is not DER (${(e as Error).message})`);
  }
}

/** OCSPResponse → its BasicOCSPResponse, structurally checked; throws "ocsp-invalid" for anything else. */
function readBasicResponse(bytes: Uint8Array): BasicResponse {
  let status: number;
  let responseBytes: DerNode | undefined;
  try {
    const outer = derExpect(bytes, 0, bytes.length, 0x30, "OCSPResponse");
    if (outer.end !== bytes.length) throw new DerError("bytes after the OCSPResponse");
    const [statusNode, wrapped, extra] = derChildren(bytes, outer);
    if (!statusNode || extra || (wrapped && wrapped.tag !== 0xa0)) throw new DerError("OCSPResponse is responseStatus [, responseBytes]");
    status = derSmallUnsigned(bytes, statusNode, 0x0a);
    if (wrapped) {
      [responseBytes] = derChildren(bytes, wrapped);
      if (responseBytes?.tag !== 0x30) throw new DerError("responseBytes is a SEQUENCE");
    }
  } catch {
    throw invalid("the OCSP response is not DER");
  }
  if (status !== SUCCESSFUL) throw invalid(`the responder answered ${RESPONSE_STATUS_NAMES[status] ?? status}`);
  let type: string | undefined;
  let payload: DerNode | undefined;
  try {
    if (responseBytes) {
      const parts = derChildren(bytes, responseBytes);
      if (parts[0]) type = derOidText(bytes, parts[0]);
      payload = parts[1];
    }
  } catch {
    throw invalid("the OCSP response is not DER");
  }
  if (type !== OIDS.ocspBasic || !payload || payload.tag !== 0x04) throw invalid("not a basic OCSP response");
  try {
    const der = derContent(bytes, payload);
    const outer = derExpect(der, 0, der.length, 0x30, "BasicOCSPResponse");
    if (outer.end !== der.length) throw new DerError("bytes after the BasicOCSPResponse");
    const [tbs, alg, sig, certs, extra] = derChildren(der, outer);
    if (tbs?.tag !== 0x30 || !alg || alg.tag !== 0x30 || !sig || extra || (certs && certs.tag !== 0xa0)) {
      throw new DerError("BasicOCSPResponse is tbsResponseData, signatureAlgorithm, signature [, certs]");
    }
    // ResponseData ::= SEQUENCE { version [0] DEFAULT v1, responderID [1]|[2], producedAt, responses, responseExtensions [1] }
    const fields = derChildren(der, tbs);
    let i = 0;
    if (fields[i]?.tag === 0xa0) i++;
    const responder = fields[i++];
    const producedAt = fields[i++];
    const responses = fields[i++];
    if (!responder || (responder.tag !== 0xa1 && responder.tag !== 0xa2)) throw new DerError("responderID is byName [1] or byKey [2]");
    if (producedAt?.tag !== 0x18 || !responses || responses.tag !== 0x30) throw new DerError("ResponseData lacks producedAt or responses");
    derTimeValue(der, producedAt);
    const extensionsNode = fields[i++];
    if (extensionsNode && extensionsNode.tag !== 0xa1) throw new DerError("unexpected field after responses");
    if (fields[i]) throw new DerError("unexpected field at the end of ResponseData");
    const [extList] = extensionsNode ? derChildren(der, extensionsNode) : [];
    const certList = certs ? derChildren(der, certs)[0] : undefined;
    return {
      der,
      tbs,
      signatureAlgorithm: derOidText(der, derNode(der, alg.body, alg.end)),
      signature: derBitStringOctets(der, sig),
      responses: derChildren(der, responses),
      extensions: extList ? derChildren(der, extList) : [],
      certs: certList ? derChildren(der, certList).map((c) => derElement(der, c)) : [],
    };
  } catch {
    throw invalid("the basic OCSP response is not DER");
  }
}

/** OCSP extensions this reader understands (RFC 6960 §4.4, RFC 8954). */
const KNOWN_OCSP_EXTENSIONS = new Set<string>([OIDS.ocspNonce, OIDS.ocspCrlId, OIDS.ocspArchiveCutoff, OIDS.ocspExtendedRevoke]);

function missingSequence(): never {
  throw new DerError("singleExtensions [1] holds a SEQUENCE");
}

/**
 * RFC 6960 §4.2.2.2: an authorized responder other than the CA is a certificate the CA itself issued (its name as
 * issuer, its key's signature) with id-kp-OCSPSigning, digitalSignature when it has keyUsage, valid now, whose key
 * signed the response. Its own revocation status is not checked (id-pkix-ocsp-nocheck or not): RFC 6960 §4.2.2.2.1
 * leaves that to the client's policy, and this client trusts a delegate for its validity period.
 */
function signedByDelegate(basic: BasicResponse, tbsDer: Uint8Array, issuer: CertificateFacts, now: Date): boolean {
  for (const der of basic.certs) {
    let delegate: CertificateFacts;
    try {
      delegate = CertificateFacts.fromDer(der);
    } catch {
      continue;
    }
    if (!delegate.extKeyUsage?.has(OIDS.ocspSigning)) continue;
    if (delegate.issuerHex !== issuer.subjectHex) continue;
    if (delegate.keyUsage && !delegate.keyUsage.has("digitalSignature")) continue;
    if (!delegate.isValidAt(now)) continue;
    if (!delegate.isSignedBy(issuer)) continue;
    let key: KeyObject;
    try {
      key = delegate.publicKey;
    } catch {
      continue;
    }
    if (verifyData(basic.signatureAlgorithm, key, tbsDer, basic.signature)) return true;
  }
  return false;
}

function invalid(detail: string): DpclabError {
  return new DpclabError(detail, "ocsp-invalid");
}

function digest(alg: "sha1" | "sha256", data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(alg).update(data).digest());
}

function sha1(data: Uint8Array): Uint8Array {
  return digest("sha1", data);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** The responseStatus of a DER OCSPResponse (0 successful, 1 malformedRequest, 2 internalError, …; RFC 6960 §4.2.1). */
export function ocspResponseStatus(der: ArrayBuffer | Uint8Array): number {
  const bytes = der instanceof Uint8Array ? der : new Uint8Array(der);
  try {
    const outer = derExpect(bytes, 0, bytes.length, 0x30, "OCSPResponse");
    return derSmallUnsigned(bytes, derNode(bytes, outer.body, outer.end), 0x0a);
  } catch (e) {
    throw new DpclabError(`not a DER OCSPResponse: ${(e as Error).message}`, "ocsp-invalid");
  }
}
