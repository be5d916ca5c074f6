import { createHash, createPrivateKey, createPublicKey, KeyObject } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import { derInteger, derOid, derRead, derTime, derTlv } from "../der.js";
import { DpclabError } from "../errors.js";
import {
  AuthorityInfoAccessExtension,
  BasicConstraintsExtension,
  CertificatePolicyExtension,
  CRLDistributionPointsExtension,
  type Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  Name,
  X509Certificate,
} from "../x509.js";
import { type KeyAlgorithm, keyGenParams } from "./algorithms.js";
import { crypto } from "./crypto.js";
import { OIDS } from "./oids.js";
import { randomSerial, serialFromHex, serialToHex } from "./serial.js";
import { signatureAlgorithmFor, signData, signDataSync } from "./signature.js";

/** The URLs a CA stamps into the certificates *it issues* (CERT-05 AIA, CERT-06 CDP). All must be http:. */
export interface IssuerPublication {
  /** http URL of a certs-only .p7c holding this CA's own certificate (id-ad-caIssuers). */
  caIssuersUrl: string;
  /** http URL of this CA's OCSP responder (id-ad-ocsp). */
  ocspUrl: string;
  /** http URL of this CA's DER CRL. */
  crlUrl: string;
}

export interface CaOptions {
  /** A bare common name ("DPCLAB TEST Root CA") or a DN string written in DER order ("C=US,O=…,CN=…"). */
  commonName: string;
  alg?: KeyAlgorithm;
  notBefore: Date;
  notAfter: Date;
  /** What the new CA will stamp into the certificates it issues. */
  publication?: IssuerPublication;
}

export interface SubordinateCaOptions extends CaOptions {
  /** certificatePolicies asserted in the CA certificate; default: every Common Policy OID a PIV/DPC issuer uses. */
  policies?: string[];
  pathLength?: number;
}

/** An extension already encoded as DER (the whole Extension SEQUENCE), by OID. */
export interface RawExtension {
  type: string;
  rawData: ArrayBuffer | Uint8Array;
}

export interface IssueRequest {
  /**
   * Subject DN: a string with RDNs in DER order (most significant first, "C=US,O=…,CN=…"), a Name, or the DER of
   * a Name (fastest: see derName).
   */
  subject: string | Name | Uint8Array;
  /** SubjectPublicKeyInfo, DER. */
  publicKey: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /**
   * Profile extensions; the CA adds SKI, AKI, AIA and CDP itself (a caller's extension of the same type wins).
   * A pre-encoded `{ type, rawData }` (DER of the whole Extension) saves building and re-parsing an Extension object.
   */
  extensions: (Extension | RawExtension)[];
  /** Hex; a random positive ≤20-octet serial when omitted (CERT-14). */
  serialNumber?: string;
}

export interface ExportedCa {
  certificatePem: string;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  alg: KeyAlgorithm;
  publication?: IssuerPublication;
}

/** Policies a subordinate CA certificate asserts by default: all Common Policy OIDs of PIV and derived PIV. */
export const DEFAULT_CA_POLICIES: readonly string[] = [
  OIDS.commonPolicy,
  OIDS.commonHardware,
  OIDS.commonAuthentication,
  OIDS.commonCardAuth,
  OIDS.commonPivContentSigning,
  OIDS.commonDerivedPivAuth,
  OIDS.commonDerivedPivAuthHardware,
];

/**
 * A certification authority of the test PKI: a certificate, its private key and where it publishes.
 * Everything that is the same for every certificate it signs (issuer name, AKI, AIA, CDP, signature algorithm)
 * is computed once here, so issuance costs one SPKI parse, one SHA-1 and one signature.
 */
export class CertificateAuthority {
  readonly certificate: X509Certificate;
  readonly alg: KeyAlgorithm;
  readonly publication?: IssuerPublication;
  readonly #key: KeyObject;
  readonly #signatureAlgorithm: asn1X509.AlgorithmIdentifier;
  readonly #signatureAlgorithmDer: Uint8Array;
  /** DER Extensions this CA adds to everything it issues (AKI, and AIA + CDP when it publishes). */
  readonly #stamped: { oid: string; der: Uint8Array }[];
  readonly #subjectKeyId: Uint8Array;
  readonly #publicKeyBits: Uint8Array;
  readonly #nameDer: Uint8Array;

  private constructor(certificate: X509Certificate, key: KeyObject, alg: KeyAlgorithm, publication?: IssuerPublication) {
    this.certificate = certificate;
    this.#key = key;
    this.alg = alg;
    if (publication) {
      for (const [k, url] of Object.entries(publication)) {
        if (!/^http:\/\//i.test(url)) throw new DpclabError(`${k} must be an http: URL (CERT-05/06), got "${url}"`, "bad-publication");
      }
      this.publication = { ...publication };
    }
    const cert = AsnConvert.parse(certificate.rawData, asn1X509.Certificate);
    this.#nameDer = new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.subject));
    this.#publicKeyBits = new Uint8Array(cert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
    this.#signatureAlgorithm = signatureAlgorithmFor(alg);
    this.#signatureAlgorithmDer = new Uint8Array(AsnConvert.serialize(this.#signatureAlgorithm));
    const ski = cert.tbsCertificate.extensions?.find((e) => e.extnID === OIDS.subjectKeyIdentifier);
    // Chaining uses the key id the CA certificate declares; RFC 5280 §4.2.1.2 method 1 when it declares none.
    this.#subjectKeyId = ski ? new Uint8Array(AsnConvert.parse(ski.extnValue.buffer, asn1X509.SubjectKeyIdentifier).buffer) : sha1(this.#publicKeyBits);
    const stamped = [akiExtension(this.#subjectKeyId), ...(this.publication ? publicationExtensions(this.publication) : [])];
    this.#stamped = stamped.map((e) => ({ oid: e.extnID, der: new Uint8Array(AsnConvert.serialize(e)) }));
  }

  /** A self-signed root (trust anchor): no certificatePolicies, as RFC 5280 §6.1 anchors carry none that count. */
  static async createRoot(options: CaOptions): Promise<CertificateAuthority> {
    const alg = options.alg ?? "p256";
    const subject = caName(options.commonName);
    const { key, spki } = await generateKey(alg);
    const subjectName = new Uint8Array(new Name(subject).toArrayBuffer());
    const keyId = sha1(AsnConvert.parse(spki, asn1X509.SubjectPublicKeyInfo).subjectPublicKey);
    const der = await buildCertificate({
      issuer: subjectName,
      subject: subjectName,
      spki,
      notBefore: options.notBefore,
      notAfter: options.notAfter,
      serial: randomSerial(),
      extensions: [...caExtensions(undefined), skiExtension(keyId), akiExtension(keyId)].map(extensionDer),
      signatureAlgorithm: new Uint8Array(AsnConvert.serialize(signatureAlgorithmFor(alg))),
      alg,
      key,
    });
    return new CertificateAuthority(new X509Certificate(der), key, alg, options.publication);
  }

  /** A CA certificate issued by this CA, and the new CA with its freshly generated key. */
  async createSubordinate(options: SubordinateCaOptions): Promise<CertificateAuthority> {
    const alg = options.alg ?? "p256";
    const { key, spki } = await generateKey(alg);
    const certificate = await this.issue({
      subject: caName(options.commonName),
      publicKey: spki,
      notBefore: options.notBefore,
      notAfter: options.notAfter,
      extensions: [...caExtensions(options.pathLength), new CertificatePolicyExtension([...(options.policies ?? DEFAULT_CA_POLICIES)], false)],
    });
    return new CertificateAuthority(certificate, key, alg, options.publication);
  }

  static load(exported: ExportedCa): CertificateAuthority {
    let certificate: X509Certificate;
    let key: KeyObject;
    try {
      certificate = new X509Certificate(exported.certificatePem);
      key = createPrivateKey({ key: exported.privateKeyPem, format: "pem" });
    } catch (e) {
      throw new DpclabError(`cannot load CA: ${(e as Error).message}`, "bad-ca");
    }
    const ca = new CertificateAuthority(certificate, key, exported.alg, exported.publication);
    const pub = publicKeyBitsOf(key);
    if (!Buffer.from(pub).equals(Buffer.from(ca.#publicKeyBits))) {
      throw new DpclabError("CA private key does not match its certificate", "bad-ca");
    }
    return ca;
  }

  export(): ExportedCa {
    return {
      certificatePem: this.certificate.toString("pem"),
      privateKeyPem: this.#key.export({ format: "pem", type: "pkcs8" }).toString(),
      alg: this.alg,
      ...(this.publication ? { publication: { ...this.publication } } : {}),
    };
  }

  /** The DN this CA writes as issuer, in OpenSSL-like text. */
  get name(): string {
    return this.certificate.subject;
  }

  /** This CA's key identifier (its certificate's SKI), which AKIs of what it issues carry (CERT-07). */
  get keyId(): Uint8Array {
    return this.#subjectKeyId;
  }

  /** DER of this CA's subject name: the issuer name of everything it signs (and the OCSP CertID input). */
  get nameDer(): Uint8Array {
    return this.#nameDer;
  }

  /** The BIT STRING contents of this CA's public key (OCSP issuerKeyHash / responder byKey input, RFC 6960 §4.1.1). */
  get publicKeyBits(): Uint8Array {
    return this.#publicKeyBits;
  }

  get signatureAlgorithm(): asn1X509.AlgorithmIdentifier {
    return this.#signatureAlgorithm;
  }

  /** DER of signatureAlgorithm, for structures written by hand (OCSP responses). */
  get signatureAlgorithmDer(): Uint8Array {
    return this.#signatureAlgorithmDer;
  }

  /** Signs a DER to-be-signed structure (CRL, OCSP response) with the CA key; the result is in X.509 form. */
  sign(tbs: ArrayBuffer | Uint8Array): Promise<ArrayBuffer> {
    return signData(this.alg, this.#key, tbs);
  }

  async issue(request: IssueRequest): Promise<X509Certificate> {
    return new X509Certificate((await this.issueDer(request)).der);
  }

  /**
   * Issues and returns the DER without parsing it back into an X509Certificate (which costs more than building and
   * signing it): for bulk issuance. serialNumber is lowercase hex, as CertStatus lookups use.
   */
  async issueDer(request: IssueRequest): Promise<{ der: Uint8Array<ArrayBuffer>; serialNumber: string }> {
    if (!(request.notAfter.getTime() > request.notBefore.getTime())) {
      throw new DpclabError("notAfter must be later than notBefore", "bad-validity");
    }
    const keyBits = spkiKeyBits(request.publicKey);
    let subject: Uint8Array;
    if (request.subject instanceof Uint8Array) {
      subject = request.subject;
    } else {
      try {
        const name = request.subject instanceof Name ? request.subject : new Name(request.subject);
        subject = new Uint8Array(name.toArrayBuffer());
      } catch {
        throw new DpclabError(`subject is not a distinguished name: "${String(request.subject)}"`, "bad-subject");
      }
    }
    const present = new Set(request.extensions.map((e) => e.type));
    const extensions: Uint8Array[] = request.extensions.map((e) => new Uint8Array(e.rawData));
    // SKI = SHA-1 of the key BIT STRING (RFC 5280 §4.2.1.2 method 1), written as DER directly.
    if (!present.has(OIDS.subjectKeyIdentifier)) extensions.push(derTlv(0x30, SKI_OID, derTlv(0x04, derTlv(0x04, sha1(keyBits)))));
    for (const ext of this.#stamped) if (!present.has(ext.oid)) extensions.push(ext.der);
    const serial = request.serialNumber ? serialFromHex(request.serialNumber) : randomSerial();
    const der = await buildCertificate({
      issuer: this.#nameDer,
      subject,
      spki: request.publicKey,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      serial,
      extensions,
      signatureAlgorithm: this.#signatureAlgorithmDer,
      alg: this.alg,
      key: this.#key,
    });
    return { der, serialNumber: serialToHex(serial) };
  }
}

// ——— helpers ———

function caName(commonName: string): string {
  const dn = commonName.includes("=") ? commonName : `C=US,O=DPCLAB TEST,CN=${commonName}`;
  // docs/architecture.md: test PKI is unmistakable.
  if (!dn.includes("TEST")) throw new DpclabError(`CA names must contain "TEST" (got "${dn}")`, "bad-ca-name");
  return dn;
}

function caExtensions(pathLength: number | undefined): Extension[] {
  return [new BasicConstraintsExtension(true, pathLength, true), new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true)];
}

function publicationExtensions(p: IssuerPublication): asn1X509.Extension[] {
  return toAsn([
    new AuthorityInfoAccessExtension({ caIssuers: p.caIssuersUrl, ocsp: p.ocspUrl }, false),
    new CRLDistributionPointsExtension([p.crlUrl], false),
  ]);
}

function toAsn(extensions: Extension[]): asn1X509.Extension[] {
  return extensions.map((e) => new asn1X509.Extension({ extnID: e.type, critical: e.critical, extnValue: new OctetString(e.value) }));
}

function extensionDer(e: Extension | asn1X509.Extension): Uint8Array {
  return new Uint8Array(e instanceof asn1X509.Extension ? AsnConvert.serialize(e) : e.rawData);
}

function skiExtension(keyId: Uint8Array): asn1X509.Extension {
  return new asn1X509.Extension({
    extnID: OIDS.subjectKeyIdentifier,
    critical: false,
    extnValue: new OctetString(AsnConvert.serialize(new asn1X509.SubjectKeyIdentifier(keyId))),
  });
}

/** CERT-07: keyIdentifier form only (issuer + serial is prohibited). */
function akiExtension(keyId: Uint8Array): asn1X509.Extension {
  return new asn1X509.Extension({
    extnID: OIDS.authorityKeyIdentifier,
    critical: false,
    extnValue: new OctetString(AsnConvert.serialize(new asn1X509.AuthorityKeyIdentifier({ keyIdentifier: new asn1X509.KeyIdentifier(keyId) }))),
  });
}

function sha1(data: ArrayBuffer | Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash("sha1")
      .update(data instanceof Uint8Array ? data : new Uint8Array(data))
      .digest(),
  );
}

async function generateKey(alg: KeyAlgorithm): Promise<{ key: KeyObject; spki: Uint8Array }> {
  const pair = (await crypto.subtle.generateKey(keyGenParams(alg), true, ["sign", "verify"])) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  return { key: KeyObject.from(pair.privateKey), spki };
}

/** The public-key BIT STRING contents of a private key, to check a loaded key matches its certificate. */
function publicKeyBitsOf(key: KeyObject): Uint8Array {
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  return new Uint8Array(AsnConvert.parse(spki, asn1X509.SubjectPublicKeyInfo).subjectPublicKey);
}

interface BuildParams {
  issuer: Uint8Array;
  subject: Uint8Array;
  spki: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  serial: ArrayBuffer;
  /** DER Extension each. */
  extensions: Uint8Array[];
  signatureAlgorithm: Uint8Array;
  alg: KeyAlgorithm;
  key: KeyObject;
}

/** RFC 5280 §4.1 TBSCertificate written directly as DER: asn1-schema serialization costs more than the signature. */
async function buildCertificate(p: BuildParams): Promise<Uint8Array<ArrayBuffer>> {
  const tbs = derTlv(
    0x30,
    V3,
    derInteger(p.serial),
    p.signatureAlgorithm,
    p.issuer,
    derTlv(0x30, derTime(p.notBefore), derTime(p.notAfter)),
    p.subject,
    p.spki,
    derTlv(0xa3, derTlv(0x30, ...p.extensions)),
  );
  // Signed synchronously: ~55 µs for P-256, and awaiting the thread pool one certificate at a time costs more
  // than the signature itself (bench/issuance.ts).
  const signature = signDataSync(p.alg, p.key, tbs);
  return derTlv(0x30, tbs, p.signatureAlgorithm, derTlv(0x03, Uint8Array.of(0), signature));
}

/**
 * The subjectPublicKey BIT STRING contents of an SPKI (RFC 5280 §4.1.2.7), read with the DER reader rather than a
 * full asn1-schema parse: SEQUENCE { AlgorithmIdentifier, BIT STRING } and nothing else.
 */
function spkiKeyBits(spki: Uint8Array): Uint8Array {
  try {
    const outer = derRead(spki);
    if (outer.tag !== 0x30 || outer.end !== spki.length) throw new Error("not one SEQUENCE");
    const algorithm = derRead(outer.value);
    const bits = derRead(outer.value, algorithm.end);
    if (algorithm.tag !== 0x30 || bits.tag !== 0x03 || bits.end !== outer.value.length || bits.value[0] !== 0) throw new Error("not an SPKI");
    return bits.value.subarray(1);
  } catch {
    throw new DpclabError("publicKey is not a DER SubjectPublicKeyInfo", "bad-public-key");
  }
}

const SKI_OID = derOid(OIDS.subjectKeyIdentifier);

/** version [0] EXPLICIT INTEGER 2 (v3). */
const V3 = Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x02);
