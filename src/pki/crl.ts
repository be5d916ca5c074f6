import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import { derOid, derSequence, derTlv, signedEnvelope } from "../der.js";
import type { CertificateAuthority } from "./ca.js";
import { REASON_FLAG_NAMES } from "./distribution-point.js";
import { OIDS } from "./oids.js";
import { type RevocationReason, revocationReasonCode } from "./revocation-reason.js";
import { serialFromHex } from "./serial.js";

export interface CrlEntry {
  /** Hex serial of the revoked certificate. */
  serialNumber: string;
  revokedAt: Date;
  reason: RevocationReason;
  /**
   * §5.3.3 certificateIssuer (critical), DER of the issuer's Name: in an indirect CRL, this entry and those after it
   * are about certificates of that issuer.
   */
  certificateIssuer?: Uint8Array;
  /** Further entry extensions as they are (tests: an unknown critical one). */
  extraExtensions?: readonly RawCrlExtension[];
}

/** An extension written as given: OID, criticality, extnValue contents (DER). */
export interface RawCrlExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

/** ReasonFlags names (RFC 5280 §4.2.1.13), for onlySomeReasons: the bit is the name's index (bit 0 is unused). */
export type ReasonFlagName = Exclude<(typeof REASON_FLAG_NAMES)[number], "unused">;

/** §5.2.5 issuingDistributionPoint (written critical, as §5.2.5 requires). */
export interface IdpOptions {
  /** distributionPoint fullName URIs. */
  fullNameUris?: readonly string[];
  onlyContainsUserCerts?: boolean;
  onlyContainsCACerts?: boolean;
  onlySomeReasons?: readonly ReasonFlagName[];
  indirectCrl?: boolean;
  onlyContainsAttributeCerts?: boolean;
}

export interface CrlOptions {
  entries: CrlEntry[];
  thisUpdate: Date;
  /** CP2.6 §4.9.7: at most 48 h after thisUpdate for SSP CAs (the caller's policy, not enforced here). */
  nextUpdate: Date;
  crlNumber: number;
  issuingDistributionPoint?: IdpOptions;
  /** §5.2.4: makes this a delta CRL on the complete CRL numbered `deltaOf` (deltaCRLIndicator, critical). */
  deltaOf?: number;
  /** §5.2.6 freshestCRL: where the delta CRLs of this complete CRL are (URIs). */
  freshestCrlUrls?: readonly string[];
  /** Further CRL extensions as they are (tests: an unknown critical one). */
  extraExtensions?: readonly RawCrlExtension[];
}

/**
 * A v2 CRL (RFC 5280 §5) signed by the CA: AKI (keyIdentifier, §5.2.1) and cRLNumber (§5.2.3) as required,
 * a reasonCode per entry except "unspecified", which §5.3.1 says SHOULD be absent. Returns DER.
 */
export async function createCrl(ca: CertificateAuthority, options: CrlOptions): Promise<ArrayBuffer> {
  const revoked = options.entries.map((e) => {
    const code = revocationReasonCode(e.reason);
    const exts = [
      ...(code === 0 ? [] : [extension(OIDS.crlReason, AsnConvert.serialize(new asn1X509.CRLReason(code)))]),
      ...(e.certificateIssuer ? [extension(OIDS.certificateIssuer, derSequence(derTlv(0xa4, e.certificateIssuer)), true)] : []),
      ...(e.extraExtensions ?? []).map((x) => extension(x.oid, x.value, x.critical)),
    ];
    return new asn1X509.RevokedCertificate({
      userCertificate: serialFromHex(e.serialNumber),
      revocationDate: new asn1X509.Time(e.revokedAt),
      ...(exts.length ? { crlEntryExtensions: exts } : {}),
    });
  });
  const more: asn1X509.Extension[] = [];
  if (options.issuingDistributionPoint) more.push(extension(OIDS.issuingDistributionPoint, idpValue(options.issuingDistributionPoint), true));
  if (options.deltaOf !== undefined) more.push(extension(OIDS.deltaCrlIndicator, AsnConvert.serialize(new asn1X509.CRLNumber(options.deltaOf)), true));
  if (options.freshestCrlUrls?.length) more.push(extension(OIDS.freshestCrl, derSequence(derSequence(derTlv(0xa0, fullName(options.freshestCrlUrls))))));
  for (const x of options.extraExtensions ?? []) more.push(extension(x.oid, x.value, x.critical));
  const tbs = new asn1X509.TBSCertList({
    version: asn1X509.Version.v2,
    signature: ca.signatureAlgorithm,
    issuer: AsnConvert.parse(ca.nameDer, asn1X509.Name),
    thisUpdate: new asn1X509.Time(options.thisUpdate),
    nextUpdate: new asn1X509.Time(options.nextUpdate),
    ...(revoked.length ? { revokedCertificates: revoked } : {}),
    crlExtensions: [
      extension(
        OIDS.authorityKeyIdentifier,
        AsnConvert.serialize(new asn1X509.AuthorityKeyIdentifier({ keyIdentifier: new asn1X509.KeyIdentifier(ca.keyId) })),
      ),
      extension(OIDS.crlNumber, AsnConvert.serialize(new asn1X509.CRLNumber(options.crlNumber))),
      ...more,
    ],
  });
  const tbsDer = AsnConvert.serialize(tbs);
  const signature = await ca.sign(tbsDer);
  return signedEnvelope(tbsDer, AsnConvert.serialize(ca.signatureAlgorithm), signature);
}

function extension(extnID: string, value: ArrayBuffer | Uint8Array, critical = false): asn1X509.Extension {
  const bytes = value instanceof Uint8Array ? value.slice().buffer : value;
  return new asn1X509.Extension({ extnID, critical, extnValue: new OctetString(bytes) });
}

/** fullName [0] GeneralNames of URIs, as the contents of a DistributionPointName. */
function fullName(uris: readonly string[]): Uint8Array {
  return derTlv(0xa0, ...uris.map((u) => derTlv(0x86, new TextEncoder().encode(u))));
}

/** IssuingDistributionPoint (RFC 5280 §5.2.5), DEFAULT FALSE booleans left out as DER requires. */
function idpValue(o: IdpOptions): Uint8Array {
  const parts: Uint8Array[] = [];
  if (o.fullNameUris?.length) parts.push(derTlv(0xa0, fullName(o.fullNameUris)));
  if (o.onlyContainsUserCerts) parts.push(Uint8Array.of(0x81, 0x01, 0xff));
  if (o.onlyContainsCACerts) parts.push(Uint8Array.of(0x82, 0x01, 0xff));
  if (o.onlySomeReasons?.length) parts.push(reasonFlags(0x83, o.onlySomeReasons));
  if (o.indirectCrl) parts.push(Uint8Array.of(0x84, 0x01, 0xff));
  if (o.onlyContainsAttributeCerts) parts.push(Uint8Array.of(0x85, 0x01, 0xff));
  return derSequence(...parts);
}

/** ReasonFlags as a DER named-bit BIT STRING (trailing zero bits removed), with this (implicit) tag. */
export function reasonFlags(tag: number, names: readonly ReasonFlagName[]): Uint8Array {
  let mask = 0;
  for (const n of names) mask |= 1 << REASON_FLAG_NAMES.indexOf(n);
  if (!mask) return Uint8Array.of(tag, 0x01, 0x00);
  const top = 31 - Math.clz32(mask);
  const octets = new Uint8Array((top >> 3) + 1);
  for (let bit = 0; bit <= top; bit++) if (mask & (1 << bit)) octets[bit >> 3] = (octets[bit >> 3] as number) | (0x80 >> (bit & 7));
  const unused = 7 - (top & 7);
  return derTlv(tag, Uint8Array.of(unused), octets);
}

/** A cRLDistributionPoints or freshestCRL extension value with one DistributionPoint (tests, certificates). */
export function distributionPointsValue(dp: { fullNameUris?: readonly string[]; reasons?: readonly ReasonFlagName[]; crlIssuer?: Uint8Array }): Uint8Array {
  return derSequence(
    derSequence(
      ...(dp.fullNameUris?.length ? [derTlv(0xa0, fullName(dp.fullNameUris))] : []),
      ...(dp.reasons?.length ? [reasonFlags(0x81, dp.reasons)] : []),
      ...(dp.crlIssuer ? [derTlv(0xa2, derTlv(0xa4, dp.crlIssuer))] : []),
    ),
  );
}

/** The DER of a whole Extension, as CertificateAuthority.issue takes it ({ type, rawData }). */
export function rawExtension(oid: string, value: Uint8Array, critical = false): { type: string; rawData: Uint8Array } {
  return { type: oid, rawData: derSequence(derOid(oid), ...(critical ? [Uint8Array.of(0x01, 0x01, 0xff)] : []), derTlv(0x04, value)) };
}
