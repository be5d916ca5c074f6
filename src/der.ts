/**
 * DER written and read by hand wherever going through @peculiar/asn1-schema would be wasted work on a hot path:
 * certificate issuance, CertificateFacts (every certificate a relying party looks at), OCSP both ways, CSRs, CHUID
 * signatures, PKCS#11 attributes (CKA_EC_PARAMS, CKA_OBJECT_ID, CKA_EC_POINT, SPKI). The reader (derNode and
 * friends) is strict DER and throws DerError; callers turn that into their own DpclabError. Structures read rarely
 * (CRLs, CMS verification) still go through asn1-schema.
 */
export function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function derSequence(...items: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return derTlv(0x30, concatBytes(...items));
}

export function derNull(): Uint8Array {
  return Uint8Array.of(0x05, 0x00);
}

/** An unsigned big-endian integer as DER INTEGER (leading zero added when the top bit is set). */
export function derUnsignedInteger(bigEndian: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bigEndian.length - 1 && bigEndian[i] === 0) i++;
  let v = bigEndian.subarray(i);
  if (v.length === 0) v = Uint8Array.of(0);
  if ((v[0] as number) & 0x80) v = concatBytes(Uint8Array.of(0), v);
  return derTlv(0x02, v);
}

export function derBitString(bytes: Uint8Array): Uint8Array {
  return derTlv(0x03, concatBytes(Uint8Array.of(0), bytes));
}

export function derOctetString(bytes: Uint8Array): Uint8Array {
  return derTlv(0x04, bytes);
}

/** Dotted OID → DER OBJECT IDENTIFIER. */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((a) => {
    if (!/^\d+$/.test(a)) throw new RangeError(`not an OID: "${dotted}"`);
    return BigInt(a);
  });
  if (arcs.length < 2) throw new RangeError(`not an OID: "${dotted}"`);
  const body: number[] = [];
  const push = (arc: bigint) => {
    const groups: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) groups.unshift(Number(v & 0x7fn) | 0x80);
    body.push(...groups);
  };
  push((arcs[0] as bigint) * 40n + (arcs[1] as bigint));
  for (const arc of arcs.slice(2)) push(arc);
  return derTlv(0x06, Uint8Array.from(body));
}

/** Reads one DER TLV at `at`; returns tag, value and where the next one starts. */
export function derRead(bytes: Uint8Array, at = 0): { tag: number; value: Uint8Array; end: number } {
  const tag = bytes[at];
  let lenByte = bytes[at + 1];
  if (tag === undefined || lenByte === undefined) throw new RangeError("truncated DER");
  let p = at + 2;
  let len = lenByte;
  if (lenByte & 0x80) {
    const n = lenByte & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) {
      lenByte = bytes[p++];
      if (lenByte === undefined) throw new RangeError("truncated DER length");
      len = len * 256 + lenByte;
    }
  }
  if (p + len > bytes.length) throw new RangeError("truncated DER value");
  return { tag, value: bytes.subarray(p, p + len), end: p + len };
}

export function derTlv(tag: number, ...contents: (ArrayBuffer | Uint8Array)[]): Uint8Array<ArrayBuffer> {
  const parts = contents.map((c) => (c instanceof Uint8Array ? c : new Uint8Array(c)));
  const len = parts.reduce((n, p) => n + p.length, 0);
  const head = derLength(len);
  const out = new Uint8Array(1 + head.length + len);
  out[0] = tag;
  out.set(head, 1);
  let o = 1 + head.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }: the shape of a Certificate (RFC 5280 §4.1),
 * a CertificateList (§5.1) and a BasicOCSPResponse without certs (RFC 6960 §4.2.1).
 */
export function signedEnvelope(tbsDer: ArrayBuffer, algorithmDer: ArrayBuffer, signature: ArrayBuffer): ArrayBuffer {
  const bitString = derTlv(0x03, Uint8Array.of(0), signature);
  const der = derTlv(0x30, tbsDer, algorithmDer, bitString);
  return der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const utf8 = new TextEncoder();

/** INTEGER from already-minimal two's-complement content octets (a serial number). */
export function derInteger(content: ArrayBuffer | Uint8Array): Uint8Array {
  return derTlv(0x02, content);
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Zulu. */
export function derTime(date: Date): Uint8Array {
  const iso = new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return date.getUTCFullYear() < 2050 ? derTlv(0x17, utf8.encode(digits.slice(2))) : derTlv(0x18, utf8.encode(digits));
}

/** GeneralizedTime, Zulu, with milliseconds when there are any (RFC 6960 times; DER: no trailing zeros in the fraction). */
export function derGeneralizedTime(date: Date): Uint8Array {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const ms = iso.slice(20, 23).replace(/0+$/, "");
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${ms ? `.${ms}` : ""}Z`;
  return derTlv(0x18, utf8.encode(digits));
}

const oidCache = new Map<string, Uint8Array>();

/**
 * A Name (RFC 5280 §4.1.2.4) from [attribute OID, value] pairs in DER order, one attribute per RDN;
 * PrintableString when the value allows it, else UTF8String (the encodings the FPKI profiles permit).
 */
export function derName(rdns: readonly (readonly [string, string])[]): Uint8Array {
  return derTlv(
    0x30,
    ...rdns.map(([type, value]) => {
      let oid = oidCache.get(type);
      if (!oid) {
        oid = derOid(type);
        oidCache.set(type, oid);
      }
      const str = PRINTABLE.test(value) ? derTlv(0x13, utf8.encode(value)) : derTlv(0x0c, utf8.encode(value));
      return derTlv(0x31, derTlv(0x30, oid, str));
    }),
  );
}

// ——— reading ———

/** Malformed DER: what was expected where. Parsers built on the reader turn it into their own DpclabError. */
export class DerError extends Error {
  override name = "DerError";
}

/** One DER element as offsets into the bytes it was read from (no copy, no allocation beyond this object). */
export interface DerNode {
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  body: number;
  /** Offset just past the element. */
  end: number;
}

/**
 * The element at `at`, strictly DER (X.690 §10): low-tag-number form, definite length in the fewest octets, inside
 * [at, limit). Throws DerError otherwise.
 */
export function derNode(bytes: Uint8Array, at: number, limit: number = bytes.length): DerNode {
  if (at + 2 > limit) throw new DerError(at >= limit ? "missing element" : "truncated element");
  const tag = bytes[at] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`high tag numbers are not used here (tag 0x${tag.toString(16)})`);
  let len = bytes[at + 1] as number;
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError("indefinite length is not DER");
    if (n > 4) throw new DerError("length too large");
    if (body + n > limit) throw new DerError("truncated length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (bytes[body + i] as number);
    if (len < 0x80 || bytes[body] === 0) throw new DerError("length not in the fewest octets (not DER)");
    body += n;
  }
  const end = body + len;
  if (end > limit) throw new DerError("truncated content");
  return { tag, start: at, body, end };
}

/** The element at `at`, which must carry `tag`; `what` names it in the error. */
export function derExpect(bytes: Uint8Array, at: number, limit: number, tag: number, what: string): DerNode {
  const node = derNode(bytes, at, limit);
  if (node.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${node.tag.toString(16)}`);
  return node;
}

/** The elements directly inside a constructed element. */
export function derChildren(bytes: Uint8Array, node: DerNode): DerNode[] {
  if (!(node.tag & 0x20)) throw new DerError(`tag 0x${node.tag.toString(16)} is not constructed`);
  const out: DerNode[] = [];
  for (let at = node.body; at < node.end; ) {
    const child = derNode(bytes, at, node.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** The content octets of an element (a view, not a copy). */
export function derContent(bytes: Uint8Array, node: DerNode): Uint8Array {
  return bytes.subarray(node.body, node.end);
}

/** The whole element, tag and length included (a view, not a copy). */
export function derElement(bytes: Uint8Array, node: DerNode): Uint8Array {
  return bytes.subarray(node.start, node.end);
}

/** Bytes as ISO 8859-1 text, one character per octet (TextDecoder's "latin1" is windows-1252). */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  // Short strings (OIDs, times, most names' values) by hand: a Buffer view costs more than the characters.
  if (end - start <= 32) {
    let text = "";
    for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i] as number);
    return text;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("latin1");
}
/** Dotted text of OIDs seen, by a hash of their content octets (confirmed octet by octet: a hash is not an identity). */
const oidText = new Map<number, { readonly content: Uint8Array; readonly text: string }[]>();
const MAX_CACHED_OIDS = 4096;
let cachedOids = 0;

/** OBJECT IDENTIFIER content → dotted text (cached: the same few dozen OIDs recur in every certificate). */
export function derOidText(bytes: Uint8Array, node: DerNode): string {
  if (node.tag !== 0x06) throw new DerError(`expected an OBJECT IDENTIFIER, found tag 0x${node.tag.toString(16)}`);
  const content = bytes.subarray(node.body, node.end);
  // A number, not a string, as the key: making a string of the octets cost more than the lookup saved.
  let hash = content.length;
  for (let i = 0; i < content.length; i++) hash = (Math.imul(hash, 31) + (content[i] as number)) | 0;
  const bucket = oidText.get(hash);
  if (bucket) for (const known of bucket) if (sameOctets(known.content, content)) return known.text;
  if (content.length === 0 || (content[content.length - 1] as number) & 0x80) throw new DerError("truncated OBJECT IDENTIFIER");
  const arcs: string[] = [];
  let value = 0n;
  let small = 0;
  let big = false;
  let first = true;
  for (let i = 0; i < content.length; i++) {
    const b = content[i] as number;
    if (b === 0x80 && (i === 0 || !((content[i - 1] as number) & 0x80))) throw new DerError("OBJECT IDENTIFIER arc not in the fewest octets");
    if (big) value = (value << 7n) | BigInt(b & 0x7f);
    else {
      small = small * 128 + (b & 0x7f);
      if (small > 2 ** 45) {
        big = true;
        value = BigInt(small);
      }
    }
    if (b & 0x80) continue;
    const arc = big ? value : BigInt(small);
    if (first) {
      first = false;
      const top = arc < 40n ? 0n : arc < 80n ? 1n : 2n;
      arcs.push(String(top), String(arc - top * 40n));
    } else arcs.push(String(arc));
    small = 0;
    value = 0n;
    big = false;
  }
  const text = arcs.join(".");
  if (cachedOids < MAX_CACHED_OIDS) {
    cachedOids++;
    const entry = { content: content.slice(), text };
    if (bucket) bucket.push(entry);
    else oidText.set(hash, [entry]);
  }
  return text;
}

/** Text of an IA5String/PrintableString/UTF8String-like element, byte per character (URIs and e-mail are IA5). */
export function derAscii(bytes: Uint8Array, node: DerNode): string {
  return latin1(bytes, node.body, node.end);
}

/** BOOLEAN: DER allows only 0x00 and 0xFF. */
export function derBoolean(bytes: Uint8Array, node: DerNode): boolean {
  if (node.tag !== 0x01 || node.end - node.body !== 1) throw new DerError("expected a one-octet BOOLEAN");
  const v = bytes[node.body] as number;
  if (v !== 0 && v !== 0xff) throw new DerError("BOOLEAN must be 0x00 or 0xFF in DER");
  return v === 0xff;
}

/** A non-negative INTEGER small enough for a number (versions, pathLenConstraint, CRL reasons); `tag` 0x02 or 0x0a. */
export function derSmallUnsigned(bytes: Uint8Array, node: DerNode, tag = 0x02): number {
  const n = node.end - node.body;
  if (node.tag !== tag || n === 0) throw new DerError("expected an INTEGER");
  const first = bytes[node.body] as number;
  if (n > 1 && first === 0 && !((bytes[node.body + 1] as number) & 0x80)) throw new DerError("INTEGER not in the fewest octets");
  if (first & 0x80) throw new DerError("negative INTEGER where a count was expected");
  if (n > 5) throw new DerError("INTEGER too large");
  let v = 0;
  for (let i = node.body; i < node.end; i++) v = v * 256 + (bytes[i] as number);
  return v;
}

/** The contents of an INTEGER (two's complement, minimal), e.g. a serial number. */
export function derIntegerContent(bytes: Uint8Array, node: DerNode): Uint8Array {
  const n = node.end - node.body;
  if (node.tag !== 0x02 || n === 0) throw new DerError("expected an INTEGER");
  const first = bytes[node.body] as number;
  const second = bytes[node.body + 1] as number;
  if (n > 1 && ((first === 0 && !(second & 0x80)) || (first === 0xff && second & 0x80))) throw new DerError("INTEGER not in the fewest octets");
  return bytes.subarray(node.body, node.end);
}

/** The octets of a BIT STRING that has no unused bits (signatures, public keys). */
export function derBitStringOctets(bytes: Uint8Array, node: DerNode): Uint8Array {
  if (node.tag !== 0x03 || node.end === node.body) throw new DerError("expected a BIT STRING");
  if (bytes[node.body] !== 0) throw new DerError("BIT STRING has unused bits");
  return bytes.subarray(node.body + 1, node.end);
}

/**
 * UTCTime (YYMMDDHHMMSSZ; years 1950–2049) or GeneralizedTime (YYYYMMDDHHMMSS[.fff]Z), the DER forms RFC 5280
 * §4.1.2.5 and RFC 6960 use.
 */
export function derTimeValue(bytes: Uint8Array, node: DerNode): Date {
  const length = node.end - node.body;
  // The forms every certificate uses, read digit by digit (a certificate has two times; the regex cost more than the rest).
  if (node.tag === 0x17 && length === 13 && bytes[node.end - 1] === 0x5a) {
    const yy = digitsAt(bytes, node.body, 2);
    const rest = yy < 0 ? -1 : digitsAt(bytes, node.body + 2, 10);
    if (rest >= 0) return timeOf(bytes, node, yy >= 50 ? 1900 + yy : 2000 + yy, node.body + 2, 0);
  }
  if (node.tag === 0x18 && length === 15 && bytes[node.end - 1] === 0x5a && digitsAt(bytes, node.body, 14) >= 0) {
    return timeOf(bytes, node, digitsAt(bytes, node.body, 4), node.body + 4, 0);
  }
  const text = latin1(bytes, node.body, node.end);
  let m: RegExpExecArray | null;
  let year: number;
  if (node.tag === 0x17) {
    m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text);
    if (!m) throw new DerError(`UTCTime "${text}" is not YYMMDDHHMMSSZ`);
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (node.tag === 0x18) {
    // A fraction with trailing zeros is not DER, but asn1js writes one (".500"): accepted.
    m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d+))?Z$/.exec(text);
    if (!m) throw new DerError(`GeneralizedTime "${text}" is not YYYYMMDDHHMMSS[.f]Z`);
    year = Number(m[1]);
  } else {
    throw new DerError(`expected a UTCTime or GeneralizedTime, found tag 0x${node.tag.toString(16)}`);
  }
  const ms = m[7] ? Number(`${m[7]}00`.slice(0, 3)) : 0; // milliseconds; finer digits are dropped
  const monthAt = node.body + (node.tag === 0x17 ? 2 : 4);
  return timeOf(bytes, node, year, monthAt, ms);
}

/** The time whose MMDDHHMMSS digits start at `at`, checked to be a real date and time. */
function timeOf(bytes: Uint8Array, node: DerNode, year: number, at: number, ms: number): Date {
  const month = digitsAt(bytes, at, 2);
  const day = digitsAt(bytes, at + 2, 2);
  const hour = digitsAt(bytes, at + 4, 2);
  const minute = digitsAt(bytes, at + 6, 2);
  const second = digitsAt(bytes, at + 8, 2);
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // not Date.UTC, which reads years 0–99 as 1900–1999
  d.setUTCHours(hour, minute, second, ms);
  // 31 February would roll over into March: reject what does not round-trip.
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new DerError(`"${latin1(bytes, node.body, node.end)}" is not a valid time`);
  }
  return d;
}

/** The decimal number written by `count` ASCII digits at `at`, or -1 when one is not a digit. */
function digitsAt(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = (bytes[i] as number) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** An X.509 or CRL Extension (RFC 5280 §4.1): extnID, critical (DEFAULT FALSE), extnValue's content. */
export function derExtension(der: Uint8Array, ext: DerNode): { oid: string; critical: boolean; value: Uint8Array } {
  const parts = ext.tag === 0x30 ? derChildren(der, ext) : [];
  const [id, second, third] = parts;
  if (!id || !second || parts.length > 3) throw new DerError("Extension is extnID, critical, extnValue");
  let critical = false;
  let value = second;
  if (third) {
    // An explicit FALSE breaks DER's DEFAULT rule but is common in the wild; it means what it says.
    critical = derBoolean(der, second);
    value = third;
  }
  if (value.tag !== 0x04) throw new DerError("extnValue must be an OCTET STRING");
  return { oid: derOidText(der, id), critical, value: derContent(der, value) };
}

/** The one element an extension value holds, with this tag (nothing after it). */
export function derOnly(value: Uint8Array, tag: number, what: string): DerNode {
  const node = derExpect(value, 0, value.length, tag, what);
  if (node.end !== value.length) throw new DerError(`${what}: bytes after the value`);
  return node;
}

/** Whether two byte strings hold the same octets (DER compared exactly, RFC 5280 §7.1's fast path). */
export function sameOctets(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  if (a.length <= 64) {
    // Algorithm identifiers, key ids, names: a loop beats making two Buffer views.
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}
