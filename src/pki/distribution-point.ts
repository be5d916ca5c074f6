import { DerError, type DerNode, derAscii, derChildren, derContent, derElement, derExpect, derOidText, sameOctets } from "../der.js";
import type { CertificateFacts } from "./certificate-facts.js";
import { OIDS } from "./oids.js";

/**
 * Distribution points (RFC 5280 §4.2.1.13, §5.2.5) as revocation checking compares them: every name reduced to a
 * comparison key, directory names by the RFC 5280 §7.1 rules (RFC 4518 simplified: case folded, white space collapsed,
 * for the string types; other values by their DER), so a CRL whose issuer or IDP is encoded differently from the
 * certificate still matches (PKITS 4.3.x).
 */

/** ReasonFlags bits (RFC 5280 §4.2.1.13): bit 0 unused, 1 keyCompromise … 8 aACompromise. */
export const ALL_REASONS = 0x1fe;
export const REASON_FLAG_NAMES = [
  "unused",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  "privilegeWithdrawn",
  "aACompromise",
] as const;

/** One DistributionPoint of a certificate's cRLDistributionPoints or freshestCRL extension, or of an IDP. */
export interface DistributionPoint {
  /**
   * Keys of the distributionPoint names: fullName's GeneralNames, or nameRelativeToCRLIssuer resolved against the CRL
   * issuer (the DP's cRLIssuer, else the certificate's issuer, §4.2.1.13). undefined when the field is absent.
   */
  readonly names?: readonly string[];
  /** http(s) URIs among the fullName names (what can be fetched). */
  readonly urls: readonly string[];
  /** ReasonFlags mask; undefined when absent (all reasons). */
  readonly reasons?: number;
  /** Keys of the cRLIssuer names (directoryName keys "dn:…"); undefined when absent. */
  readonly crlIssuer?: readonly string[];
}

/** The DN comparison key of a DER Name (the whole SEQUENCE). */
export function nameKey(der: Uint8Array): string {
  const cached = nameKeys.get(hexOf(der));
  if (cached !== undefined) return cached;
  const key = `dn:${rdnKeys(der, derExpect(der, 0, der.length, 0x30, "Name")).join("/")}`;
  if (nameKeys.size >= 4096) nameKeys.delete(nameKeys.keys().next().value as string);
  nameKeys.set(hexOf(der), key);
  return key;
}
const nameKeys = new Map<string, string>();

/** Whether two DER Names are the same name under RFC 5280 §7.1 (exact DER first: the common, cheap case). */
export function sameName(a: Uint8Array, b: Uint8Array): boolean {
  if (sameOctets(a, b)) return true;
  try {
    return nameKey(a) === nameKey(b);
  } catch {
    return false;
  }
}

/** cRLDistributionPoints of a certificate (§4.2.1.13), parsed once per certificate; [] when absent. */
export function certificateDistributionPoints(cert: CertificateFacts): readonly DistributionPoint[] {
  return cachedDps(cert, OIDS.cRLDistributionPoints, crlDps);
}

/** freshestCRL of a certificate (§4.2.1.15); [] when absent. */
export function certificateFreshestCrl(cert: CertificateFacts): readonly DistributionPoint[] {
  return cachedDps(cert, OIDS.freshestCrl, freshestDps);
}

const crlDps = new WeakMap<CertificateFacts, readonly DistributionPoint[]>();
const freshestDps = new WeakMap<CertificateFacts, readonly DistributionPoint[]>();

function cachedDps(cert: CertificateFacts, oid: string, cache: WeakMap<CertificateFacts, readonly DistributionPoint[]>): readonly DistributionPoint[] {
  let dps = cache.get(cert);
  if (!dps) {
    const ext = cert.extensions.find((e) => e.oid === oid);
    dps = ext ? readDistributionPoints(ext.value, cert.issuerDer) : [];
    cache.set(cert, dps);
  }
  return dps;
}

/** CRLDistributionPoints ::= SEQUENCE OF DistributionPoint; `issuerDer` resolves nameRelativeToCRLIssuer. */
export function readDistributionPoints(v: Uint8Array, issuerDer: Uint8Array): DistributionPoint[] {
  const outer = derExpect(v, 0, v.length, 0x30, "CRLDistributionPoints");
  if (outer.end !== v.length) throw new DerError("bytes after CRLDistributionPoints");
  return derChildren(v, outer).map((dp) => {
    if (dp.tag !== 0x30) throw new DerError("DistributionPoint is a SEQUENCE");
    // DistributionPoint ::= SEQUENCE { distributionPoint [0], reasons [1] ReasonFlags, cRLIssuer [2] GeneralNames }
    let dpName: DerNode | undefined;
    let reasons: number | undefined;
    let crlIssuer: string[] | undefined;
    let crlIssuerDn: Uint8Array | undefined;
    for (const part of derChildren(v, dp)) {
      if (part.tag === 0xa0) dpName = part;
      else if (part.tag === 0x81) reasons = reasonFlags(v, part);
      else if (part.tag === 0xa2) {
        crlIssuer = generalNameKeys(v, part);
        crlIssuerDn = derChildren(v, part)
          .filter((g) => g.tag === 0xa4)
          .map((g) => derElement(v, derChildren(v, g)[0] ?? missing("directoryName")))[0];
      } else throw new DerError(`unexpected field 0x${part.tag.toString(16)} in DistributionPoint`);
    }
    const name = dpName ? distributionPointName(v, dpName, crlIssuerDn ?? issuerDer) : undefined;
    return {
      ...(name ? { names: name.keys } : {}),
      urls: name?.urls ?? [],
      ...(reasons !== undefined ? { reasons } : {}),
      ...(crlIssuer ? { crlIssuer } : {}),
    };
  });
}

/** DistributionPointName ::= CHOICE { fullName [0] GeneralNames, nameRelativeToCRLIssuer [1] RDN }, inside its [0]. */
export function distributionPointName(v: Uint8Array, wrapper: DerNode, crlIssuerDer: Uint8Array): { keys: string[]; urls: string[] } {
  const [choice, extra] = derChildren(v, wrapper);
  if (!choice || extra) throw new DerError("distributionPoint holds one DistributionPointName");
  if (choice.tag === 0xa0) {
    const urls = derChildren(v, choice)
      .filter((g) => g.tag === 0x86)
      .map((g) => derAscii(v, g))
      .filter((u) => /^https?:/i.test(u));
    return { keys: generalNameKeys(v, choice), urls };
  }
  if (choice.tag === 0xa1) {
    // §4.2.1.13: the RDN is appended to the CRL issuer's name. [1] IMPLICIT SET: read it as the SET it is.
    const issuer = rdnKeys(crlIssuerDer, derExpect(crlIssuerDer, 0, crlIssuerDer.length, 0x30, "Name"));
    return { keys: [`dn:${[...issuer, rdnKey(v, { ...choice, tag: 0x31 })].join("/")}`], urls: [] };
  }
  throw new DerError("DistributionPointName is fullName [0] or nameRelativeToCRLIssuer [1]");
}

/** ReasonFlags BIT STRING (implicitly tagged) → mask with bit n = flag n. */
export function reasonFlags(v: Uint8Array, node: DerNode): number {
  if (node.end === node.body) throw new DerError("ReasonFlags is an empty BIT STRING");
  const unused = v[node.body] as number;
  if (unused > 7) throw new DerError("ReasonFlags: bad unused-bit count");
  let mask = 0;
  for (let i = node.body + 1; i < node.end; i++) {
    const octet = v[i] as number;
    for (let bit = 0; bit < 8; bit++) if (octet & (0x80 >> bit)) mask |= 1 << ((i - node.body - 1) * 8 + bit);
  }
  return mask & 0x1ff;
}

/** Comparison keys of the names in a GeneralNames (any implicitly tagged SEQUENCE OF GeneralName). */
export function generalNameKeys(v: Uint8Array, node: DerNode): string[] {
  return derChildren(v, node).map((g) => {
    if (g.tag === 0xa4) {
      const [name, extra] = derChildren(v, g);
      if (!name || extra) throw new DerError("directoryName holds one Name");
      return nameKey(derElement(v, name));
    }
    return `${g.tag.toString(16)}:${hexOf(derContent(v, g))}`;
  });
}

/** The directoryName DERs of a GeneralNames. */
export function directoryNames(v: Uint8Array, node: DerNode): Uint8Array[] {
  return derChildren(v, node)
    .filter((g) => g.tag === 0xa4)
    .map((g) => derElement(v, derChildren(v, g)[0] ?? missing("directoryName")));
}

function rdnKeys(der: Uint8Array, name: DerNode): string[] {
  return derChildren(der, name).map((rdn) => rdnKey(der, rdn));
}

/** One RDN: its AttributeTypeAndValues as "oid=value", sorted (a SET has no order). */
function rdnKey(der: Uint8Array, rdn: DerNode): string {
  if (rdn.tag !== 0x31) throw new DerError("RDN is a SET");
  return derChildren(der, rdn)
    .map((atv) => {
      const [type, value, extra] = atv.tag === 0x30 ? derChildren(der, atv) : [];
      if (!type || !value || extra) throw new DerError("AttributeTypeAndValue is type, value");
      return `${derOidText(der, type)}=${attributeValueKey(der, value)}`;
    })
    .sort()
    .join("+");
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf16be = new TextDecoder("utf-16be", { fatal: true });

/** §7.1 / RFC 4518: string values compared case-insensitively, leading/trailing/inner white space collapsed. */
function attributeValueKey(der: Uint8Array, value: DerNode): string {
  let text: string | undefined;
  try {
    if (value.tag === 0x13 || value.tag === 0x16 || value.tag === 0x14) text = derAscii(der, value);
    else if (value.tag === 0x0c) text = utf8.decode(derContent(der, value));
    else if (value.tag === 0x1e) text = utf16be.decode(derContent(der, value));
  } catch {
    text = undefined;
  }
  if (text === undefined) return `#${hexOf(derElement(der, value))}`;
  return `"${text
    .normalize("NFKC")
    .toLowerCase()
    .trim()
    .replace(/\s+/g, " ")
    .replace(/[\\/+=]/g, (c) => `\\${c}`)}`;
}

function missing(what: string): never {
  throw new DerError(`${what} is missing`);
}

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
}

/** Byte equality without allocating (names are short; this runs for every CRL check). */
