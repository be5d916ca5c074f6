import { DpclabError } from "../errors.js";

/**
 * FASC-N, the Federal Agency Smart Credential Number (PIV TIG; CHUID tag 30, 73-4 Table 9). All fields are
 * digit strings so leading zeros survive.
 */
export interface FascN {
  agencyCode: string; // 4
  systemCode: string; // 4
  credentialNumber: string; // 6
  credentialSeries: string; // 1
  individualCredentialIssue: string; // 1
  personIdentifier: string; // 10
  organizationalCategory: string; // 1
  organizationalIdentifier: string; // 4
  personOrganizationAssociation: string; // 1 (person/organization association category)
}

const FIELDS: [keyof FascN, number][] = [
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

// 4-bit values of the control characters (their 5-bit codes with parity: SS 11010, FS 10110, ES 11111).
const SS = 0xb;
const FS = 0xd;
const ES = 0xf;

/** SS a FS s FS c FS cs FS ici FS pi oc oi poa ES LRC — 40 characters of 5 bits = 25 bytes. */
function characters(f: FascN): number[] {
  const d = (k: keyof FascN) => [...f[k]].map(Number);
  const body = [
    SS,
    ...d("agencyCode"),
    FS,
    ...d("systemCode"),
    FS,
    ...d("credentialNumber"),
    FS,
    ...d("credentialSeries"),
    FS,
    ...d("individualCredentialIssue"),
    FS,
    ...d("personIdentifier"),
    ...d("organizationalCategory"),
    ...d("organizationalIdentifier"),
    ...d("personOrganizationAssociation"),
    ES,
  ];
  return [...body, body.reduce((a, c) => a ^ c, 0)]; // LRC: XOR of the data bits of every character before it
}

/** Data bits LSB first, then an odd parity bit. */
function fiveBits(v: number): number[] {
  const bits = [v & 1, (v >> 1) & 1, (v >> 2) & 1, (v >> 3) & 1];
  const ones = bits.reduce((a, b) => a + b, 0);
  return [...bits, ones % 2 === 0 ? 1 : 0];
}

export function validateFascn(f: FascN): void {
  for (const [k, n] of FIELDS) {
    const v = f[k];
    if (typeof v !== "string" || v.length !== n || !/^\d+$/.test(v)) {
      throw new DpclabError(`FASC-N ${k} must be exactly ${n} digit${n > 1 ? "s" : ""} (got "${v}")`, "bad-fascn");
    }
  }
}

export function encodeFascn(f: FascN): Uint8Array {
  validateFascn(f);
  const bits = characters(f).flatMap(fiveBits);
  const out = new Uint8Array(25);
  bits.forEach((bit, i) => {
    if (bit) out[i >> 3] = (out[i >> 3] as number) | (0x80 >> (i & 7));
  });
  return out;
}

/** Decodes 25 bytes, checking every character's parity, the sentinels, separators and the LRC. */
export function decodeFascn(bytes: Uint8Array): FascN {
  if (bytes.length !== 25) throw new DpclabError(`a FASC-N is 25 bytes (got ${bytes.length})`, "bad-fascn");
  const bit = (i: number) => (((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1) as number;
  const chars: number[] = [];
  for (let c = 0; c < 40; c++) {
    const b = [0, 1, 2, 3, 4].map((j) => bit(c * 5 + j));
    const ones = b.reduce((a, x) => a + x, 0);
    if (ones % 2 !== 1) throw new DpclabError(`FASC-N character ${c + 1} fails its odd parity check`, "bad-fascn");
    chars.push((b[0] as number) | ((b[1] as number) << 1) | ((b[2] as number) << 2) | ((b[3] as number) << 3));
  }
  const expect = (at: number, v: number, what: string) => {
    if (chars[at] !== v) throw new DpclabError(`FASC-N character ${at + 1} should be the ${what}`, "bad-fascn");
  };
  expect(0, SS, "start sentinel");
  for (const at of [5, 10, 17, 19, 21]) expect(at, FS, "field separator");
  expect(38, ES, "end sentinel");
  const lrc = chars.slice(0, 39).reduce((a, c) => a ^ c, 0);
  if (chars[39] !== lrc) throw new DpclabError("FASC-N LRC does not match its characters", "bad-fascn");
  const digits = (from: number, n: number) => {
    const s = chars.slice(from, from + n);
    if (s.some((d) => d > 9)) throw new DpclabError("FASC-N field holds a non-digit character", "bad-fascn");
    return s.join("");
  };
  return {
    agencyCode: digits(1, 4),
    systemCode: digits(6, 4),
    credentialNumber: digits(11, 6),
    credentialSeries: digits(18, 1),
    individualCredentialIssue: digits(20, 1),
    personIdentifier: digits(22, 10),
    organizationalCategory: digits(32, 1),
    organizationalIdentifier: digits(33, 4),
    personOrganizationAssociation: digits(37, 1),
  };
}

/** The 32 digits as commonly printed (agency … association category, no separators). */
export function formatFascn(f: FascN): string {
  validateFascn(f);
  return FIELDS.map(([k]) => f[k]).join("");
}

/** Parses the 32-digit form back into fields. */
export function parseFascnDigits(digits: string): FascN {
  if (!/^\d{32}$/.test(digits)) throw new DpclabError(`a printed FASC-N is 32 digits (got "${digits}")`, "bad-fascn");
  let at = 0;
  const f = {} as FascN;
  for (const [k, n] of FIELDS) {
    f[k] = digits.slice(at, at + n);
    at += n;
  }
  return f;
}
