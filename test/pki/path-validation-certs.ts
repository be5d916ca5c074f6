/**
 * Hand-built certificates for the path validation tests: every field and extension under the test's control
 * (criticality, serial, names, policies, constraints), signed with node:crypto P-256 keys. Not a CA: a toolkit for
 * building the odd certificates RFC 5280 and x509-limbo talk about.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { derBitString, derInteger, derName, derOid, derTime, derTlv } from "../../src/der.js";
import { OIDS } from "../../src/pki/index.js";

export interface TestKey {
  privateKey: KeyObject;
  spki: Uint8Array;
  /** SHA-1 of the key bits (RFC 5280 §4.2.1.2 method 1). */
  keyId: Uint8Array;
}

export function newKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
  return { privateKey, spki, keyId: new Uint8Array(createHash("sha1").update(spki.subarray(27)).digest()) };
}

export interface Ext {
  oid: string;
  critical?: boolean;
  /** The extnValue contents (the DER of the extension's value). */
  value: Uint8Array;
}

export interface CertSpec {
  subject: Uint8Array;
  /** The issuer's name; default the subject (self-issued). */
  issuer?: Uint8Array;
  key: TestKey;
  /** Who signs; default `key` (self-signed). */
  signer?: TestKey;
  notBefore: Date;
  notAfter: Date;
  /** INTEGER contents; default 01. */
  serial?: Uint8Array;
  extensions?: Ext[];
  /** Leave out SKI / AKI (both added by default: SKI of `key`, AKI of `signer` unless self-signed). */
  noSki?: boolean;
  noAki?: boolean;
  /** v1: no version field, no extensions. */
  v1?: boolean;
  /** The signature algorithm OID written in both AlgorithmIdentifiers (the signature is ECDSA P-256 whatever it says). */
  signatureAlgorithm?: string;
}

const ECDSA_SHA256 = derTlv(0x30, derOid(OIDS.ecdsaWithSHA256));

export function mint(spec: CertSpec): Uint8Array {
  const signer = spec.signer ?? spec.key;
  const exts: Ext[] = [...(spec.extensions ?? [])];
  const has = (oid: string) => exts.some((e) => e.oid === oid);
  if (!spec.noSki && !has(OIDS.subjectKeyIdentifier)) exts.push({ oid: OIDS.subjectKeyIdentifier, value: derTlv(0x04, spec.key.keyId) });
  if (!spec.noAki && signer !== spec.key && !has(OIDS.authorityKeyIdentifier)) {
    exts.push({ oid: OIDS.authorityKeyIdentifier, value: derTlv(0x30, derTlv(0x80, signer.keyId)) });
  }
  const alg = spec.signatureAlgorithm ? derTlv(0x30, derOid(spec.signatureAlgorithm)) : ECDSA_SHA256;
  const extDer = exts.map((e) => derTlv(0x30, derOid(e.oid), ...(e.critical ? [Uint8Array.of(0x01, 0x01, 0xff)] : []), derTlv(0x04, e.value)));
  const tbs = derTlv(
    0x30,
    ...(spec.v1 ? [] : [Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x02)]),
    derInteger(spec.serial ?? Uint8Array.of(1)),
    alg,
    spec.issuer ?? spec.subject,
    derTlv(0x30, derTime(spec.notBefore), derTime(spec.notAfter)),
    spec.subject,
    spec.key.spki,
    ...(spec.v1 || extDer.length === 0 ? [] : [derTlv(0xa3, derTlv(0x30, ...extDer))]),
  );
  const signature = sign("sha256", tbs, { key: signer.privateKey, dsaEncoding: "der" });
  return derTlv(0x30, tbs, alg, derBitString(new Uint8Array(signature)));
}

export const name = (...rdns: [string, string][]): Uint8Array => derName(rdns);
export const CN = "2.5.4.3";
export const O = "2.5.4.10";
export const C = "2.5.4.6";
export const OU = "2.5.4.11";
export const EMAIL = "1.2.840.113549.1.9.1";

// ——— extension values ———

export function basicConstraints(ca: boolean, pathLen?: number): Ext {
  return {
    oid: OIDS.basicConstraints,
    critical: true,
    value: derTlv(0x30, ...(ca ? [Uint8Array.of(0x01, 0x01, 0xff)] : []), ...(pathLen !== undefined ? [derTlv(0x02, Uint8Array.of(pathLen))] : [])),
  };
}

/** keyUsage from bit numbers (0 digitalSignature … 5 keyCertSign, 6 cRLSign). */
export function keyUsage(...bits: number[]): Ext {
  let octet = 0;
  for (const b of bits) octet |= 0x80 >> b;
  const unused = Math.min(7, ...[0, 1, 2, 3, 4, 5, 6, 7].filter((i) => octet & (1 << i)));
  return { oid: OIDS.keyUsage, critical: true, value: derTlv(0x03, Uint8Array.of(unused, octet)) };
}
export const KU_CA = () => keyUsage(5, 6);
export const KU_EE = () => keyUsage(0);

export function policies(...oids: string[]): Ext {
  return { oid: OIDS.certificatePolicies, value: derTlv(0x30, ...oids.map((o) => derTlv(0x30, derOid(o)))) };
}

export function policyMappings(...pairs: [string, string][]): Ext {
  return { oid: OIDS.policyMappings, critical: true, value: derTlv(0x30, ...pairs.map(([a, b]) => derTlv(0x30, derOid(a), derOid(b)))) };
}

export function policyConstraints(c: { requireExplicitPolicy?: number; inhibitPolicyMapping?: number }, critical = true): Ext {
  const parts: Uint8Array[] = [];
  if (c.requireExplicitPolicy !== undefined) parts.push(derTlv(0x80, Uint8Array.of(c.requireExplicitPolicy)));
  if (c.inhibitPolicyMapping !== undefined) parts.push(derTlv(0x81, Uint8Array.of(c.inhibitPolicyMapping)));
  return { oid: OIDS.policyConstraints, critical, value: derTlv(0x30, ...parts) };
}

export function inhibitAnyPolicy(skip: number): Ext {
  return { oid: OIDS.inhibitAnyPolicy, critical: true, value: derTlv(0x02, Uint8Array.of(skip)) };
}

/** GeneralName encoders (RFC 5280 §4.2.1.6). */
export const gn = {
  email: (s: string) => derTlv(0x81, new TextEncoder().encode(s)),
  dns: (s: string) => derTlv(0x82, new TextEncoder().encode(s)),
  uri: (s: string) => derTlv(0x86, new TextEncoder().encode(s)),
  dir: (n: Uint8Array) => derTlv(0xa4, n),
  ip: (...octets: number[]) => derTlv(0x87, Uint8Array.from(octets)),
  otherName: (oid: string) => derTlv(0xa0, derOid(oid), derTlv(0xa0, derTlv(0x0c, new TextEncoder().encode("x")))),
};

export function subjectAltName(...names: Uint8Array[]): Ext {
  return { oid: OIDS.subjectAltName, value: derTlv(0x30, ...names) };
}

export function nameConstraints(permitted: Uint8Array[], excluded: Uint8Array[] = []): Ext {
  const subtrees = (tag: number, list: Uint8Array[]) => (list.length ? [derTlv(tag, ...list.map((b) => derTlv(0x30, b)))] : []);
  return { oid: OIDS.nameConstraints, critical: true, value: derTlv(0x30, ...subtrees(0xa0, permitted), ...subtrees(0xa1, excluded)) };
}

/** A small PKI of hand-built certificates: an anchor, and helpers for CAs and leaves under any issuer. */
export interface Node {
  der: Uint8Array;
  name: Uint8Array;
  key: TestKey;
}

export class HandPki {
  readonly root: Node;
  constructor(
    readonly notBefore: Date,
    readonly notAfter: Date,
    rootExtensions: Ext[] = [basicConstraints(true), KU_CA()],
  ) {
    const key = newKey();
    const n = name([C, "US"], [O, "DPCLAB TEST"], [CN, "DPCLAB TEST Hand Root"]);
    this.root = { der: mint({ subject: n, key, notBefore, notAfter, extensions: rootExtensions }), name: n, key };
  }

  ca(issuer: Node, cn: string | Uint8Array, extensions: Ext[] = [], opts: Partial<CertSpec> = {}): Node {
    const key = opts.key ?? newKey();
    const n = typeof cn === "string" ? name([C, "US"], [O, "DPCLAB TEST"], [CN, cn]) : cn;
    const has = (oid: string) => extensions.some((e) => e.oid === oid);
    const exts = [...(has(OIDS.basicConstraints) ? [] : [basicConstraints(true)]), ...(has(OIDS.keyUsage) ? [] : [KU_CA()]), ...extensions];
    const der = mint({
      subject: n,
      issuer: issuer.name,
      key,
      signer: issuer.key,
      notBefore: this.notBefore,
      notAfter: this.notAfter,
      extensions: exts,
      ...opts,
    });
    return { der, name: n, key };
  }

  leaf(issuer: Node, subject: string | Uint8Array, extensions: Ext[] = [KU_EE()], opts: Partial<CertSpec> = {}): Node {
    const key = opts.key ?? newKey();
    const n = typeof subject === "string" ? name([C, "US"], [O, "DPCLAB TEST"], [CN, subject]) : subject;
    const der = mint({ subject: n, issuer: issuer.name, key, signer: issuer.key, notBefore: this.notBefore, notAfter: this.notAfter, extensions, ...opts });
    return { der, name: n, key };
  }
}
