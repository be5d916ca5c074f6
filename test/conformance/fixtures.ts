import { spawnSync } from "node:child_process";
import { createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import { type CertificateEvidence, type ConformanceReport, certificateEvidence, type Edition, judgeCertificate } from "../../src/conformance/index.js";
import type { RawExtension } from "../../src/pki/ca.js";
import { type DerivedPivAuthRequest, derivedPivAuthRequest, importPrivateKey, issueDerivedPivAuthCertificate, type KeyAlgorithm } from "../../src/pki/index.js";
import { type Extension, X509Certificate, X509CertificateGenerator } from "../../src/x509.js";
import { DAY, newSpki, T0, type TestPki } from "../pki/helpers.js";

/** Certificates for the conformance tests: faithful ones from the repo's own issuance code, and variants of them. */

export const NOW = new Date(T0.getTime() + DAY);
export const subscriber = { commonName: "SMITH.ALEX.TEST.0001", agency: "DPCLAB TEST Agency" };

/** A derived PIV Authentication certificate as the emulated issuers make it (src/pki/derived-certificates.ts). */
export async function faithful(pki: TestPki, overrides: Partial<DerivedPivAuthRequest> & { alg?: KeyAlgorithm } = {}): Promise<X509Certificate> {
  const { alg, ...rest } = overrides;
  const { der } = await issueDerivedPivAuthCertificate(pki.issuing, {
    publicKey: await newSpki(alg ?? "p256"),
    subscriber,
    keystore: "software",
    notBefore: NOW,
    ...rest,
  });
  return new X509Certificate(der);
}

export interface Variant {
  /** Replaces (or, with undefined, removes) profile extensions by OID; the CA still stamps SKI/AKI/AIA/CDP unless given. */
  replace?: Record<string, Extension | RawExtension | undefined>;
  add?: (Extension | RawExtension)[];
  publicKey?: Uint8Array;
  subject?: string | Uint8Array;
  notBefore?: Date;
  notAfter?: Date;
}

/** The faithful request, changed as told, signed by the issuing CA through its low-level issueDer. */
export async function variant(pki: TestPki, v: Variant): Promise<X509Certificate> {
  const { request } = derivedPivAuthRequest({ publicKey: v.publicKey ?? (await newSpki()), subscriber, keystore: "software", notBefore: NOW });
  let extensions = request.extensions.filter((e) => !(v.replace && e.type in v.replace));
  extensions = [...extensions, ...Object.values(v.replace ?? {}).filter((e) => e !== undefined), ...(v.add ?? [])];
  const { der } = await pki.issuing.issueDer({
    ...request,
    extensions,
    ...(v.subject !== undefined ? { subject: v.subject } : {}),
    ...(v.notBefore ? { notBefore: v.notBefore } : {}),
    ...(v.notAfter ? { notAfter: v.notAfter } : {}),
  });
  return new X509Certificate(der);
}

/**
 * Re-signs a certificate's content with @peculiar/x509's generator, for what issueDer cannot produce: a signature
 * algorithm the CA would never use, or a missing SKI (issueDer always adds one).
 */
export async function resign(
  pki: TestPki,
  cert: X509Certificate,
  opts: { signingAlgorithm?: EcdsaParams; dropExtensions?: string[] } = {},
): Promise<X509Certificate> {
  const signingKey = await importPrivateKey(pki.issuing.export().privateKeyPem, "p256");
  return X509CertificateGenerator.create({
    serialNumber: cert.serialNumber,
    issuer: pki.issuing.certificate.subjectName,
    subject: cert.subjectName,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    publicKey: cert.publicKey,
    signingKey,
    signingAlgorithm: opts.signingAlgorithm ?? { name: "ECDSA", hash: "SHA-256" },
    extensions: cert.extensions.filter((e) => !opts.dropExtensions?.includes(e.type)),
  });
}

/**
 * Edits a certificate's TBSCertificate as parsed ASN.1 and signs it again with the issuing CA's key (P-256,
 * ecdsa-with-SHA256): for encodings no issuance API would produce (GeneralizedTime before 2050, odd serials, a TBS
 * signature field that differs from the outer one).
 */
export function reshape(
  pki: TestPki,
  cert: X509Certificate,
  edit: (tbs: asn1X509.TBSCertificate) => void,
  /** Declared (in both places) instead of ecdsa-with-SHA256; the signature is still ECDSA, so only T-CERT-12-1 is meaningful. */
  declaredAlgorithm?: asn1X509.AlgorithmIdentifier,
): X509Certificate {
  const parsed = AsnConvert.parse(cert.rawData, asn1X509.Certificate);
  const tbs = parsed.tbsCertificate;
  if (declaredAlgorithm) {
    tbs.signature = declaredAlgorithm;
    parsed.signatureAlgorithm = declaredAlgorithm;
  }
  edit(tbs);
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const key = createPrivateKey(pki.issuing.export().privateKeyPem);
  const signature = sign("sha256", tbsDer, { key, dsaEncoding: "der" });
  const der = AsnConvert.serialize(
    new asn1X509.Certificate({
      tbsCertificate: AsnConvert.parse(tbsDer, asn1X509.TBSCertificate),
      signatureAlgorithm: parsed.signatureAlgorithm,
      signatureValue: new Uint8Array(signature).buffer,
    }),
  );
  return new X509Certificate(der);
}

/** DER SPKI of an RSA key with the given size and exponent (node:crypto: WebCrypto refuses odd sizes). */
export function rsaSpki(bits: number, publicExponent = 65537): Uint8Array {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: bits, publicExponent });
  return new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
}

export function ecSpki(namedCurve: string): Uint8Array {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve });
  return new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
}

/** Judges a certificate in-process, as `dpclab conform` does. */
export async function judge(
  cert: X509Certificate,
  opts: { chain?: X509Certificate[]; edition?: Edition; at?: Date } = {},
): Promise<{ report: ConformanceReport; evidence: CertificateEvidence }> {
  const at = opts.at ?? new Date(NOW.getTime() + DAY);
  const evidence = await certificateEvidence({
    label: "cert.pem",
    certificate: cert,
    chain: opts.chain ? { label: "chain.pem", certificates: opts.chain } : undefined,
    at,
  });
  return { report: judgeCertificate(evidence, { edition: opts.edition ?? "r1-fpd", evaluatedAt: at }), evidence };
}

export function failingRules(report: ConformanceReport): string[] {
  return report.results.filter((r) => r.status === "fail").map((r) => r.id);
}

export interface ParsedTestcase {
  classname: string;
  name: string;
  failure?: { type: string; message: string };
  skipped: boolean;
}

/** Parses JUnit XML with an independent parser (Python's xml.etree): a malformed file fails here. */
export function parseJunit(xml: string): { suite: Record<string, string>; testcases: ParsedTestcase[] } {
  const script = `
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
suite = root.find("testsuite")
cases = [{"classname": c.get("classname"), "name": c.get("name"),
          "failure": ({"type": c.find("failure").get("type"), "message": c.find("failure").get("message")} if c.find("failure") is not None else None),
          "skipped": c.find("skipped") is not None} for c in suite.iter("testcase")]
print(json.dumps({"suite": dict(suite.attrib), "testcases": cases}))
`;
  const r = spawnSync("python3", ["-c", script], { input: xml, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`JUnit XML does not parse: ${r.stderr}`);
  const parsed = JSON.parse(r.stdout) as { suite: Record<string, string>; testcases: (ParsedTestcase & { failure: ParsedTestcase["failure"] | null })[] };
  return { suite: parsed.suite, testcases: parsed.testcases.map((c) => ({ ...c, failure: c.failure ?? undefined })) };
}
