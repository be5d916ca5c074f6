import { DerError, type DerNode, derChildren, derExpect, derOidText } from "../der.js";

/**
 * A Name (RFC 5280 §4.1.2.4) in the form RFC 5280 §7.1 compares: per RDN, its attribute type/value pairs with the
 * string values prepared as RFC 4518 outlines — transcoded to Unicode (PrintableString, UTF8String, IA5String,
 * TeletexString taken as ISO 8859-1, BMPString, UniversalString), NFKC-normalised, case-folded, leading and trailing
 * spaces removed and inner runs of spaces folded to one — so a PrintableString and a UTF8String with the same
 * characters match, as do "Test  CA" and "test ca" (PKITS 4.3.3–4.3.11). Values of other types compare as their DER.
 * RDN order is significant; the values within a multi-valued RDN are a set.
 */
export interface ComparableName {
  /** One key per RDN, in DER order. */
  readonly rdns: readonly string[];
  /** All RDNs together: two names are equal under §7.1 iff their keys are equal. */
  readonly key: string;
  /** The emailAddress (PKCS #9) attribute values, for rfc822Name constraints (RFC 5280 §4.2.1.10). */
  readonly emails: readonly string[];
}

const EMAIL_ADDRESS = "1.2.840.113549.1.9.1";
const RDN_SEP = "\u0001";
const ATV_SEP = "\u0002";
const TYPE_SEP = "\u0003";
const MAX_CACHED = 4096;
const cache = new Map<string, ComparableName>();
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf16be = new TextDecoder("utf-16be", { fatal: true, ignoreBOM: true });

/** The §7.1 form of a DER Name; throws DerError when it is not a Name. Results are cached by content. */
export function comparableName(der: Uint8Array): ComparableName {
  const id = Buffer.from(der.buffer, der.byteOffset, der.length).toString("latin1");
  const hit = cache.get(id);
  if (hit) return hit;
  const rdns: string[] = [];
  const emails: string[] = [];
  for (const rdn of derChildren(der, derExpect(der, 0, der.length, 0x30, "Name"))) {
    if (rdn.tag !== 0x31) throw new DerError("an RDN is a SET");
    const atvs: string[] = [];
    for (const atv of derChildren(der, rdn)) {
      const [type, value, extra] = atv.tag === 0x30 ? derChildren(der, atv) : [];
      if (!type || !value || extra) throw new DerError("AttributeTypeAndValue is type, value");
      const oid = derOidText(der, type);
      const text = stringValue(der, value);
      if (oid === EMAIL_ADDRESS && text !== undefined) emails.push(text);
      atvs.push(`${oid}${TYPE_SEP}${text === undefined ? `#${Buffer.from(der.subarray(value.start, value.end)).toString("hex")}` : prepare(text)}`);
    }
    if (atvs.length === 0) throw new DerError("an RDN holds at least one attribute");
    rdns.push(atvs.length > 1 ? atvs.sort().join(ATV_SEP) : (atvs[0] as string));
  }
  const name: ComparableName = { rdns, key: rdns.join(RDN_SEP), emails };
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(id, name);
  return name;
}

/** RFC 5280 §7.1: the two DER Names match (exact DER is the fast path). */
export function namesMatch(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))) return true;
  try {
    return comparableName(a).key === comparableName(b).key;
  } catch {
    return false;
  }
}

/** `subtree`'s RDNs are the first RDNs of `name` (directoryName constraints, RFC 5280 §4.2.1.10). */
export function nameWithinSubtree(name: ComparableName, subtree: ComparableName): boolean {
  if (subtree.rdns.length > name.rdns.length) return false;
  for (let i = 0; i < subtree.rdns.length; i++) if (subtree.rdns[i] !== name.rdns[i]) return false;
  return true;
}

/** The Unicode text of a directory string value, or undefined for types compared as DER. */
function stringValue(der: Uint8Array, node: DerNode): string | undefined {
  const content = der.subarray(node.body, node.end);
  try {
    switch (node.tag) {
      case 0x0c: // UTF8String
        return utf8.decode(content);
      case 0x13: // PrintableString
      case 0x16: // IA5String
      case 0x14: // TeletexString (T.61; taken as ISO 8859-1, as most implementations do)
        return Buffer.from(content).toString("latin1");
      case 0x1e: // BMPString (UCS-2, big-endian)
        return utf16be.decode(content);
      case 0x1c: {
        // UniversalString (UCS-4, big-endian)
        if (content.length % 4) return undefined;
        let s = "";
        for (let i = 0; i < content.length; i += 4) {
          s += String.fromCodePoint(
            (((content[i] as number) << 24) | ((content[i + 1] as number) << 16) | ((content[i + 2] as number) << 8) | (content[i + 3] as number)) >>> 0,
          );
        }
        return s;
      }
      default:
        return undefined;
    }
  } catch {
    return undefined; // undecodable text: compared as DER
  }
}

/** RFC 4518 §2, simplified: NFKC, case fold, insignificant space handling (§2.6.1). */
function prepare(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g, " ")
    .trim();
}
