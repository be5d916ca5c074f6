import { concatBytes } from "../der.js";
import { DpclabError } from "../errors.js";

/** One BER-TLV element as PIV uses them (73-4 Pt1 §3: tags up to 3 bytes, lengths up to 3 bytes). */
export interface Tlv {
  tag: number;
  value: Uint8Array;
  /** The element's own bytes, tag to end of value. */
  raw: Uint8Array;
}

/**
 * The bytes of a BER tag (X.690 §8.1.2): one byte whose low 5 bits are not 11111, or a first byte with low bits
 * 11111, continuation bytes with bit 8 set, and a last byte with bit 8 clear. Anything else would not decode back.
 */
function tagBytes(tag: number): number[] {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffff) throw new RangeError(`bad BER-TLV tag ${tag}`);
  const bytes = tag > 0xffff ? [tag >> 16, (tag >> 8) & 0xff, tag & 0xff] : tag > 0xff ? [tag >> 8, tag & 0xff] : [tag];
  const [first = 0, ...rest] = bytes;
  const multi = rest.length > 0;
  const valid = (first & 0x1f) === 0x1f ? multi && rest.every((b, i) => (i === rest.length - 1 ? (b & 0x80) === 0 : (b & 0x80) !== 0)) : !multi;
  if (!valid) throw new RangeError(`0x${tag.toString(16)} is not a BER tag encoding`);
  return bytes;
}

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  if (n <= 0xff) return [0x81, n];
  if (n <= 0xffff) return [0x82, n >> 8, n & 0xff];
  if (n <= 0xffffff) return [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  throw new RangeError(`BER-TLV value too long (${n} bytes)`);
}

export function encodeTlv(tag: number, value: Uint8Array = new Uint8Array(0)): Uint8Array {
  const head = [...tagBytes(tag), ...lengthBytes(value.length)];
  const out = new Uint8Array(head.length + value.length);
  out.set(head, 0);
  out.set(value, head.length);
  return out;
}

export function encodeTlvs(items: [tag: number, value?: Uint8Array][]): Uint8Array {
  return concatBytes(...items.map(([t, v]) => encodeTlv(t, v)));
}

/** Decodes a run of BER-TLV elements (not recursively). Throws DpclabError on truncated or malformed input. */
export function decodeTlvs(bytes: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let p = 0;
  const byte = (): number => {
    const b = bytes[p++];
    if (b === undefined) throw new DpclabError("truncated BER-TLV data", "bad-tlv");
    return b;
  };
  while (p < bytes.length) {
    const start = p;
    let b = byte();
    let tag = b;
    if ((b & 0x1f) === 0x1f) {
      do {
        b = byte();
        tag = tag * 256 + b;
      } while (b & 0x80);
    }
    let len = byte();
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3) throw new DpclabError(`unsupported BER-TLV length form 0x${len.toString(16)}`, "bad-tlv");
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + byte();
    }
    if (p + len > bytes.length) throw new DpclabError(`BER-TLV tag ${tag.toString(16).toUpperCase()} overruns the data`, "bad-tlv");
    out.push({ tag, value: bytes.subarray(p, p + len), raw: bytes.subarray(start, p + len) });
    p += len;
  }
  return out;
}
