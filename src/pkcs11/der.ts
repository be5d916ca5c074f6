/**
 * The handful of DER encodings PKCS#11 attributes need (CKA_EC_PARAMS, CKA_OBJECT_ID, CKA_EC_POINT, SPKI).
 * Kept tiny on purpose: anything bigger goes through @peculiar/asn1-schema.
 */

export function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function derTlv(tag: number, value: Uint8Array): Uint8Array<ArrayBuffer> {
  const len = derLength(value.length);
  const out = new Uint8Array(1 + len.length + value.length);
  out[0] = tag;
  out.set(len, 1);
  out.set(value, 1 + len.length);
  return out;
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
