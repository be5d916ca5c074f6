import { createHash } from "node:crypto";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { derRead } from "../../src/der.js";
import { DpclabError } from "../../src/errors.js";
import {
  buildChuid,
  type ChuidSigner,
  decodeFascn,
  decodeTlvs,
  encodeFascn,
  encodeTlv,
  encodeTlvs,
  type FascN,
  formatFascn,
  parseChuid,
  parseFascnDigits,
  verifyChuidSignature,
} from "../../src/piv/index.js";
import { CertificateAuthority, generateKeyPair, issueContentSigningCertificate } from "../../src/pki/index.js";
import { propertySeed } from "../helpers/fast-check-seed.js";

// Properties of the PIV data encodings. A failing property prints fast-check's seed and counterexample path;
// rerun with DPCLAB_SEED=<seed> to replay the same run.

const { params } = propertySeed("properties");

const DAY = 86_400_000;
const FASCN_FIELDS: [keyof FascN, number][] = [
  ["agencyCode", 4],
  ["systemCode", 4],
  ["credentialNumber", 6],
  ["credentialSeries", 1],
  ["individualCredentialIssue", 1],
  ["personIdentifier", 10],
  ["organizationalCategory", 1],
  ["organizationalIdentifier", 4],
  ["personOrganizationAssociation", 1],
];

const digits = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));
const fascnArb: fc.Arbitrary<FascN> = fc.record(Object.fromEntries(FASCN_FIELDS.map(([k, n]) => [k, digits(n)])) as Record<keyof FascN, fc.Arbitrary<string>>);

/** Expects `fn` to throw a DpclabError with `code` (and a message matching `message`), nothing else. */
function expectDpclabError(fn: () => unknown, code: string, message?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, "should have thrown").toBeInstanceOf(DpclabError);
  expect((thrown as DpclabError).code).toBe(code);
  if (message) expect((thrown as DpclabError).message).toMatch(message);
}

describe("FASC-N properties", () => {
  it("encode → decode is the identity, the encoding is 25 bytes, and the printed form is stable", () => {
    fc.assert(
      fc.property(fascnArb, (f) => {
        const bytes = encodeFascn(f);
        expect(bytes).toHaveLength(25);
        expect(decodeFascn(bytes)).toEqual(f);
        const printed = formatFascn(f);
        expect(printed).toBe(FASCN_FIELDS.map(([k]) => f[k]).join(""));
        expect(printed).toMatch(/^\d{32}$/);
        expect(formatFascn(decodeFascn(bytes))).toBe(printed);
        expect(parseFascnDigits(printed)).toEqual(f);
        expect(encodeFascn(parseFascnDigits(printed))).toEqual(bytes);
      }),
      params(300),
    );
  });

  it("distinct FASC-Ns have distinct encodings", () => {
    fc.assert(
      fc.property(fascnArb, fascnArb, (a, b) => {
        fc.pre(formatFascn(a) !== formatFascn(b));
        expect(Buffer.from(encodeFascn(a)).equals(Buffer.from(encodeFascn(b)))).toBe(false);
      }),
      params(200),
    );
  });

  it("every single-bit flip is caught by the odd parity of the character it lands in", () => {
    fc.assert(
      fc.property(fascnArb, fc.integer({ min: 0, max: 199 }), (f, bit) => {
        const bad = Uint8Array.from(encodeFascn(f));
        bad[bit >> 3] = (bad[bit >> 3] as number) ^ (0x80 >> (bit & 7));
        // 40 characters of 5 bits: bit i belongs to character floor(i / 5) + 1 (1-based in the message).
        expectDpclabError(() => decodeFascn(bad), "bad-fascn", new RegExp(`character ${Math.floor(bit / 5) + 1} fails its odd parity`));
      }),
      params(500),
    );
  });

  it("a digit swapped for another valid-parity digit is caught by the LRC", () => {
    const positions = FASCN_FIELDS.flatMap(([k, n]) => Array.from({ length: n }, (_, i) => [k, i] as const));
    fc.assert(
      fc.property(fascnArb, fc.constantFrom(...positions), fc.integer({ min: 1, max: 9 }), (f, [field, at], delta) => {
        const value = f[field];
        const swapped = `${value.slice(0, at)}${(Number(value[at]) + delta) % 10}${value.slice(at + 1)}`;
        // Every character of the swapped encoding has good parity; only its LRC (low 5 bits of byte 24) is the old one.
        const bad = Uint8Array.from(encodeFascn({ ...f, [field]: swapped }));
        bad[24] = ((bad[24] as number) & 0xe0) | ((encodeFascn(f)[24] as number) & 0x1f);
        expectDpclabError(() => decodeFascn(bad), "bad-fascn", /LRC/);
      }),
      params(300),
    );
  });

  it("a FASC-N of any other length than 25 bytes is refused", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 60 }).filter((b) => b.length !== 25),
        (b) => expectDpclabError(() => decodeFascn(b), "bad-fascn", /25 bytes/),
      ),
      params(100),
    );
  });
});

describe("CHUID properties", () => {
  let signer: ChuidSigner;

  beforeAll(async () => {
    // As the lab does it (emulators/piv-ca/card-issuer.ts): a TEST root signs a PIV content-signing certificate.
    const now = new Date("2026-01-01T00:00:00Z");
    const root = await CertificateAuthority.createRoot({
      commonName: "CN=DPCLAB TEST Properties Root CA,O=DPCLAB TEST,C=US",
      alg: "p256",
      notBefore: now,
      notAfter: new Date(now.getTime() + 3650 * DAY),
      publication: { caIssuersUrl: "http://127.0.0.1:1/aia/root.p7c", ocspUrl: "http://127.0.0.1:1/ocsp/root", crlUrl: "http://127.0.0.1:1/crl/root.crl" },
    });
    const keys = await generateKeyPair("p256");
    const certificate = await issueContentSigningCertificate(root, {
      publicKey: new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey)),
      commonName: "DPCLAB TEST Properties Content Signer",
      notBefore: now,
      notAfter: new Date(now.getTime() + 365 * DAY),
    });
    signer = { certificate, privateKey: keys.privateKey, alg: "p256" };
  });

  // Whole days 2000-01-01 … 2099-12-31, at any time of that (UTC) day.
  const FIRST_DAY = Date.UTC(2000, 0, 1) / DAY;
  const LAST_DAY = Date.UTC(2099, 11, 31) / DAY;
  const expirationArb = fc
    .record({ day: fc.integer({ min: FIRST_DAY, max: LAST_DAY }), ms: fc.integer({ min: 0, max: DAY - 1 }) })
    .map(({ day, ms }) => new Date(day * DAY + ms));
  const yyyymmdd = (d: Date) => `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, "0")}${String(d.getUTCDate()).padStart(2, "0")}`;
  const chuidArb = fc.record({ fascn: fascnArb, guid: fc.uuid(), expiration: expirationArb, cardholderUuid: fc.option(fc.uuid(), { nil: undefined }) });

  it("build → parse returns the same FASC-N, GUID, expiration date and cardholder UUID, and the signature verifies", async () => {
    await fc.assert(
      fc.asyncProperty(chuidArb, async (spec) => {
        const chuid = await buildChuid(spec, signer);
        const parsed = parseChuid(chuid);
        expect(parsed.fascn).toEqual(spec.fascn);
        expect(parsed.guid).toBe(spec.guid.toLowerCase());
        expect(parsed.expiration).toBe(yyyymmdd(spec.expiration));
        expect(parsed.cardholderUuid).toBe(spec.cardholderUuid?.toLowerCase());
        // The signed part is every TLV before 3E, and it is a prefix of the CHUID.
        expect(Buffer.from(chuid.subarray(0, parsed.signedContent.length)).equals(Buffer.from(parsed.signedContent))).toBe(true);
        expect(chuid[parsed.signedContent.length]).toBe(0x3e);
        expect(await verifyChuidSignature(chuid, signer.certificate)).toBe(true);
        expect(await verifyChuidSignature(chuid)).toBe(true);
        expect(await verifyChuidSignature(encodeTlv(0x53, chuid), signer.certificate)).toBe(true);
      }),
      params(25),
    );
  });

  it("a byte changed in the GUID or cardholder UUID makes verification false", async () => {
    await fc.assert(
      fc.asyncProperty(chuidArb, fc.nat(), fc.integer({ min: 1, max: 255 }), async (spec, pick, xor) => {
        const chuid = await buildChuid(spec, signer);
        // Value bytes of 34 (GUID) and 36 (cardholder UUID): 16 bytes each, any value is still a UUID.
        const tlvs = decodeTlvs(chuid);
        const offsets: number[] = [];
        for (const t of tlvs.filter((x) => x.tag === 0x34 || x.tag === 0x36)) {
          const start = t.raw.byteOffset - chuid.byteOffset + (t.raw.length - t.value.length);
          for (let i = 0; i < t.value.length; i++) offsets.push(start + i);
        }
        const bad = Uint8Array.from(chuid);
        const at = offsets[pick % offsets.length] as number;
        bad[at] = (bad[at] as number) ^ xor;
        expect(await verifyChuidSignature(bad, signer.certificate)).toBe(false);
        expect(await verifyChuidSignature(bad)).toBe(false);
      }),
      params(25),
    );
  });

  it("a byte changed anywhere in the signed part (before 3E) never verifies: false, or refused as malformed (DpclabError)", async () => {
    await fc.assert(
      fc.asyncProperty(chuidArb, fc.nat(), fc.integer({ min: 1, max: 255 }), async (spec, pick, xor) => {
        const chuid = await buildChuid(spec, signer);
        const signedLength = parseChuid(chuid).signedContent.length;
        const bad = Uint8Array.from(chuid);
        const at = pick % signedLength;
        bad[at] = (bad[at] as number) ^ xor;
        let verdict: boolean | DpclabError;
        try {
          verdict = await verifyChuidSignature(bad, signer.certificate);
        } catch (e) {
          // A flip in the FASC-N breaks its parity, in a tag or length the TLV structure: parseChuid refuses those.
          expect(e).toBeInstanceOf(DpclabError);
          verdict = e as DpclabError;
        }
        expect(verdict).not.toBe(true);
      }),
      params(25),
    );
  });
  it("a byte changed in the signed messageDigest or in the signature's s value makes verification false", async () => {
    await fc.assert(
      fc.asyncProperty(chuidArb, fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (spec, inDigest, pick, xor) => {
        const chuid = await buildChuid(spec, signer);
        const buf = Buffer.from(chuid);
        const parsed = parseChuid(chuid);
        // The SHA-256 of the signed part sits in the messageDigest attribute; the ECDSA signature's DER ends with s,
        // whose last 31 bytes are always value bytes (s is 32 bytes, 33 with a leading zero, rarely 31).
        const digest = createHash("sha256").update(parsed.signedContent).digest();
        const region = inDigest ? { start: buf.indexOf(digest), length: 32 } : { start: chuid.length - 2 - 31, length: 31 }; // 3E value ends with s, then FE 00
        expect(region.start).toBeGreaterThan(parsed.signedContent.length);
        const bad = Uint8Array.from(chuid);
        const at = region.start + (pick % region.length);
        bad[at] = (bad[at] as number) ^ xor;
        expect(await verifyChuidSignature(bad, signer.certificate)).toBe(false);
      }),
      params(25),
    );
  });

  // Regression: a length byte off inside the CMS (e.g. ContentInfo 82 03 xx → 82 02 xx) once escaped as a plain
  // RangeError from the DER reader. Anything but a DpclabError escaping is a bug (src/errors.ts). Exhaustive.
  it("a byte changed anywhere in the 3E signature yields true/false or a DpclabError, never another error", async () => {
    const chuid = await buildChuid(
      {
        fascn: parseFascnDigits("99990001000001010123456789119999"),
        guid: "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        expiration: new Date("2031-06-30T00:00:00Z"),
      },
      signer,
    );
    const parsed = parseChuid(chuid);
    const valueStart = chuid.length - 2 - parsed.signature.length; // 3E value, before the FE 00 EDC
    // Every tag and length byte of the CMS structure (its value bytes are what the other properties cover).
    const headerOffsets: number[] = [];
    const walk = (from: number, to: number) => {
      for (let at = from; at < to; ) {
        const { tag, value, end } = derRead(parsed.signature.subarray(0, to), at);
        const valueAt = end - value.length;
        for (let h = at; h < valueAt; h++) headerOffsets.push(h);
        if (tag & 0x20) walk(valueAt, end);
        at = end;
      }
    };
    walk(0, parsed.signature.length);
    expect(headerOffsets.length).toBeGreaterThan(50);
    const escaped: string[] = [];
    for (const at of headerOffsets.map((h) => valueStart + h)) {
      const bad = Uint8Array.from(chuid);
      bad[at] = (bad[at] as number) ^ 0x01;
      try {
        await verifyChuidSignature(bad, signer.certificate);
      } catch (e) {
        if (!(e instanceof DpclabError)) escaped.push(`offset ${at - valueStart}: ${(e as Error).name}: ${(e as Error).message}`);
      }
    }
    expect(escaped).toEqual([]);
  });
});

describe("BER-TLV properties", () => {
  // Valid BER tags as PIV uses them (73-4 Pt1 §3): one byte (low 5 bits not all ones), or a 1F-class first byte
  // followed by one byte < 0x80 or by a byte ≥ 0x80 and a last byte < 0x80.
  const oneByteTag = fc.integer({ min: 0, max: 0xff }).filter((t) => (t & 0x1f) !== 0x1f);
  const firstOfMany = fc.integer({ min: 0, max: 7 }).map((cls) => (cls << 5) | 0x1f);
  const twoByteTag = fc.tuple(firstOfMany, fc.integer({ min: 0, max: 0x7f })).map(([a, b]) => (a << 8) | b);
  const threeByteTag = fc
    .tuple(firstOfMany, fc.integer({ min: 0x80, max: 0xff }), fc.integer({ min: 0, max: 0x7f }))
    .map(([a, b, c]) => (a << 16) | (b << 8) | c);
  const tagArb = fc.oneof(oneByteTag, twoByteTag, threeByteTag, fc.constantFrom(0x53, 0x5c, 0x7e, 0x5fc102, 0x5fc105, 0x7f61));

  const filled = (min: number, max: number) =>
    fc.record({ n: fc.integer({ min, max }), b: fc.integer({ min: 0, max: 255 }) }).map(({ n, b }) => Uint8Array.from({ length: n }, (_, i) => (b + i) & 0xff));
  const valueArb = fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 140 }), weight: 4 }, // short form, and 0x80–0x8C (one length byte 81)
    { arbitrary: fc.integer({ min: 120, max: 300 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })), weight: 3 }, // across 127 and 255
    { arbitrary: filled(65_530, 65_545), weight: 1 }, // across 65535: 82 → 83
  );
  const itemsArb = fc.array(fc.tuple(tagArb, valueArb), { maxLength: 6 });

  const expectedLengthHeader = (n: number) =>
    n < 0x80 ? [n] : n <= 0xff ? [0x81, n] : n <= 0xffff ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const tagLength = (t: number) => (t > 0xffff ? 3 : t > 0xff ? 2 : 1);

  it("decodeTlvs(encodeTlvs(items)) gives back every tag and value, with the shortest length form", () => {
    fc.assert(
      fc.property(itemsArb, (items) => {
        const encoded = encodeTlvs(items);
        const decoded = decodeTlvs(encoded);
        expect(decoded.map((t) => t.tag)).toEqual(items.map(([t]) => t));
        let at = 0;
        items.forEach(([tag, value], i) => {
          const d = decoded[i]!;
          expect(Buffer.from(d.value).equals(Buffer.from(value))).toBe(true);
          expect(Buffer.from(d.raw).equals(Buffer.from(encodeTlv(tag, value)))).toBe(true);
          const header = [...encoded.subarray(at + tagLength(tag), at + tagLength(tag) + expectedLengthHeader(value.length).length)];
          expect(header).toEqual(expectedLengthHeader(value.length));
          at += d.raw.length;
        });
        expect(at).toBe(encoded.length);
      }),
      params(150),
    );
  });

  it("nested TLVs round-trip (a 53 envelope around a run of elements)", () => {
    fc.assert(
      fc.property(itemsArb, (items) => {
        const inner = encodeTlvs(items);
        const outer = decodeTlvs(encodeTlv(0x53, inner));
        expect(outer).toHaveLength(1);
        expect(outer[0]?.tag).toBe(0x53);
        expect(decodeTlvs(outer[0]!.value).map((t) => t.tag)).toEqual(items.map(([t]) => t));
      }),
      params(100),
    );
  });

  it("a truncated encoding is refused with a DpclabError, never read past its end", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(tagArb, valueArb), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 300 }), (items, cut) => {
        const encoded = encodeTlvs(items);
        const lastRaw = encodeTlv(...(items.at(-1) as [number, Uint8Array]));
        // Cut 1..len(last element)-1 bytes off the end: the last element is always left incomplete.
        const drop = 1 + ((cut - 1) % (lastRaw.length - 1));
        expectDpclabError(() => decodeTlvs(encoded.subarray(0, encoded.length - drop)), "bad-tlv");
      }),
      params(150),
    );
  });

  // Regression: encodeTlv once wrote tag numbers that are not BER tag encodings (0x1F, 0x5F81, 0x0101), whose bytes
  // then decoded as something else.
  it("encodeTlv refuses a tag number that is not a BER tag encoding instead of writing bytes that decode differently", () => {
    for (const tag of [0x1f, 0x3f, 0x0101, 0x5f81, 0x7f]) {
      let decoded: number[] | undefined;
      try {
        decoded = decodeTlvs(encodeTlv(tag, Uint8Array.of(1, 2, 3))).map((t) => t.tag);
      } catch (e) {
        if (e instanceof RangeError && /tag/.test(e.message)) continue; // refused at encode time: fine
        decoded = undefined;
      }
      expect(decoded, `tag 0x${tag.toString(16)}`).toEqual([tag]);
    }
  });
});
