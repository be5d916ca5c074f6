import { describe, expect, it } from "vitest";
import { derOid, derTlv } from "../../src/der.js";
import { comparableName, namesMatch, nameWithinSubtree } from "../../src/pki/name-compare.js";

const utf8 = (s: string) => derTlv(0x0c, new TextEncoder().encode(s));
const printable = (s: string) => derTlv(0x13, new TextEncoder().encode(s));
const bmp = (s: string) => derTlv(0x1e, Uint8Array.from([...s].flatMap((c) => [c.charCodeAt(0) >> 8, c.charCodeAt(0) & 0xff])));
const atv = (oid: string, value: Uint8Array) => derTlv(0x30, derOid(oid), value);
const rdn = (...atvs: Uint8Array[]) => derTlv(0x31, ...atvs);
const dn = (...rdns: Uint8Array[]) => derTlv(0x30, ...rdns);
const C = "2.5.4.6";
const O = "2.5.4.10";
const CN = "2.5.4.3";

describe("RFC 5280 §7.1 name comparison", () => {
  const base = dn(rdn(atv(C, printable("US"))), rdn(atv(O, printable("DPCLAB TEST"))), rdn(atv(CN, printable("Issuing CA"))));

  it("exact DER matches", () => {
    expect(namesMatch(base, base.slice())).toBe(true);
  });

  it("ignores case, leading/trailing and repeated inner spaces (PKITS 4.3.3–4.3.5)", () => {
    const odd = dn(rdn(atv(C, printable("us"))), rdn(atv(O, printable("  dpclab   test "))), rdn(atv(CN, printable("ISSUING  CA"))));
    expect(namesMatch(base, odd)).toBe(true);
  });

  it("a PrintableString and a UTF8String (or BMPString) of the same text match (PKITS 4.3.10, 4.3.11)", () => {
    expect(namesMatch(base, dn(rdn(atv(C, printable("US"))), rdn(atv(O, utf8("dpclab test"))), rdn(atv(CN, bmp("Issuing CA")))))).toBe(true);
  });

  it("different text, different attribute types, or another RDN order do not match (PKITS 4.3.1, 4.3.2)", () => {
    expect(namesMatch(base, dn(rdn(atv(C, printable("US"))), rdn(atv(O, printable("DPCLAB TEST"))), rdn(atv(CN, printable("Issuing CA2")))))).toBe(false);
    expect(namesMatch(base, dn(rdn(atv(C, printable("US"))), rdn(atv("2.5.4.11", printable("DPCLAB TEST"))), rdn(atv(CN, printable("Issuing CA")))))).toBe(
      false,
    );
    expect(namesMatch(base, dn(rdn(atv(O, printable("DPCLAB TEST"))), rdn(atv(C, printable("US"))), rdn(atv(CN, printable("Issuing CA")))))).toBe(false);
  });

  it("the attributes of a multi-valued RDN are a set", () => {
    const a = dn(rdn(atv(O, printable("X")), atv(CN, printable("Y"))));
    const b = dn(rdn(atv(CN, utf8("y")), atv(O, printable("x"))));
    expect(namesMatch(a, b)).toBe(true);
  });

  it("values of non-string types compare as DER", () => {
    const a = dn(rdn(atv("2.5.4.45", derTlv(0x03, Uint8Array.of(0, 1)))));
    expect(namesMatch(a, dn(rdn(atv("2.5.4.45", derTlv(0x03, Uint8Array.of(0, 1))))))).toBe(true);
    expect(namesMatch(a, dn(rdn(atv("2.5.4.45", derTlv(0x03, Uint8Array.of(0, 2))))))).toBe(false);
  });

  it("subtrees are RDN prefixes; emailAddress values are collected", () => {
    const subtree = comparableName(dn(rdn(atv(C, printable("US"))), rdn(atv(O, utf8("dpclab test")))));
    expect(nameWithinSubtree(comparableName(base), subtree)).toBe(true);
    expect(nameWithinSubtree(subtree, comparableName(base))).toBe(false);
    const withEmail = comparableName(
      dn(rdn(atv(CN, printable("Pat"))), rdn(atv("1.2.840.113549.1.9.1", derTlv(0x16, new TextEncoder().encode("pat@agency.test"))))),
    );
    expect(withEmail.emails).toEqual(["pat@agency.test"]);
  });

  it("a malformed name never matches (and is not a crash)", () => {
    expect(namesMatch(base, Uint8Array.of(0x30, 0x03, 0x31, 0x01, 0x00))).toBe(false);
    expect(() => comparableName(Uint8Array.of(0x31, 0x00))).toThrow();
  });
});
