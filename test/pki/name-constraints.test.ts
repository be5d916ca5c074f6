import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toPem, validatePath } from "../../src/pki/index.js";
import { DAY, openssl, T0, tempDir } from "./helpers.js";
import { C, CN, EMAIL, gn, HandPki, KU_EE, name, nameConstraints, O, OU, subjectAltName } from "./path-validation-certs.js";

const AT = new Date(T0.getTime() + DAY);
const pki = new HandPki(T0, new Date(T0.getTime() + 365 * DAY));
const ou = (unit: string, cn: string) => name([C, "US"], [O, "DPCLAB TEST"], [OU, unit], [CN, cn]);
const permittedDn = name([C, "US"], [O, "DPCLAB TEST"], [OU, "Permitted"]);

/** Validates leaf → ca → root; also asks OpenSSL (the independent judge) when `judge` is set. */
async function check(ca: { der: Uint8Array }, leaf: { der: Uint8Array }, judge = false) {
  const r = await validatePath({ leaf: leaf.der, intermediates: [ca.der], trustAnchors: [pki.root.der], at: AT });
  if (judge) {
    const dir = tempDir();
    const file = (n: string, der: Uint8Array) => {
      const p = join(dir, n);
      writeFileSync(p, toPem(der, "CERTIFICATE"));
      return p;
    };
    const v = openssl([
      "verify",
      "-x509_strict",
      "-attime",
      String(Math.floor(AT.getTime() / 1000)),
      "-CAfile",
      file("root.pem", pki.root.der),
      "-untrusted",
      file("ca.pem", ca.der),
      file("leaf.pem", leaf.der),
    ]);
    expect(v.status === 0, `OpenSSL disagrees: ${v.out}`).toBe(r.ok);
  }
  return r;
}

describe("name constraints (RFC 5280 §4.2.1.10, §6.1.3(b)(c), §6.1.4(g))", () => {
  it("directoryName: permitted subtree (RDN prefix, §7.1 comparison); outside it fails", async () => {
    const ca = pki.ca(pki.root, "DN CA", [nameConstraints([gn.dir(permittedDn)])]);
    expect((await check(ca, pki.leaf(ca, ou("permitted", "Pat")), true)).ok).toBe(true); // case-folded
    expect(await check(ca, pki.leaf(ca, ou("Other", "Pat")), true)).toMatchObject({ ok: false, reason: "name-constraints" });
  });

  it("directoryName: excluded subtree; a directoryName in subjectAltName is checked too", async () => {
    const ca = pki.ca(pki.root, "DN Excl CA", [nameConstraints([], [gn.dir(permittedDn)])]);
    expect(await check(ca, pki.leaf(ca, ou("Permitted", "Pat")), true)).toMatchObject({ ok: false, reason: "name-constraints" });
    expect((await check(ca, pki.leaf(ca, ou("Elsewhere", "Pat")))).ok).toBe(true);
    const viaSan = pki.leaf(ca, ou("Elsewhere", "Pat"), [KU_EE(), subjectAltName(gn.dir(ou("Permitted", "Pat")))]);
    expect(await check(ca, viaSan, true)).toMatchObject({ ok: false, reason: "name-constraints" });
  });

  it("rfc822Name: host, .domain and mailbox forms; the emailAddress in the subject DN is constrained too", async () => {
    const ca = pki.ca(pki.root, "Mail CA", [nameConstraints([gn.email("agency.test"), gn.email(".sub.test"), gn.email("one@other.test")])]);
    const withMail = (addr: string) => pki.leaf(ca, "Pat", [KU_EE(), subjectAltName(gn.email(addr))]);
    expect((await check(ca, withMail("pat@agency.test"), true)).ok).toBe(true);
    expect((await check(ca, withMail("pat@x.sub.test"), true)).ok).toBe(true);
    expect((await check(ca, withMail("one@other.test"), true)).ok).toBe(true);
    expect(await check(ca, withMail("pat@x.agency.test"), true)).toMatchObject({ ok: false, reason: "name-constraints" });
    expect(await check(ca, withMail("pat@sub.test"), true)).toMatchObject({ ok: false, reason: "name-constraints" });
    expect(await check(ca, withMail("two@other.test"), true)).toMatchObject({ ok: false, reason: "name-constraints" });
    const dnMail = pki.leaf(ca, name([C, "US"], [CN, "Pat"], [EMAIL, "pat@elsewhere.test"]));
    expect(await check(ca, dnMail)).toMatchObject({ ok: false, reason: "name-constraints" });
  });

  it("dNSName: the name and its subdomains, on label boundaries; excluded wins", async () => {
    const ca = pki.ca(pki.root, "DNS CA", [nameConstraints([gn.dns("agency.test")], [gn.dns("bad.agency.test")])]);
    const withDns = (d: string) => pki.leaf(ca, "host", [KU_EE(), subjectAltName(gn.dns(d))]);
    expect((await check(ca, withDns("agency.test"), true)).ok).toBe(true);
    expect((await check(ca, withDns("www.AGENCY.test"), true)).ok).toBe(true);
    expect(await check(ca, withDns("evilagency.test"), true)).toMatchObject({ ok: false, reason: "name-constraints" });
    expect(await check(ca, withDns("x.bad.agency.test"), true)).toMatchObject({ ok: false, reason: "name-constraints" });
  });

  it("uniformResourceIdentifier: the host; .domain is subdomains only; a URI without a host is outside", async () => {
    const ca = pki.ca(pki.root, "URI CA", [nameConstraints([gn.uri(".agency.test"), gn.uri("exact.test")])]);
    const withUri = (u: string) => pki.leaf(ca, "svc", [KU_EE(), subjectAltName(gn.uri(u))]);
    expect((await check(ca, withUri("https://user@www.agency.test:8443/path"))).ok).toBe(true);
    expect((await check(ca, withUri("http://exact.test/"))).ok).toBe(true);
    expect(await check(ca, withUri("http://agency.test/"))).toMatchObject({ ok: false, reason: "name-constraints" });
    expect(await check(ca, withUri("urn:uuid:3c9a1d64-0b5e-4f2a-9c1e-7d2b8a6f4e10"))).toMatchObject({ ok: false, reason: "name-constraints" });
  });

  it("iPAddress: address and mask", async () => {
    const ca = pki.ca(pki.root, "IP CA", [nameConstraints([derTlvIp([10, 1, 0, 0, 255, 255, 0, 0])])]);
    const withIp = (...o: number[]) => pki.leaf(ca, "node", [KU_EE(), subjectAltName(gn.ip(...o))]);
    expect((await check(ca, withIp(10, 1, 2, 3), true)).ok).toBe(true);
    expect(await check(ca, withIp(10, 2, 2, 3), true)).toMatchObject({ ok: false, reason: "name-constraints" });
  });

  it("a form the validator cannot process (otherName) fails when it is constrained, and only then", async () => {
    const ca = pki.ca(pki.root, "Other CA", [nameConstraints([gn.otherName("1.3.6.1.4.1.311.20.2.3")])]);
    const leaf = pki.leaf(ca, "Pat", [KU_EE(), subjectAltName(gn.otherName("1.3.6.1.4.1.311.20.2.3"))]);
    const r = await check(ca, leaf);
    expect(r).toMatchObject({ ok: false, reason: "name-constraints" });
    if (!r.ok) expect(r.detail).toContain("cannot be processed");
    const plain = pki.ca(pki.root, "Plain CA");
    expect((await check(plain, pki.leaf(plain, "Pat", [KU_EE(), subjectAltName(gn.otherName("1.3.6.1.4.1.311.20.2.3"))]))).ok).toBe(true);
  });

  it("too many names under too many subtrees is refused, not checked (bounded work; x509-limbo nc-dos)", async () => {
    const subtrees = Array.from({ length: 1000 }, (_, i) => gn.dns(`d${i}.agency.test`));
    const ca = pki.ca(pki.root, "Many NC CA", [nameConstraints(subtrees)]);
    const names = Array.from({ length: 300 }, (_, i) => gn.dns(`h${i}.d1.agency.test`));
    const r = await check(ca, pki.leaf(ca, "host", [KU_EE(), subjectAltName(...names)]));
    expect(r).toMatchObject({ ok: false, reason: "name-constraints" });
    if (!r.ok) expect(r.detail).toContain("comparisons");
    expect((await check(ca, pki.leaf(ca, "host", [KU_EE(), subjectAltName(...names.slice(0, 100))]))).ok).toBe(true);
  });

  it("constraints of every CA above apply together (intersection); a self-issued intermediate's subject is exempt", async () => {
    const top = pki.ca(pki.root, "Top NC CA", [nameConstraints([gn.dns("agency.test")])]);
    const mid = pki.ca(top, "Mid NC CA", [nameConstraints([gn.dns("other.test")])]);
    const leaf = pki.leaf(mid, "host", [KU_EE(), subjectAltName(gn.dns("www.agency.test"))]);
    const r = await validatePath({ leaf: leaf.der, intermediates: [top.der, mid.der], trustAnchors: [pki.root.der], at: AT });
    expect(r).toMatchObject({ ok: false, reason: "name-constraints" });

    // The CA's own name is outside the subtree it permits: its self-issued (rollover) certificate is exempt (§6.1.3(b)).
    const outsideName = name([C, "US"], [O, "DPCLAB TEST"], [CN, "Outside NC CA"]);
    const dnCa = pki.ca(pki.root, outsideName, [nameConstraints([gn.dir(permittedDn)])]);
    const rollover = pki.ca(dnCa, outsideName);
    const inside = pki.leaf(rollover, ou("Permitted", "Pat"));
    expect((await validatePath({ leaf: inside.der, intermediates: [dnCa.der, rollover.der], trustAnchors: [pki.root.der], at: AT })).ok).toBe(true);
    const outside = pki.leaf(rollover, ou("Outside", "Pat"));
    expect(await validatePath({ leaf: outside.der, intermediates: [dnCa.der, rollover.der], trustAnchors: [pki.root.der], at: AT })).toMatchObject({
      ok: false,
      reason: "name-constraints",
    });
  });
});

function derTlvIp(octets: number[]): Uint8Array {
  return Uint8Array.from([0x87, octets.length, ...octets]);
}
