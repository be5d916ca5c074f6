/** Minimal DER writing for the few places where re-serializing through asn1-schema would be wasted work. */

function lengthOctets(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function derTlv(tag: number, ...contents: (ArrayBuffer | Uint8Array)[]): Uint8Array<ArrayBuffer> {
  const parts = contents.map((c) => (c instanceof Uint8Array ? c : new Uint8Array(c)));
  const len = parts.reduce((n, p) => n + p.length, 0);
  const head = lengthOctets(len);
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

/** OBJECT IDENTIFIER from dotted form. */
export function derOid(oid: string): Uint8Array {
  const arcs = oid.split(".").map(Number);
  const out: number[] = [40 * (arcs[0] ?? 0) + (arcs[1] ?? 0)];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return derTlv(0x06, Uint8Array.from(out));
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
