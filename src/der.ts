/**
 * Minimal DER, written and read by hand for the few places where going through @peculiar/asn1-schema would be
 * wasted work (certificate issuance is benchmarked) or too much (PKCS#11 attributes: CKA_EC_PARAMS, CKA_OBJECT_ID,
 * CKA_EC_POINT, SPKI; CHUID signatures). Anything bigger goes through asn1-schema.
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
