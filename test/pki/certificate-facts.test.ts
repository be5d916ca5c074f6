import { createHash } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { derGeneralizedTime, derName, derNode, derOid, derOidText, derTime, derTimeValue } from "../../src/der.js";
import { DpclabError } from "../../src/errors.js";
import { CertificateAuthority, CertificateFacts, distinguishedNameText, KEY_USAGE_NAMES, type KeyAlgorithm, OIDS } from "../../src/pki/index.js";
import {
  AuthorityInfoAccessExtension,
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  CertificatePolicyExtension,
  CRLDistributionPointsExtension,
  ExtendedKeyUsageExtension,
  type Extension,
  KeyUsagesExtension,
  Name,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
} from "../../src/x509.js";
import { propertySeed } from "../helpers/fast-check-seed.js";
import { CARD_UUID, DAY, FASCN, makePki, newSpki, T0, type TestPki } from "./helpers.js";

// CertificateFacts reads certificates with src/der.ts; @peculiar/x509 and asn1-x509 are the reference it must agree
// with, on random certificates our CA issues. A failing property prints its seed: DPCLAB_SEED=<seed> replays it.

const { params } = propertySeed("certificate-facts");

const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString("hex");

/** Dates UTCTime and GeneralizedTime can both carry (derTime switches at 2050), whole seconds. */
const dateArb = fc.integer({ min: Date.UTC(1950, 0, 1) / 1000, max: Date.UTC(2199, 11, 31) / 1000 }).map((s) => new Date(s * 1000));
const oidArb = fc
  .tuple(fc.constantFrom(1, 2), fc.integer({ min: 0, max: 39 }), fc.array(fc.oneof(fc.integer({ min: 0, max: 200 }), fc.nat()), { maxLength: 6 }))
  .map(([a, b, rest]) => [a, b, ...rest].join("."))
  .chain((oid) => fc.constantFrom(oid, "2.25.329800735698586629295641978511506172918", OIDS.commonAuthentication, OIDS.anyPolicy));
const printable = fc.stringMatching(/^[A-Za-z0-9 '()+,\-./:=?]{1,24}$/).filter((s) => s.trim() === s && s.length > 0);
const unicodeText = fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }).filter((s) => s.trim() === s && s.length > 0);
const urlArb = fc.webUrl({ validSchemes: ["http", "https", "ldap"] });
const emailArb = fc.emailAddress();
const dnsArb = fc.domain();

interface CertSpec {
  serial: string;
  notBefore: Date;
  lifetimeSec: number;
  rdns: [string, string][];
  keyIndex: number;
  keyUsage?: { flags: number; critical: boolean };
  basic?: { ca: boolean; pathLength?: number; critical: boolean };
  policies?: string[];
  eku?: string[];
  san?: { uris: string[]; emails: string[]; dns: string[] };
  aia?: { ocsp: string[]; caIssuers: string[] };
  crl?: string[];
  publishing: boolean;
}

const specArb: fc.Arbitrary<CertSpec> = fc.record(
  {
    // 1..20 octets; leading zeros, high first bit: serialFromHex makes it DER-minimal and positive
    serial: fc
      .uint8Array({ minLength: 1, maxLength: 19 })
      .filter((b) => b.some((x) => x !== 0))
      .map(hex),
    notBefore: dateArb,
    lifetimeSec: fc.integer({ min: 1, max: 40 * 365 * 86_400 }),
    rdns: fc.array(
      fc.oneof(
        fc.tuple(fc.constant("2.5.4.6"), fc.constantFrom("US", "FR", "DE")),
        fc.tuple(fc.constantFrom("2.5.4.10", "2.5.4.11", "2.5.4.3", "2.5.4.5"), fc.oneof(printable, unicodeText)),
      ),
      { minLength: 1, maxLength: 5 },
    ) as fc.Arbitrary<[string, string][]>,
    keyIndex: fc.nat(),
    keyUsage: fc.record({ flags: fc.integer({ min: 1, max: 511 }), critical: fc.boolean() }),
    basic: fc.record({ ca: fc.boolean(), pathLength: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }), critical: fc.boolean() }),
    policies: fc.uniqueArray(oidArb, { minLength: 1, maxLength: 4 }),
    eku: fc.uniqueArray(oidArb, { minLength: 1, maxLength: 3 }),
    san: fc.record({ uris: fc.array(urlArb, { maxLength: 2 }), emails: fc.array(emailArb, { maxLength: 2 }), dns: fc.array(dnsArb, { maxLength: 2 }) }),
    aia: fc.record({ ocsp: fc.array(urlArb, { minLength: 1, maxLength: 2 }), caIssuers: fc.array(urlArb, { maxLength: 2 }) }),
    crl: fc.array(urlArb, { minLength: 1, maxLength: 2 }),
    publishing: fc.boolean(),
  },
  { requiredKeys: ["serial", "notBefore", "lifetimeSec", "rdns", "keyIndex", "publishing"] },
);

function extensionsOf(spec: CertSpec): Extension[] {
  const out: Extension[] = [];
  if (spec.keyUsage) out.push(new KeyUsagesExtension(spec.keyUsage.flags, spec.keyUsage.critical));
  if (spec.basic) out.push(new BasicConstraintsExtension(spec.basic.ca, spec.basic.ca ? spec.basic.pathLength : undefined, spec.basic.critical));
  if (spec.policies) out.push(new CertificatePolicyExtension(spec.policies));
  if (spec.eku) out.push(new ExtendedKeyUsageExtension(spec.eku));
  const names = spec.san
    ? [
        ...spec.san.uris.map((value) => ({ type: "url" as const, value })),
        ...spec.san.emails.map((value) => ({ type: "email" as const, value })),
        ...spec.san.dns.map((value) => ({ type: "dns" as const, value })),
      ]
    : [];
  if (names.length) out.push(new SubjectAlternativeNameExtension(names));
  // A caller's AIA/CDP replaces the one a publishing CA stamps.
  if (spec.aia) out.push(new AuthorityInfoAccessExtension({ ocsp: spec.aia.ocsp, caIssuers: spec.aia.caIssuers }));
  if (spec.crl) out.push(new CRLDistributionPointsExtension(spec.crl));
  return out;
}

describe("CertificateFacts agrees with @peculiar/x509 and asn1-x509", () => {
  let publishing: TestPki;
  let plain: CertificateAuthority;
  const keys: { spki: Uint8Array; alg: KeyAlgorithm }[] = [];

  beforeAll(async () => {
    publishing = await makePki("p256", "http://pki.test");
    plain = await CertificateAuthority.createRoot({
      commonName: "DPCLAB TEST P-384 Root",
      alg: "p384",
      notBefore: new Date(T0.getTime() - DAY),
      notAfter: new Date(T0.getTime() + 3650 * DAY),
    });
    for (const alg of ["p256", "p256", "p384", "rsa2048"] as const) keys.push({ spki: await newSpki(alg), alg });
  });

  it("for random certificates: serial, names, validity, key, signature, key usage, basic constraints, policies, EKU, SAN, AIA, CDP, SKI/AKI", async () => {
    await fc.assert(
      fc.asyncProperty(specArb, async (spec) => {
        const ca = spec.publishing ? publishing.issuing : plain;
        const key = keys[spec.keyIndex % keys.length] as (typeof keys)[number];
        const { der } = await ca.issueDer({
          subject: derName(spec.rdns),
          publicKey: key.spki,
          notBefore: spec.notBefore,
          notAfter: new Date(spec.notBefore.getTime() + spec.lifetimeSec * 1000),
          extensions: extensionsOf(spec),
          serialNumber: spec.serial,
        });
        const facts = new CertificateFacts(der);
        const cert = new X509Certificate(der);
        const asn = AsnConvert.parse(der, asn1X509.Certificate);
        const tbs = asn.tbsCertificate;

        expect(facts.version).toBe(3);
        expect(facts.serialNumber).toBe(cert.serialNumber);
        expect(facts.serialHex).toBe(hex(tbs.serialNumber));
        expect(facts.subject).toBe(cert.subject);
        expect(facts.issuer).toBe(cert.issuer);
        expect(hex(facts.subjectDer)).toBe(hex(AsnConvert.serialize(tbs.subject)));
        expect(hex(facts.issuerDer)).toBe(hex(AsnConvert.serialize(tbs.issuer)));
        expect(facts.notBefore.getTime()).toBe(cert.notBefore.getTime());
        expect(facts.notAfter.getTime()).toBe(cert.notAfter.getTime());
        expect(facts.notBefore.getTime()).toBe(spec.notBefore.getTime());
        expect(hex(facts.spki)).toBe(hex(cert.publicKey.rawData));
        expect(hex(facts.publicKeyBits)).toBe(hex(tbs.subjectPublicKeyInfo.subjectPublicKey));
        expect(facts.keyAlgorithm).toBe(key.alg);
        expect(hex(facts.tbsDer)).toBe(hex(asn.tbsCertificateRaw ?? AsnConvert.serialize(tbs)));
        expect(facts.signatureAlgorithm).toBe(asn.signatureAlgorithm.algorithm);
        expect(hex(facts.signatureValue)).toBe(hex(asn.signatureValue));
        expect(hex(facts.signatureAlgorithmDer)).toBe(hex(facts.tbsSignatureAlgorithmDer));
        expect(hex(facts.rawData)).toBe(hex(cert.rawData));
        expect(facts.extensions.map((e) => [e.oid, e.critical, hex(e.value)])).toEqual(cert.extensions.map((e) => [e.type, e.critical, hex(e.value)]));

        const ext = <T extends Extension>(type: new (...args: never[]) => T) => cert.getExtension(type as never) as T | null;
        const ku = ext(KeyUsagesExtension);
        expect(facts.keyUsage && [...facts.keyUsage].sort()).toEqual(ku ? KEY_USAGE_NAMES.filter((_, i) => ku.usages & (1 << i)).sort() : undefined);
        const bc = ext(BasicConstraintsExtension);
        expect(facts.isCa).toBe(bc?.ca ?? false);
        expect(facts.pathLength).toBe(bc?.pathLength);
        // asn1js prints arcs past 2^53 as "{hex}": there the OIDs that were written are the reference.
        const asWritten = (oids: string[] | undefined, written: string[] | undefined) => oids?.map((o, i) => (o.includes("{") ? written?.[i] : o));
        const cp = ext(CertificatePolicyExtension);
        expect(facts.policies && [...facts.policies]).toEqual(asWritten(cp?.policies, spec.policies));
        expect(facts.policies && [...facts.policies]).toEqual(spec.policies);
        const eku = ext(ExtendedKeyUsageExtension);
        expect(facts.extKeyUsage && [...facts.extKeyUsage]).toEqual(asWritten(eku?.usages.map(String), spec.eku));
        expect(facts.extKeyUsage && [...facts.extKeyUsage]).toEqual(spec.eku);
        const san = ext(SubjectAlternativeNameExtension);
        const sanOf = (type: string) => san?.names.items.filter((n) => n.type === type).map((n) => n.value) ?? [];
        expect(facts.subjectAltName === undefined).toBe(san === null);
        if (san) {
          expect(facts.subjectAltName?.uris).toEqual(sanOf("url"));
          expect(facts.subjectAltName?.emails).toEqual(sanOf("email"));
          expect(facts.subjectAltName?.dnsNames).toEqual(sanOf("dns"));
        }
        const aia = ext(AuthorityInfoAccessExtension);
        expect(facts.ocspUrls).toEqual(aia?.ocsp.map((n) => n.value) ?? []);
        expect(facts.caIssuersUrls).toEqual(aia?.caIssuers.map((n) => n.value) ?? []);
        const cdp = ext(CRLDistributionPointsExtension);
        const cdpUrls = (cdp?.distributionPoints ?? []).flatMap((dp) =>
          (dp.distributionPoint?.fullName ?? []).map((n) => n.uniformResourceIdentifier).filter(Boolean),
        );
        expect(facts.crlUrls).toEqual(cdpUrls);
        expect(facts.subjectKeyId).toBe(ext(SubjectKeyIdentifierExtension)?.keyId);
        expect(facts.authorityKeyId).toBe(ext(AuthorityKeyIdentifierExtension)?.keyId);
        expect(facts.subjectKeyId).toBe(hex(createHash("sha1").update(facts.publicKeyBits).digest()));
        expect(facts.authorityKeyId).toBe(hex(ca.keyId));

        // The signature is the CA's; the key imports to the same key.
        expect(facts.isSignedBy(CertificateFacts.of(ca.certificate))).toBe(true);
        expect(hex(facts.publicKey.export({ format: "der", type: "spki" }))).toBe(hex(facts.spki));
        // The lazy X509Certificate is the same certificate.
        expect(facts.cert.serialNumber).toBe(cert.serialNumber);
      }),
      params(150),
    );
  });

  it("reads the PIV extensions of a card certificate (SAN FASC-N otherName and urn:uuid)", async () => {
    const { issueCardCertificate } = await import("../../src/pki/index.js");
    const cert = await issueCardCertificate(publishing.issuing, {
      slot: "9A",
      publicKey: await newSpki(),
      cardholder: { commonName: "Pat TEST Smith", email: "pat@agency.test", organization: "DPCLAB TEST Agency" },
      fascn: FASCN,
      cardUuid: CARD_UUID,
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 365 * DAY),
    });
    const facts = CertificateFacts.of(cert);
    expect(facts.subjectAltName?.uris).toEqual([`urn:uuid:${CARD_UUID}`]);
    expect(facts.subjectAltName?.otherNames.map((o) => [o.typeId, hex(o.value)])).toEqual([[OIDS.pivFascN, `0419${hex(FASCN)}`]]);
    expect(facts.policies).toEqual(new Set([OIDS.commonAuthentication]));
    expect(facts.ocspUrls).toEqual(["http://pki.test/ocsp/piv"]);
    expect(facts.caIssuersUrls).toEqual(["http://pki.test/aia/piv.p7c"]);
    expect(facts.crlUrls).toEqual(["http://pki.test/crl/piv.crl"]);
    expect(CertificateFacts.of(cert)).toBe(facts); // the same object for the same X509Certificate
    expect(facts.cert).toBe(cert);
  });
});

describe("CertificateFacts caching", () => {
  let der: Uint8Array;
  beforeAll(async () => {
    const pki = await makePki("p256");
    der = new Uint8Array(pki.issuing.certificate.rawData);
  });

  it("answers DER by content, never with another certificate's facts", () => {
    const a = CertificateFacts.fromDer(der.slice());
    const b = CertificateFacts.fromDer(der.slice());
    expect(b).toBe(a);
    // The caller's buffer is not kept: changing it changes nothing in the facts…
    const buffer = der.slice();
    const c = CertificateFacts.fromDer(buffer);
    buffer[buffer.length - 40] ^= 0x01;
    expect(hex(c.der)).toBe(hex(der));
    // …and the changed bytes (same length, same signature tail: the same cache slot) are parsed as what they are.
    const changed = CertificateFacts.fromDer(buffer);
    expect(changed).not.toBe(c);
    expect(hex(changed.der)).toBe(hex(buffer));
    expect(CertificateFacts.fromDer(der)).toBe(CertificateFacts.fromDer(der.slice()));
  });
});

describe("CertificateFacts on malformed DER: a DpclabError, never a crash", () => {
  let der: Uint8Array;
  beforeAll(async () => {
    const pki = await makePki("p256", "http://pki.test");
    const { issueCardCertificate } = await import("../../src/pki/index.js");
    const cert = await issueCardCertificate(pki.issuing, {
      slot: "9A",
      publicKey: await newSpki(),
      cardholder: { commonName: "Pat TEST Smith", email: "pat@agency.test", organization: "DPCLAB TEST Agency" },
      fascn: FASCN,
      cardUuid: CARD_UUID,
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 365 * DAY),
    });
    der = new Uint8Array(cert.rawData);
  });

  const refused = (bytes: Uint8Array) => {
    try {
      new CertificateFacts(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(DpclabError);
      expect((e as DpclabError).code).toBe("bad-certificate");
      expect((e as DpclabError).status).toBe(400);
      return (e as Error).message;
    }
    throw new Error(`accepted ${hex(bytes).slice(0, 40)}…`);
  };

  it("every truncation, trailing bytes, empty input, other structures", () => {
    for (let n = 0; n < der.length; n++) refused(der.subarray(0, n));
    refused(Uint8Array.from([...der, 0]));
    refused(new Uint8Array());
    refused(new TextEncoder().encode("-----BEGIN CERTIFICATE-----"));
    refused(Uint8Array.of(0x30, 0x80, 0x00, 0x00)); // indefinite length (BER, not DER)
    refused(Uint8Array.of(0x30, 0x81, 0x03, 0x02, 0x01, 0x01)); // non-minimal length
    refused(Uint8Array.of(0x30, 0x00));
    expect(refused(Uint8Array.of(0x31, 0x00))).toMatch(/not a DER X\.509 certificate/);
  });

  it("wrong tags at every element of the certificate", () => {
    // Walk every element and give it a tag of another type; a changed tag must never be read as the original.
    const starts: number[] = [];
    const walk = (at: number, end: number) => {
      while (at < end) {
        const node = derNode(der, at, end);
        starts.push(at);
        if (node.tag & 0x20) walk(node.body, node.end);
        at = node.end;
      }
    };
    walk(0, der.length);
    expect(starts.length).toBeGreaterThan(60);
    const outcomes = new Set<string>();
    for (const at of starts) {
      for (const tag of [0x04, 0x05, 0x13, 0x31, 0xa5]) {
        if (der[at] === tag) continue;
        const bad = der.slice();
        bad[at] = tag;
        try {
          const facts = new CertificateFacts(bad);
          // Only places whose tag dpclab does not interpret (inside names, strings, unread extensions) may pass…
          expect(hex(facts.der)).toBe(hex(bad));
          outcomes.add("read");
        } catch (e) {
          expect(e).toBeInstanceOf(DpclabError);
          outcomes.add((e as DpclabError).code);
        }
      }
    }
    expect(outcomes.has("bad-certificate")).toBe(true);
  });

  it("random byte changes: facts of the changed bytes or bad-certificate (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: der.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bad = der.slice();
        bad[at] = (bad[at] as number) ^ x;
        try {
          const facts = new CertificateFacts(bad);
          // Parsed: then whatever changed shows, e.g. in the signature or a name; the original signature no longer verifies.
          return hex(facts.der) === hex(bad);
        } catch (e) {
          return e instanceof DpclabError && e.code === "bad-certificate";
        }
      }),
      params(1000),
    );
  });

  it("specific violations: bad time, duplicate extension, BIT STRING with unused bits, v1 with extensions", () => {
    // notBefore: the first UTCTime (tag 17, length 13), its month set to 13
    const utc = Buffer.from(der).indexOf(Buffer.of(0x17, 0x0d));
    expect(utc).toBeGreaterThan(0);
    const month13 = der.slice();
    month13.set(Buffer.from("13", "latin1"), utc + 4);
    expect(refused(month13)).toMatch(/valid time|not a/);
    // the signature BIT STRING's unused-bits octet
    const asn = AsnConvert.parse(der, asn1X509.Certificate);
    const sigAt = der.length - asn.signatureValue.byteLength - 1;
    expect(der[sigAt]).toBe(0);
    const unused = der.slice();
    unused[sigAt] = 3;
    expect(refused(unused)).toMatch(/unused bits/);
    // the keyUsage extension repeated: replace the EKU OID by the keyUsage OID
    const eku = Buffer.from(derOid(OIDS.extKeyUsage));
    const at = Buffer.from(der).indexOf(eku);
    expect(at).toBeGreaterThan(0);
    const twice = der.slice();
    twice.set(derOid(OIDS.keyUsage), at);
    expect(refused(twice)).toMatch(/appears twice|keyUsage/);
  });
});

describe("distinguishedNameText", () => {
  // Values with every character @peculiar/x509 escapes, control characters, non-ASCII, in each string type.
  const valueArb = fc.oneof(
    fc.stringMatching(/^[ #A-Za-z0-9,+"\\<>;=\r\n\t]{0,12}$/),
    fc.string({ unit: "grapheme", maxLength: 8 }),
    fc.string({ unit: "binary", maxLength: 6 }),
  );
  // 0x10c: a UTF8String of arbitrary octets (often not UTF-8)
  const tagArb = fc.constantFrom(0x13, 0x16, 0x0c, 0x0c, 0x10c, 0x1e, 0x14, 0x04);
  const typeArb = fc.constantFrom(
    "2.5.4.3",
    "2.5.4.10",
    "2.5.4.11",
    "2.5.4.6",
    "1.2.840.113549.1.9.1",
    "0.9.2342.19200300.100.1.25",
    "2.5.4.5",
    "1.3.6.1.4.1.99",
  );

  function encode(tag: number, value: string): Uint8Array {
    if (tag === 0x0c) return derTlvOf(tag, Buffer.from(value, "utf8"));
    if (tag === 0x10c)
      return derTlvOf(
        0x0c,
        Uint8Array.from(value, (c) => (c.charCodeAt(0) * 7) & 0xff),
      );
    if (tag === 0x1e) return derTlvOf(tag, Buffer.from(value, "utf16le").swap16());
    return derTlvOf(
      tag,
      Uint8Array.from(value, (c) => c.charCodeAt(0) & 0xff),
    );
  }
  const derTlvOf = (tag: number, content: Uint8Array) => Uint8Array.from([tag, ...derLen(content.length), ...content]);
  const derLen = (n: number) => (n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]);

  it("writes what @peculiar/x509's Name.toString() writes (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.tuple(typeArb, tagArb, valueArb), { minLength: 1, maxLength: 3 }), { maxLength: 5 }), (rdns) => {
        const der = derTlvOf(
          0x30,
          Buffer.concat(
            rdns.map((rdn) =>
              derTlvOf(0x31, Buffer.concat(rdn.map(([type, tag, value]) => derTlvOf(0x30, Buffer.concat([derOid(type), encode(tag, value)]))))),
            ),
          ),
        );
        expect(distinguishedNameText(der)).toBe(new Name(der.slice().buffer).toString());
      }),
      params(1000),
    );
  });
});

describe("der.ts reader", () => {
  it("derOidText inverts derOid (property), including arcs past 2^53", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 2),
        fc.bigInt({ min: 0n, max: 39n }),
        fc.array(fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max: 1n << 130n })), { maxLength: 8 }),
        (a, b, rest) => {
          const second = a === 2 ? b * 1000n : b; // the first arc 2 allows any second arc
          const oid = [BigInt(a), second, ...rest].join(".");
          const der = derOid(oid);
          return derOidText(der, derNode(der, 0)) === oid;
        },
      ),
      params(500),
    );
  });

  it("derTimeValue inverts derTime and derGeneralizedTime (property)", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(Date.UTC(1950, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }), (date) => {
        const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
        const t = derTime(date);
        const g = derGeneralizedTime(date);
        return derTimeValue(t, derNode(t, 0)).getTime() === whole.getTime() && derTimeValue(g, derNode(g, 0)).getTime() === date.getTime();
      }),
      params(500),
    );
  });
});
