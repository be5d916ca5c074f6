import { createHash } from "node:crypto";
import * as ocsp from "@peculiar/asn1-ocsp";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import type { X509Certificate } from "@peculiar/x509";
import { derTlv } from "../der.js";
import { DpclabError } from "../errors.js";
import type { CertificateAuthority } from "./ca.js";
import { CertificateFacts } from "./certificate-facts.js";
import { crypto } from "./crypto.js";
import { OIDS } from "./oids.js";
import { type RevocationReason, revocationReasonCode, revocationReasonFromCode } from "./revocation-reason.js";
import { serialToHex } from "./serial.js";
import { publicKeyFromSpki, verifyData } from "./signature.js";

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

// ——— responder ———

/**
 * Answers a DER OCSPRequest (RFC 6960 §4.1) with a DER OCSPResponse (§4.2): a basic response signed by the CA,
 * responderID byKey, the CA certificate included, thisUpdate/nextUpdate, nonce echoed (RFC 8954).
 * A CertID naming another issuer gets "unknown"; bad DER gets malformedRequest. Never throws on input.
 */
export async function respondToOcsp(requestDer: Uint8Array, responder: OcspResponder, now: Date, options: OcspResponderOptions = {}): Promise<ArrayBuffer> {
  let request: ocsp.OCSPRequest;
  try {
    request = AsnConvert.parse(requestDer, ocsp.OCSPRequest);
    if (!request.tbsRequest.requestList.length) return statusOnly(ocsp.OCSPResponseStatus.malformedRequest);
  } catch {
    return statusOnly(ocsp.OCSPResponseStatus.malformedRequest);
  }
  try {
    const { ca } = responder;
    const nextUpdate = new Date(now.getTime() + (options.validityMs ?? DEFAULT_VALIDITY_MS));
    const responses: ocsp.SingleResponse[] = [];
    for (const { reqCert } of request.tbsRequest.requestList) {
      const ours = certIdNamesIssuer(reqCert, ca.nameDer, ca.publicKeyBits);
      const status: CertStatus = ours ? await responder.status(serialToHex(reqCert.serialNumber)) : { status: "unknown" };
      responses.push(new ocsp.SingleResponse({ certID: reqCert, certStatus: encodeStatus(status), thisUpdate: now, nextUpdate }));
    }
    const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === OIDS.ocspNonce);
    const tbs = new ocsp.ResponseData({
      responderID: new ocsp.ResponderID({ byKey: new ocsp.KeyHash(sha1(ca.publicKeyBits)) }),
      producedAt: now,
      responses,
      ...(nonce ? { responseExtensions: [nonce] } : {}),
    });
    const tbsDer = AsnConvert.serialize(tbs);
    const signature = await ca.sign(tbsDer);
    // BasicOCSPResponse ::= SEQUENCE { tbsResponseData, signatureAlgorithm, signature, certs [0] EXPLICIT SEQUENCE OF }
    const basic = derTlv(
      0x30,
      tbsDer,
      AsnConvert.serialize(ca.signatureAlgorithm),
      derTlv(0x03, Uint8Array.of(0), signature),
      derTlv(0xa0, derTlv(0x30, ca.certificate.rawData)),
    );
    return AsnConvert.serialize(
      new ocsp.OCSPResponse({
        responseStatus: ocsp.OCSPResponseStatus.successful,
        responseBytes: new ocsp.ResponseBytes({ responseType: OIDS.ocspBasic, response: new OctetString(basic) }),
      }),
    );
  } catch {
    return statusOnly(ocsp.OCSPResponseStatus.internalError);
  }
}

function statusOnly(status: ocsp.OCSPResponseStatus): ArrayBuffer {
  return AsnConvert.serialize(new ocsp.OCSPResponse({ responseStatus: status }));
}

function encodeStatus(s: CertStatus): ocsp.CertStatus {
  switch (s.status) {
    case "good":
      return new ocsp.CertStatus({ good: null });
    case "unknown":
      return new ocsp.CertStatus({ unknown: null });
    case "revoked":
      return new ocsp.CertStatus({
        revoked: new ocsp.RevokedInfo({
          revocationTime: s.revokedAt,
          revocationReason: new asn1X509.CRLReason(revocationReasonCode(s.reason)),
        }),
      });
  }
}

function decodeStatus(s: ocsp.CertStatus): CertStatus {
  if (s.revoked) {
    const code = s.revoked.revocationReason?.reason ?? 0;
    return { status: "revoked", revokedAt: s.revoked.revocationTime, reason: revocationReasonFromCode(code) };
  }
  if (s.good !== undefined) return { status: "good" };
  return { status: "unknown" };
}

/** RFC 6960 §4.1.1: issuerNameHash over the issuer's DER name, issuerKeyHash over its public key BIT STRING value. */
function certIdNamesIssuer(id: ocsp.CertID, issuerNameDer: Uint8Array, issuerKeyBits: Uint8Array): boolean {
  const hash = HASHES[id.hashAlgorithm.algorithm];
  if (!hash) return false;
  return (
    equal(digest(hash, issuerKeyBits), new Uint8Array(id.issuerKeyHash.buffer)) && equal(digest(hash, issuerNameDer), new Uint8Array(id.issuerNameHash.buffer))
  );
}

// ——— client ———

/** A DER OCSPRequest for one certificate (SHA-1 CertID, as RFC 5019 responders expect), optionally with a nonce. */
export function createOcspRequest(cert: X509Certificate, issuer: X509Certificate, options: { nonce?: Uint8Array } = {}): ArrayBuffer {
  const { nameDer, keyBits } = issuerIdentity(issuer);
  const certId = new ocsp.CertID({
    hashAlgorithm: new asn1X509.AlgorithmIdentifier({ algorithm: OIDS.sha1, parameters: null }),
    issuerNameHash: new OctetString(sha1(nameDer)),
    issuerKeyHash: new OctetString(sha1(keyBits)),
    serialNumber: CertificateFacts.of(cert).asn.tbsCertificate.serialNumber,
  });
  const tbsRequest = new ocsp.TBSRequest({ requestList: [new ocsp.Request({ reqCert: certId })] });
  if (options.nonce) {
    tbsRequest.requestExtensions = [
      new asn1X509.Extension({
        extnID: OIDS.ocspNonce,
        critical: false,
        extnValue: new OctetString(AsnConvert.serialize(new OctetString(options.nonce))),
      }),
    ];
  }
  return AsnConvert.serialize(new ocsp.OCSPRequest({ tbsRequest }));
}

/** A random 16-byte nonce (RFC 8954 §2.1: 1–32 octets). */
export function newOcspNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}

/**
 * Reads an OCSPResponse for `cert`: checks it is a successful basic response signed by the issuer (or by a responder
 * the issuer delegated with id-kp-OCSPSigning, RFC 6960 §4.2.2.2), that it names this cert's CertID, that it is
 * current at `now`, and that it echoes the nonce when one was sent. Throws DpclabError "ocsp-invalid" otherwise.
 */
export function readOcspResponse(
  der: ArrayBuffer | Uint8Array,
  expected: { cert: X509Certificate; issuer: X509Certificate; now: Date; nonce?: Uint8Array },
): OcspResult {
  let response: ocsp.OCSPResponse;
  let basic: ocsp.BasicOCSPResponse;
  try {
    response = AsnConvert.parse(der, ocsp.OCSPResponse);
  } catch {
    throw invalid("the OCSP response is not DER");
  }
  if (response.responseStatus !== ocsp.OCSPResponseStatus.successful) {
    throw invalid(`the responder answered ${ocsp.OCSPResponseStatus[response.responseStatus] ?? response.responseStatus}`);
  }
  if (response.responseBytes?.responseType !== OIDS.ocspBasic) throw invalid("not a basic OCSP response");
  try {
    basic = AsnConvert.parse(response.responseBytes.response.buffer, ocsp.BasicOCSPResponse);
  } catch {
    throw invalid("the basic OCSP response is not DER");
  }
  const tbsDer = basic.tbsResponseDataRaw ?? AsnConvert.serialize(basic.tbsResponseData);
  const { nameDer, keyBits, spki } = issuerIdentity(expected.issuer);
  const signedByIssuer = verifyData(basic.signatureAlgorithm, publicKeyFromSpki(spki), tbsDer, basic.signature);
  if (!signedByIssuer && !signedByDelegate(basic, tbsDer, expected.issuer, expected.now)) {
    throw invalid("the OCSP response signature does not verify with the issuer's key or a delegated responder");
  }
  const serial = Buffer.from(CertificateFacts.of(expected.cert).asn.tbsCertificate.serialNumber);
  const single = basic.tbsResponseData.responses.find(
    (r) => Buffer.from(r.certID.serialNumber).equals(serial) && certIdNamesIssuer(r.certID, nameDer, keyBits),
  );
  if (!single) throw invalid("the OCSP response has no status for this certificate's CertID");
  const now = expected.now.getTime();
  if (single.thisUpdate.getTime() > now + SKEW_MS) throw invalid("the OCSP response's thisUpdate is in the future");
  if (single.nextUpdate && single.nextUpdate.getTime() < now - SKEW_MS) throw invalid("the OCSP response is stale (nextUpdate passed)");
  if (expected.nonce) {
    const echoed = basic.tbsResponseData.responseExtensions?.find((e) => e.extnID === OIDS.ocspNonce);
    const sent = new Uint8Array(AsnConvert.serialize(new OctetString(expected.nonce)));
    if (!echoed || !equal(new Uint8Array(echoed.extnValue.buffer), sent)) throw invalid("the OCSP response does not echo our nonce");
  }
  return {
    status: decodeStatus(single.certStatus),
    thisUpdate: single.thisUpdate,
    ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
  };
}

function signedByDelegate(basic: ocsp.BasicOCSPResponse, tbsDer: ArrayBuffer, issuer: X509Certificate, now: Date): boolean {
  const issuerKey = publicKeyFromSpki(issuer.publicKey.rawData);
  for (const asnCert of basic.certs ?? []) {
    const tbs = asnCert.tbsCertificate;
    const eku = tbs.extensions?.find((e) => e.extnID === OIDS.extKeyUsage);
    if (!eku) continue;
    const usages = AsnConvert.parse(eku.extnValue.buffer, asn1X509.ExtendedKeyUsage);
    if (!usages.includes(OIDS.ocspSigning)) continue;
    const validity = [tbs.validity.notBefore.getTime().getTime(), tbs.validity.notAfter.getTime().getTime()] as const;
    if (now.getTime() < validity[0] || now.getTime() > validity[1]) continue;
    const tbsCertDer = asnCert.tbsCertificateRaw ?? AsnConvert.serialize(tbs);
    if (!verifyData(asnCert.signatureAlgorithm, issuerKey, tbsCertDer, asnCert.signatureValue)) continue;
    const delegateKey = publicKeyFromSpki(AsnConvert.serialize(tbs.subjectPublicKeyInfo));
    if (verifyData(basic.signatureAlgorithm, delegateKey, tbsDer, basic.signature)) return true;
  }
  return false;
}

/** The issuer's name and key as OCSP hashes them (RFC 6960 §4.1.1), computed once per issuer certificate. */
function issuerIdentity(issuer: X509Certificate): { nameDer: Uint8Array; keyBits: Uint8Array; spki: ArrayBuffer } {
  let identity = identityCache.get(issuer);
  if (!identity) {
    const tbs = CertificateFacts.of(issuer).asn.tbsCertificate;
    identity = {
      nameDer: new Uint8Array(AsnConvert.serialize(tbs.subject)),
      keyBits: new Uint8Array(tbs.subjectPublicKeyInfo.subjectPublicKey),
      spki: AsnConvert.serialize(tbs.subjectPublicKeyInfo),
    };
    identityCache.set(issuer, identity);
  }
  return identity;
}
const identityCache = new WeakMap<X509Certificate, { nameDer: Uint8Array; keyBits: Uint8Array; spki: ArrayBuffer }>();

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
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

/** The responseStatus of a DER OCSPResponse (0 successful, 1 malformedRequest, 2 internalError, …; RFC 6960 §4.2.1). */
export function ocspResponseStatus(der: ArrayBuffer | Uint8Array): number {
  return AsnConvert.parse(der, ocsp.OCSPResponse).responseStatus;
}
