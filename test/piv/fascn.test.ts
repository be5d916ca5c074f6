import { describe, expect, it } from "vitest";
import { decodeFascn, encodeFascn, type FascN, formatFascn, parseFascnDigits } from "../../src/piv/index.js";

// The non-federal-issuer FASC-N written by yubico-piv-tool / ykman into every default CHUID
// (agency 9999, system 9999, credential 999999, CS 0, ICI 1, PI 0000000000, OC 3, OI 0000, POA 1).
const PUBLISHED = "d4e739da739ced39ce739d836858210842108421c84210c3eb";
const published: FascN = parseFascnDigits("99999999999999010000000000300001");

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("FASC-N", () => {
  it("encodes the published test vector to its 25 bytes", () => {
    expect(hex(encodeFascn(published))).toBe(PUBLISHED);
    expect(decodeFascn(Buffer.from(PUBLISHED, "hex"))).toEqual(published);
    expect(formatFascn(published)).toBe("99999999999999010000000000300001");
  });

  it("round-trips arbitrary digits", () => {
    const f = parseFascnDigits("70990123456789120123456789112341");
    const bytes = encodeFascn(f);
    expect(bytes).toHaveLength(25);
    expect(decodeFascn(bytes)).toEqual(f);
  });

  it("rejects a flipped bit (parity) and a wrong LRC", () => {
    const bytes = encodeFascn(published);
    for (let bit = 0; bit < 200; bit += 7) {
      const bad = Uint8Array.from(bytes);
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (0x80 >> (bit & 7));
      expect(() => decodeFascn(bad)).toThrow(/parity/);
    }
    // Swap the LRC for another character with valid parity: only the LRC check can catch it.
    const badLrc = Uint8Array.from(bytes);
    badLrc[24] = ((badLrc[24] as number) & 0xe0) | 0b00001; // "0" (00001)
    expect(() => decodeFascn(badLrc)).toThrow(/LRC/);
    expect(() => decodeFascn(bytes.subarray(0, 24))).toThrow(/25 bytes/);
  });

  it("refuses fields of the wrong length", () => {
    expect(() => encodeFascn({ ...published, agencyCode: "99" })).toThrow(/agencyCode must be exactly 4 digits/);
  });
});
