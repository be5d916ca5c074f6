import { createHash } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import { DpclabError } from "../errors.js";
import { OIDS, type PathValidationResult, validatePath } from "../pki/index.js";
import { PemConverter, X509Certificate } from "../x509.js";
import type { EvidenceSummary } from "./report.js";

/** The issuing chain given with --chain: intermediates and the trust anchor, and what path validation made of them. */
export interface ChainEvidence {
  label: string;
  intermediates: X509Certificate[];
  /** The last self-issued (root) certificate of the bundle. */
  anchor: X509Certificate;
  /** RFC 5280 path validation leaf → anchor, requiring a derived PIV Authentication policy (CERT-01). */
  path: PathValidationResult;
  /** The time the path was validated at: now, moved inside the leaf's validity so an expired leaf is still judged. */
  validatedAt: Date;
}

/** A certificate to judge against the CERT-* rows, parsed once. */
export interface CertificateEvidence {
  /** Where it came from (a file name), for reports. */
  label: string;
  certificate: X509Certificate;
  asn: asn1X509.Certificate;
  /** SHA-256 of the DER, hex: the certificate's fingerprint in every report. */
  sha256: string;
  chain?: ChainEvidence;
}

const DERIVED_POLICIES = [OIDS.commonDerivedPivAuth, OIDS.commonDerivedPivAuthHardware];

/** The first certificate of a PEM file (any CERTIFICATE block) or a DER file; anything else is refused in one line. */
export function readCertificate(bytes: Uint8Array, label: string): X509Certificate {
  const [first] = readCertificates(bytes, label);
  return first as X509Certificate;
}

/** Every certificate of a PEM bundle (or the one of a DER file). */
export function readCertificates(bytes: Uint8Array, label: string): X509Certificate[] {
  const text = Buffer.from(bytes).toString("latin1");
  const notACertificate = (why: string) => new DpclabError(`${label} is not a PEM or DER X.509 certificate (${why})`, "bad-certificate");
  if (text.includes("-----BEGIN ")) {
    let blocks: ReturnType<typeof PemConverter.decodeWithHeaders>;
    try {
      blocks = PemConverter.decodeWithHeaders(text).filter((b) => b.type === "CERTIFICATE");
    } catch (error) {
      throw notACertificate((error as Error).message);
    }
    if (!blocks.length) throw notACertificate("no CERTIFICATE block");
    return blocks.map((b, i) => parse(new Uint8Array(b.rawData), (why) => notACertificate(`block ${i + 1}: ${why}`)));
  }
  return [parse(bytes, notACertificate)];
}

function parse(der: Uint8Array, refuse: (why: string) => Error): X509Certificate {
  try {
    const cert = new X509Certificate(new Uint8Array(der));
    // The whole structure, not only what X509Certificate reads eagerly: the checks walk the TBS.
    AsnConvert.parse(cert.rawData, asn1X509.Certificate);
    return cert;
  } catch (error) {
    throw refuse((error as Error).message.split("\n")[0] ?? "unreadable");
  }
}

/** Builds the evidence; with a chain, validates the path once here so every check can read the outcome. */
export async function certificateEvidence(input: {
  label: string;
  certificate: X509Certificate;
  chain?: { label: string; certificates: X509Certificate[] };
  at: Date;
}): Promise<CertificateEvidence> {
  const { certificate } = input;
  const evidence: CertificateEvidence = {
    label: input.label,
    certificate,
    asn: AsnConvert.parse(certificate.rawData, asn1X509.Certificate),
    sha256: createHash("sha256").update(new Uint8Array(certificate.rawData)).digest("hex"),
  };
  if (input.chain) evidence.chain = await chainEvidence(certificate, input.chain, input.at);
  return evidence;
}

async function chainEvidence(leaf: X509Certificate, chain: { label: string; certificates: X509Certificate[] }, now: Date): Promise<ChainEvidence> {
  const anchorIndex = chain.certificates.findLastIndex(isSelfIssued);
  if (anchorIndex < 0) throw new DpclabError(`${chain.label} holds no self-signed certificate to use as the trust anchor`, "bad-chain");
  const anchor = chain.certificates[anchorIndex] as X509Certificate;
  const intermediates = chain.certificates.filter((_, i) => i !== anchorIndex);
  const validatedAt = new Date(Math.min(Math.max(now.getTime(), leaf.notBefore.getTime()), leaf.notAfter.getTime()));
  let path: PathValidationResult;
  try {
    path = await validatePath({ leaf, intermediates, trustAnchors: [anchor], at: validatedAt, requiredPolicyOids: DERIVED_POLICIES });
  } catch (error) {
    // A malformed certificate anywhere on the path: the path does not validate.
    path = { ok: false, reason: "no-path", detail: `cannot validate the path: ${(error as Error).message}` };
  }
  return { label: chain.label, intermediates, anchor, path, validatedAt };
}

/**
 * A root is recognised by subject = issuer (self-issued). Its own signature is not checked: a trust anchor is taken
 * as given (RFC 5280 §6.1.1(d)), which is also what validatePath does.
 */
function isSelfIssued(cert: X509Certificate): boolean {
  return Buffer.from(cert.subjectName.toArrayBuffer()).equals(Buffer.from(cert.issuerName.toArrayBuffer()));
}

/** How reports name the evidence: file, subject, serial, fingerprint; and the chain with its anchor. */
export function describeCertificateEvidence(e: CertificateEvidence): EvidenceSummary[] {
  const c = e.certificate;
  const out: EvidenceSummary[] = [
    {
      kind: "certificate",
      label: e.label,
      description: `subject "${c.subject}", issuer "${c.issuer}", serial ${c.serialNumber.toLowerCase()}, SHA-256 ${e.sha256}`,
    },
  ];
  if (e.chain) {
    const ch = e.chain;
    out.push({
      kind: "certificate",
      label: ch.label,
      description: `${ch.intermediates.length} intermediate(s), trust anchor "${ch.anchor.subject}"; path validated at ${ch.validatedAt.toISOString()}`,
    });
  }
  return out;
}
