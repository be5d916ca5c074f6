import type { KeyObject } from "node:crypto";
import {
  DerError,
  type DerNode,
  derAscii,
  derBitStringOctets,
  derBoolean,
  derChildren,
  derContent,
  derElement,
  derExpect,
  derExtension,
  derIntegerContent,
  derNode,
  derOidText,
  derOnly,
  derSmallUnsigned,
  derTimeValue,
  sameOctets,
} from "../der.js";
import { DpclabError } from "../errors.js";
import { Name, X509Certificate } from "../x509.js";
import type { KeyAlgorithm } from "./algorithms.js";
import { type ComparableName, comparableName } from "./name-compare.js";
import { type GeneralName, type NameConstraints, parseNameConstraints, readGeneralNames as readAllGeneralNames } from "./name-constraints.js";
import { OIDS } from "./oids.js";
import { type PolicyConstraints, type PolicyMappings, parseInhibitAnyPolicy, parsePolicyConstraints, parsePolicyMappings } from "./policy-extensions.js";
import { publicKeyFromSpki, verifyData } from "./signature.js";

/** RFC 5280 §4.2.1.3 KeyUsage bit names, in bit order. */
export const KEY_USAGE_NAMES = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;
export type KeyUsageName = (typeof KEY_USAGE_NAMES)[number];

/** A certificate in any of the forms callers hold it: parsed, as DER, or as facts already. */
export type CertificateInput = X509Certificate | CertificateFacts | Uint8Array | ArrayBuffer;

/** One extension as it appears in the certificate (RFC 5280 §4.1.2.9); `value` is the extnValue OCTET STRING contents. */
export interface RawCertificateExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

/** The subjectAltName entries dpclab reads (RFC 5280 §4.2.1.6). */
export interface SubjectAltNames {
  readonly uris: readonly string[];
  readonly emails: readonly string[];
  readonly dnsNames: readonly string[];
  /** otherName: type-id and the DER of the [0] EXPLICIT value (e.g. OCTET STRING FASC-N, FIPS 201-3 §4.2.2). */
  readonly otherNames: readonly { readonly typeId: string; readonly value: Uint8Array }[];
}

/**
 * Facts of DER certificates, by content: CA certificates arrive as fresh copies of the same bytes again and again, and
 * a rekey proof is checked against the certificate issued one renewal earlier (enough for a 5,000-device shard).
 */
const MAX_CACHED = 8192;
const byContent = new Map<string, CertificateFacts>();
/** Facts of X509Certificate objects, by identity (their bytes are theirs; nothing is retained past the object). */
const byObject = new WeakMap<X509Certificate, CertificateFacts>();

/**
 * What path validation, revocation checking and PKI-AUTH need to know about a certificate, read once straight from
 * its DER with src/der.ts (no asn1-schema): TBS bytes, signature, serial, names (as DER, compared exactly as
 * RFC 5280 §7.1 allows for our own encodings), validity, SPKI and the extensions dpclab reads.
 * Field names that X509Certificate also has (serialNumber, subject, issuer, notBefore, notAfter, rawData) mean the
 * same thing, so code can move from one to the other. Malformed DER is a DpclabError "bad-certificate".
 * Facts are shared (cached) and immutable: treat every field, byte arrays included, as read-only.
 */
export class CertificateFacts {
  /** The certificate's DER (a private copy). */
  readonly der: Uint8Array<ArrayBuffer>;
  readonly tbsDer: Uint8Array;
  /** 1, 2 or 3. */
  readonly version: number;
  /** Contents of the serialNumber INTEGER. */
  readonly serialBytes: Uint8Array;

  /** The outer signatureAlgorithm OID (RFC 5280 §4.1.1.2). */
  readonly signatureAlgorithm: string;
  /** The outer AlgorithmIdentifier, DER. */
  readonly signatureAlgorithmDer: Uint8Array;
  /** TBSCertificate.signature, DER: RFC 5280 §4.1.2.3 says it must equal signatureAlgorithmDer. */
  readonly tbsSignatureAlgorithmDer: Uint8Array;
  /** The signature BIT STRING octets (DER ECDSA-Sig-Value for EC). */
  readonly signatureValue: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo, DER. */
  readonly spki: Uint8Array;
  /** SPKI algorithm OID (id-ecPublicKey, rsaEncryption, …). */
  readonly publicKeyAlgorithm: string;
  /** The named curve OID for EC keys. */
  readonly publicKeyCurve?: string;
  /** The subjectPublicKey BIT STRING octets (OCSP issuerKeyHash input, RFC 6960 §4.1.1). */
  readonly publicKeyBits: Uint8Array;
  readonly extensions: readonly RawCertificateExtension[];
  /** Hex. */
  readonly subjectKeyId?: string;
  /** Hex of the AKI keyIdentifier. */
  readonly authorityKeyId?: string;
  readonly isCa: boolean;
  readonly pathLength?: number;
  /** undefined when the certificate has no keyUsage extension (any use allowed, RFC 5280 §4.2.1.3). */
  readonly keyUsage?: ReadonlySet<KeyUsageName>;
  /** undefined when the certificate has no certificatePolicies extension. */
  readonly policies?: ReadonlySet<string>;
  /** undefined when the certificate has no extendedKeyUsage extension. */
  readonly extKeyUsage?: ReadonlySet<string>;
  /** AIA id-ad-ocsp URIs. */
  readonly ocspUrls: readonly string[];
  /** AIA id-ad-caIssuers URIs. */
  readonly caIssuersUrls: readonly string[];
  /** cRLDistributionPoints fullName URIs. */
  readonly crlUrls: readonly string[];
  /** undefined when the certificate has no subjectAltName extension. */
  readonly subjectAltName?: SubjectAltNames;
  #publicKey?: KeyObject;
  #cert?: X509Certificate;
  #subject?: string;
  #issuer?: string;
  #serialHex?: string;
  #issuerHex?: string;
  #subjectHex?: string;
  #keyAlgorithm?: KeyAlgorithm | null;
  /** Issuers whose key verified this certificate's signature (facts are immutable, so the answer stays true). */
  #verifiedBy?: WeakSet<CertificateFacts>;
  /** Extension and name parses made on first use (path validation's policy and name steps), by what they are. */
  #parsed?: Map<string, unknown>;

  /**
   * Facts of a certificate in any form. X509Certificate objects are remembered by identity, DER by content
   * (bounded, most recently used kept): the CA certificates of a path are parsed once, not once per validation.
   */
  static of(input: CertificateInput): CertificateFacts {
    if (input instanceof CertificateFacts) return input;
    if (input instanceof X509Certificate) {
      let facts = byObject.get(input);
      if (!facts) {
        facts = CertificateFacts.fromDer(new Uint8Array(input.rawData));
        facts.#cert ??= input;
        byObject.set(input, facts);
      }
      return facts;
    }
    return CertificateFacts.fromDer(input);
  }

  /**
   * Facts of a DER certificate, cached by content. A hit is confirmed byte for byte, so a changed or forged
   * certificate is never answered with another one's facts; the bytes are copied, so the caller may reuse its buffer.
   */
  static fromDer(der: Uint8Array | ArrayBuffer): CertificateFacts {
    const bytes = der instanceof Uint8Array ? der : new Uint8Array(der);
    const key = fingerprint(bytes);
    const hit = byContent.get(key);
    if (hit && sameOctets(hit.der, bytes)) {
      byContent.delete(key); // most recently used last
      byContent.set(key, hit);
      return hit;
    }
    const facts = new CertificateFacts(bytes);
    byContent.delete(key);
    byContent.set(key, facts);
    if (byContent.size > MAX_CACHED) byContent.delete(byContent.keys().next().value as string);
    return facts;
  }

  /** Parses without caching; prefer CertificateFacts.of / fromDer. */
  constructor(input: Uint8Array | ArrayBuffer) {
    const der = new Uint8Array(input.byteLength);
    der.set(input instanceof Uint8Array ? input : new Uint8Array(input));
    this.der = der;
    try {
      const outer = derExpect(der, 0, der.length, 0x30, "Certificate");
      if (outer.end !== der.length) throw new DerError("bytes after the Certificate");
      const [tbs, sigAlg, sig, extra] = derChildren(der, outer);
      if (!tbs || !sigAlg || !sig || extra) throw new DerError("a Certificate is tbsCertificate, signatureAlgorithm, signatureValue");
      if (tbs.tag !== 0x30 || sigAlg.tag !== 0x30) throw new DerError("tbsCertificate and signatureAlgorithm must be SEQUENCEs");
      this.tbsDer = derElement(der, tbs);
      this.signatureAlgorithmDer = derElement(der, sigAlg);
      this.signatureAlgorithm = algorithmOid(der, sigAlg);
      this.signatureValue = derBitStringOctets(der, sig);

      const fields = derChildren(der, tbs);
      let i = 0;
      let version = 1;
      if (fields[0]?.tag === 0xa0) {
        const v = derChildren(der, fields[0]);
        if (v.length !== 1) throw new DerError("version is one INTEGER");
        version = derSmallUnsigned(der, v[0] as DerNode) + 1;
        if (version < 2 || version > 3) throw new DerError(`unknown certificate version ${version}`);
        i = 1;
      }
      this.version = version;
      const field = (tag: number, what: string): DerNode => {
        const f = fields[i++];
        if (!f) throw new DerError(`tbsCertificate ends before ${what}`);
        if (f.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${f.tag.toString(16)}`);
        return f;
      };
      this.serialBytes = derIntegerContent(der, field(0x02, "serialNumber"));
      const innerAlg = field(0x30, "signature");
      algorithmOid(der, innerAlg);
      this.tbsSignatureAlgorithmDer = derElement(der, innerAlg);
      const issuer = field(0x30, "issuer");
      this.issuerDer = derElement(der, issuer);
      const validity = derChildren(der, field(0x30, "validity"));
      if (validity.length !== 2) throw new DerError("validity is notBefore, notAfter");
      this.notBefore = derTimeValue(der, validity[0] as DerNode);
      this.notAfter = derTimeValue(der, validity[1] as DerNode);
      const subject = field(0x30, "subject");
      this.subjectDer = derElement(der, subject);
      const spki = field(0x30, "subjectPublicKeyInfo");
      this.spki = derElement(der, spki);
      const [keyAlg, keyBits, more] = derChildren(der, spki);
      if (keyAlg?.tag !== 0x30 || !keyBits || more) throw new DerError("subjectPublicKeyInfo is algorithm, subjectPublicKey");
      const keyAlgParts = derChildren(der, keyAlg);
      this.publicKeyAlgorithm = derOidText(der, keyAlgParts[0] ?? missing("SPKI algorithm"));
      if (this.publicKeyAlgorithm === OIDS.ecPublicKey && keyAlgParts[1]?.tag === 0x06) this.publicKeyCurve = derOidText(der, keyAlgParts[1]);
      this.publicKeyBits = derBitStringOctets(der, keyBits);

      // issuerUniqueID [1], subjectUniqueID [2] (v2/v3), extensions [3] (v3), each at most once, in order.
      let lastOptional = 0;
      const extensions: RawCertificateExtension[] = [];
      for (; i < fields.length; i++) {
        const f = fields[i] as DerNode;
        const n = f.tag === 0x81 || f.tag === 0xa1 ? 1 : f.tag === 0x82 || f.tag === 0xa2 ? 2 : f.tag === 0xa3 ? 3 : 0;
        if (n === 0 || n <= lastOptional) throw new DerError(`unexpected field with tag 0x${f.tag.toString(16)} in tbsCertificate`);
        if (version < (n === 3 ? 3 : 2)) throw new DerError(`a version ${version} certificate cannot have field [${n}]`);
        lastOptional = n;
        if (n !== 3) continue;
        const list = derChildren(der, f);
        if (list.length !== 1 || list[0]?.tag !== 0x30) throw new DerError("extensions [3] holds one SEQUENCE");
        for (const ext of derChildren(der, list[0])) extensions.push(derExtension(der, ext));
      }
      this.extensions = extensions;

      const seen = new Set<string>();
      let isCa = false;
      const ocspUrls: string[] = [];
      const caIssuersUrls: string[] = [];
      const crlUrls: string[] = [];
      for (const ext of extensions) {
        if (seen.has(ext.oid)) throw new DerError(`extension ${ext.oid} appears twice (RFC 5280 §4.2)`);
        seen.add(ext.oid);
        const v = ext.value;
        switch (ext.oid) {
          case OIDS.subjectKeyIdentifier:
            this.subjectKeyId = hex(derContent(v, derOnly(v, 0x04, "subjectKeyIdentifier")));
            break;
          case OIDS.authorityKeyIdentifier:
            for (const part of derChildren(v, derOnly(v, 0x30, "authorityKeyIdentifier"))) {
              if (part.tag === 0x80) this.authorityKeyId = hex(derContent(v, part));
            }
            break;
          case OIDS.basicConstraints: {
            const parts = derChildren(v, derOnly(v, 0x30, "basicConstraints"));
            let p = 0;
            if (parts[p]?.tag === 0x01) isCa = derBoolean(v, parts[p++] as DerNode);
            if (parts[p]?.tag === 0x02) this.pathLength = derSmallUnsigned(v, parts[p++] as DerNode);
            if (p !== parts.length) throw new DerError("basicConstraints is cA, pathLenConstraint");
            break;
          }
          case OIDS.keyUsage: {
            const bits = derOnly(v, 0x03, "keyUsage");
            if (bits.end === bits.body || (v[bits.body] as number) > 7) throw new DerError("keyUsage is not a BIT STRING");
            const usage = new Set<KeyUsageName>();
            KEY_USAGE_NAMES.forEach((name, bit) => {
              const octet = v[bits.body + 1 + (bit >> 3)];
              if (octet !== undefined && bits.body + 1 + (bit >> 3) < bits.end && octet & (0x80 >> (bit & 7))) usage.add(name);
            });
            this.keyUsage = usage;
            break;
          }
          case OIDS.certificatePolicies: {
            const policies = new Set<string>();
            for (const info of derChildren(v, derOnly(v, 0x30, "certificatePolicies"))) {
              if (info.tag !== 0x30) throw new DerError("PolicyInformation is a SEQUENCE");
              policies.add(derOidText(v, derNode(v, info.body, info.end)));
            }
            this.policies = policies;
            break;
          }
          case OIDS.extKeyUsage: {
            const usages = new Set<string>();
            for (const oid of derChildren(v, derOnly(v, 0x30, "extKeyUsage"))) usages.add(derOidText(v, oid));
            this.extKeyUsage = usages;
            break;
          }
          case OIDS.authorityInfoAccess:
            for (const ad of derChildren(v, derOnly(v, 0x30, "authorityInfoAccess"))) {
              const [method, location] = ad.tag === 0x30 ? derChildren(v, ad) : [];
              if (!method || !location) throw new DerError("AccessDescription is accessMethod, accessLocation");
              const how = derOidText(v, method);
              if (location.tag !== 0x86) continue; // only URIs are fetched
              if (how === OIDS.adOcsp) ocspUrls.push(derAscii(v, location));
              else if (how === OIDS.adCaIssuers) caIssuersUrls.push(derAscii(v, location));
            }
            break;
          case OIDS.cRLDistributionPoints:
            for (const dp of derChildren(v, derOnly(v, 0x30, "cRLDistributionPoints"))) {
              if (dp.tag !== 0x30) throw new DerError("DistributionPoint is a SEQUENCE");
              const name = derChildren(v, dp).find((p) => p.tag === 0xa0);
              const fullName = name && derChildren(v, name).find((p) => p.tag === 0xa0);
              if (!fullName) continue;
              for (const gn of derChildren(v, fullName)) if (gn.tag === 0x86) crlUrls.push(derAscii(v, gn));
            }
            break;
          case OIDS.subjectAltName:
            this.subjectAltName = readGeneralNames(v, derOnly(v, 0x30, "subjectAltName"));
            break;
        }
      }
      this.isCa = isCa;
      this.ocspUrls = ocspUrls;
      this.caIssuersUrls = caIssuersUrls;
      this.crlUrls = crlUrls;
    } catch (e) {
      if (e instanceof DpclabError) throw e;
      throw new DpclabError(`not a DER X.509 certificate: ${(e as Error).message}`, "bad-certificate");
    }
  }

  /** The parsed @peculiar/x509 certificate, made on first use (costlier than these facts: keep it off hot paths). */
  get cert(): X509Certificate {
    this.#cert ??= new X509Certificate(this.der);
    return this.#cert;
  }

  /** The DER as an ArrayBuffer (as X509Certificate.rawData). */
  get rawData(): ArrayBuffer {
    return this.der.buffer;
  }

  /** A public key ready for signature verification, imported on first use. */
  get publicKey(): KeyObject {
    this.#publicKey ??= publicKeyFromSpki(this.spki);
    return this.#publicKey;
  }

  /** The dpclab key algorithm of the subject key, or undefined for keys PIV does not use. */
  get keyAlgorithm(): KeyAlgorithm | undefined {
    if (this.#keyAlgorithm === undefined) this.#keyAlgorithm = keyAlgorithmOf(this) ?? null;
    return this.#keyAlgorithm ?? undefined;
  }

  /** Lowercase hex of the serial INTEGER contents: the form CertStatus lookups, CRL entries and issueDer use. */
  get serialHex(): string {
    // Hex forms are made on first use: a fresh leaf validated once never needs most of them.
    this.#serialHex ??= hex(this.serialBytes);
    return this.#serialHex;
  }

  /** Lowercase hex of the issuer Name's DER. */
  get issuerHex(): string {
    this.#issuerHex ??= hex(this.issuerDer);
    return this.#issuerHex;
  }

  /** Lowercase hex of the subject Name's DER. */
  get subjectHex(): string {
    this.#subjectHex ??= hex(this.subjectDer);
    return this.#subjectHex;
  }

  /** Serial as X509Certificate.serialNumber writes it: hex of the INTEGER contents less a sign-only leading zero. */
  get serialNumber(): string {
    const b = this.serialBytes;
    return b.length > 1 && b[0] === 0 && (b[1] as number) > 0x7f ? this.serialHex.slice(2) : this.serialHex;
  }

  /** Subject DN as X509Certificate.subject writes it. */
  get subject(): string {
    this.#subject ??= this.#cert?.subject ?? distinguishedNameText(this.subjectDer);
    return this.#subject;
  }

  /** Issuer DN as X509Certificate.issuer writes it. */
  get issuer(): string {
    this.#issuer ??= this.#cert?.issuer ?? distinguishedNameText(this.issuerDer);
    return this.#issuer;
  }

  /**
   * Whether `issuer`'s public key verifies this certificate's signature (CERT-12 algorithms only). A success is
   * remembered, so an intermediate validated again and again costs one verification, not one per path.
   */
  isSignedBy(issuer: CertificateFacts): boolean {
    if (this.#verifiedBy?.has(issuer)) return true;
    let key: KeyObject;
    try {
      key = issuer.publicKey;
    } catch {
      return false;
    }
    const ok = verifyData(this.signatureAlgorithm, key, this.tbsDer, this.signatureValue);
    // Made on the first success: most facts (a fresh leaf) are verified once, and a WeakSet is costly to make.
    if (ok) {
      this.#verifiedBy ??= new WeakSet();
      this.#verifiedBy.add(issuer);
    }
    return ok;
  }

  /**
   * Self-issued (RFC 5280 §6.1): subject and issuer are the same name. Exact DER is the fast path; otherwise the names
   * are compared as §7.1 says (name-compare.ts).
   */
  get isSelfIssued(): boolean {
    if (sameOctets(this.subjectDer, this.issuerDer)) return true;
    return this.#lazy("selfIssued", () => {
      try {
        return comparableName(this.subjectDer).key === comparableName(this.issuerDer).key;
      } catch {
        return false;
      }
    });
  }

  /** The extension with this OID, as it appears in the certificate. */
  extension(oid: string): RawCertificateExtension | undefined {
    return this.extensions.find((e) => e.oid === oid);
  }

  /** The subject DN in its RFC 5280 §7.1 comparable form (name-compare.ts); malformed: DpclabError "bad-certificate". */
  get comparableSubject(): ComparableName {
    return this.#lazy("subject", () => comparableName(this.subjectDer));
  }

  /** The issuer DN in its RFC 5280 §7.1 comparable form. */
  get comparableIssuer(): ComparableName {
    return this.#lazy("issuer", () => comparableName(this.issuerDer));
  }

  /** Every subjectAltName entry, all forms (RFC 5280 §4.2.1.6), for name constraints; [] without the extension. */
  get generalNames(): readonly GeneralName[] {
    return this.#lazy("generalNames", () => {
      const v = this.extension(OIDS.subjectAltName)?.value;
      return v ? readAllGeneralNames(v, derOnly(v, 0x30, "subjectAltName")) : [];
    });
  }

  /** policyMappings (RFC 5280 §4.2.1.5), or undefined without the extension. */
  get policyMappings(): PolicyMappings | undefined {
    return this.#lazy("policyMappings", () => this.#parse(OIDS.policyMappings, parsePolicyMappings));
  }

  /** policyConstraints (RFC 5280 §4.2.1.11), or undefined without the extension. */
  get policyConstraints(): PolicyConstraints | undefined {
    return this.#lazy("policyConstraints", () => this.#parse(OIDS.policyConstraints, parsePolicyConstraints));
  }

  /** inhibitAnyPolicy SkipCerts (RFC 5280 §4.2.1.14), or undefined without the extension. */
  get inhibitAnyPolicy(): number | undefined {
    return this.#lazy("inhibitAnyPolicy", () => this.#parse(OIDS.inhibitAnyPolicy, parseInhibitAnyPolicy));
  }

  /** nameConstraints (RFC 5280 §4.2.1.10), or undefined without the extension. */
  get nameConstraints(): NameConstraints | undefined {
    return this.#lazy("nameConstraints", () => this.#parse(OIDS.nameConstraints, parseNameConstraints));
  }

  #parse<T>(oid: string, parser: (value: Uint8Array) => T): T | undefined {
    const ext = this.extension(oid);
    return ext ? parser(ext.value) : undefined;
  }

  /** A parse made once per certificate; a malformed value is a DpclabError "bad-certificate" (every time it is asked). */
  #lazy<T>(key: string, make: () => T): T {
    this.#parsed ??= new Map();
    const parsed = this.#parsed;
    if (parsed.has(key)) return parsed.get(key) as T;
    let value: T;
    try {
      value = make();
    } catch (e) {
      if (e instanceof DpclabError) throw e;
      throw new DpclabError(`not a DER X.509 certificate: ${key}: ${(e as Error).message}`, "bad-certificate");
    }
    parsed.set(key, value);
    return value;
  }

  /** At `at`, inside [notBefore, notAfter] (both inclusive, RFC 5280 §4.1.2.5). */
  isValidAt(at: Date): boolean {
    const t = at.getTime();
    return t >= this.notBefore.getTime() && t <= this.notAfter.getTime();
  }
}

function readGeneralNames(v: Uint8Array, seq: DerNode): SubjectAltNames {
  const out = { uris: [] as string[], emails: [] as string[], dnsNames: [] as string[], otherNames: [] as { typeId: string; value: Uint8Array }[] };
  for (const gn of derChildren(v, seq)) {
    switch (gn.tag) {
      case 0xa0: {
        // otherName [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY }
        const [typeId, wrapped] = derChildren(v, gn);
        if (!typeId || wrapped?.tag !== 0xa0) throw new DerError("otherName is type-id, [0] value");
        out.otherNames.push({ typeId: derOidText(v, typeId), value: v.slice(wrapped.body, wrapped.end) });
        break;
      }
      case 0x81:
        out.emails.push(derAscii(v, gn));
        break;
      case 0x82:
        out.dnsNames.push(derAscii(v, gn));
        break;
      case 0x86:
        out.uris.push(derAscii(v, gn));
        break;
    }
  }
  return out;
}

function algorithmOid(der: Uint8Array, alg: DerNode): string {
  const [oid] = derChildren(der, alg);
  return derOidText(der, oid ?? missing("algorithm OID"));
}

function missing(what: string): never {
  throw new DerError(`${what} is missing`);
}

function keyAlgorithmOf(facts: CertificateFacts): KeyAlgorithm | undefined {
  if (facts.publicKeyAlgorithm === OIDS.ecPublicKey) {
    return facts.publicKeyCurve === OIDS.p256 ? "p256" : facts.publicKeyCurve === OIDS.p384 ? "p384" : undefined;
  }
  if (facts.publicKeyAlgorithm !== OIDS.rsaEncryption) return undefined;
  try {
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 §A.1.1)
    const bits = facts.publicKeyBits;
    const [modulus] = derChildren(bits, derExpect(bits, 0, bits.length, 0x30, "RSAPublicKey"));
    const m = derIntegerContent(bits, modulus ?? missing("modulus"));
    const size = (m[0] === 0 ? m.length - 1 : m.length) * 8;
    return size === 2048 ? "rsa2048" : size === 3072 ? "rsa3072" : undefined;
  } catch {
    return undefined;
  }
}

/** Short names @peculiar/x509 prints for attribute types; others print as OIDs. */
const NAME_TYPES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.6": "C",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "E",
  "2.5.4.42": "G",
  "2.5.4.43": "I",
  "2.5.4.4": "SN",
  "2.5.4.12": "T",
};
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A DER Name as text, exactly as @peculiar/x509's Name.toString() writes it (RDNs in DER order joined by ", ",
 * multi-valued RDNs by "+", its escaping), read with src/der.ts for PrintableString, IA5String and UTF8String values;
 * anything else (BMPString, TeletexString, other tags, bad UTF-8) is left to @peculiar/x509 itself.
 */
export function distinguishedNameText(der: Uint8Array): string {
  try {
    const rdns: string[] = [];
    for (const rdn of derChildren(der, derExpect(der, 0, der.length, 0x30, "Name"))) {
      if (rdn.tag !== 0x31) throw new DerError("RDN is a SET");
      const atvs: string[] = [];
      for (const atv of derChildren(der, rdn)) {
        const [type, value, extra] = atv.tag === 0x30 ? derChildren(der, atv) : [];
        if (!type || !value || extra) throw new DerError("AttributeTypeAndValue is type, value");
        let text: string;
        if (value.tag === 0x13 || value.tag === 0x16) text = derAscii(der, value);
        else if (value.tag === 0x0c) text = utf8Strict.decode(derContent(der, value));
        else throw new DerError("left to @peculiar/x509");
        const oid = derOidText(der, type);
        atvs.push(`${NAME_TYPES[oid] ?? oid}=${escapeDnValue(text)}`);
      }
      rdns.push(atvs.join("+"));
    }
    return rdns.join(", ");
  } catch {
    return new Name(der.slice().buffer).toString();
  }
}

/** @peculiar/x509's escape(), as is (its control-character rule replaces the first one only). */
function escapeDnValue(data: string): string {
  return data
    .replace(/([,+"\\<>;])/g, "\\$1")
    .replace(/^([ #])/, "\\$1")
    .replace(/([ ]$)/, "\\$1")
    .replace(/([\r\n\t])/, (c) => `\\${Buffer.from(c, "utf8").toString("hex").toUpperCase()}`);
}

/** Cheap key for the content cache: length and the signature's last octets (random for ECDSA, unique for RSA). */
function fingerprint(b: Uint8Array): string {
  const tail = Math.max(0, b.length - 24);
  return `${b.length}:${Buffer.from(b.buffer, b.byteOffset + tail, b.length - tail).toString("base64")}`;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
}
