import { describe, expect, it } from "vitest";
import { derTlv } from "../../src/der.js";
import { CertificateFacts, OIDS, type RevocationChecker, type RevocationContext, validatePath } from "../../src/pki/index.js";
import { DAY, T0 } from "./helpers.js";
import {
  basicConstraints,
  C,
  CN,
  gn,
  HandPki,
  KU_CA,
  KU_EE,
  keyUsage,
  mint,
  name,
  nameConstraints,
  newKey,
  O,
  policies,
  policyConstraints,
  subjectAltName,
} from "./path-validation-certs.js";

const AT = new Date(T0.getTime() + DAY);
const END = new Date(T0.getTime() + 365 * DAY);
const pki = new HandPki(T0, END);
const UNKNOWN = "1.3.6.1.4.1.55555.9.9";
const unknownExt = (critical: boolean) => ({ oid: UNKNOWN, critical, value: Uint8Array.of(0x05, 0x00) });

async function path(leaf: { der: Uint8Array }, cas: { der: Uint8Array }[], anchors: { der: Uint8Array }[] = [pki.root], extra: object = {}) {
  return validatePath({ leaf: leaf.der, intermediates: cas.map((c) => c.der), trustAnchors: anchors.map((a) => a.der), at: AT, ...extra });
}

describe("unknown critical extensions (§6.1.4(o), §4.2)", () => {
  it("a critical extension the validator does not process fails, naming the OID — in a CA or in the leaf (PKITS 4.16.2)", async () => {
    const ca = pki.ca(pki.root, "Crit CA", [unknownExt(true)]);
    const r = await path(pki.leaf(ca, "leaf"), [ca]);
    expect(r).toMatchObject({ ok: false, reason: "unknown-critical-extension" });
    if (!r.ok) expect(r.detail).toContain(UNKNOWN);
    const plain = pki.ca(pki.root, "Plain CA");
    expect(await path(pki.leaf(plain, "leaf", [KU_EE(), unknownExt(true)]), [plain])).toMatchObject({ ok: false, reason: "unknown-critical-extension" });
  });

  it("the same extension non-critical is ignored (PKITS 4.16.1)", async () => {
    const ca = pki.ca(pki.root, "NonCrit CA", [unknownExt(false)]);
    expect((await path(pki.leaf(ca, "leaf", [KU_EE(), unknownExt(false)]), [ca])).ok).toBe(true);
  });
});

describe("trust anchors (§6.1.1(d))", () => {
  it("the anchor is name + key: its own signature is not checked", async () => {
    const key = newKey();
    const n = name([C, "US"], [O, "DPCLAB TEST"], [CN, "Odd Anchor"]);
    const anchor = {
      der: mint({ subject: n, key, signer: newKey(), notBefore: T0, notAfter: END, extensions: [basicConstraints(true), KU_CA()] }),
      name: n,
      key,
    };
    expect((await path(pki.leaf(anchor, "leaf"), [], [anchor])).ok).toBe(true);
  });

  it("an anchor with a critical extension it does not process fails; an unrelated such anchor does not matter (limbo unknown-critical-extension-root)", async () => {
    const odd = new HandPki(T0, END, [basicConstraints(true), KU_CA(), unknownExt(true)]);
    const r = await path(odd.leaf(odd.root, "leaf"), [], [odd.root]);
    expect(r).toMatchObject({ ok: false, reason: "unknown-critical-extension" });
    if (!r.ok) expect(r.detail).toContain("trust anchor");
    expect((await path(pki.leaf(pki.root, "leaf"), [], [odd.root, pki.root])).ok).toBe(true);
  });

  it("an anchor's nameConstraints bound the path (RFC 5937 §2, limbo rfc5280::nc); its critical SKI or AKI is refused", async () => {
    const constrained = new HandPki(T0, END, [basicConstraints(true), KU_CA(), nameConstraints([gn.dns("agency.test")])]);
    const inside = constrained.leaf(constrained.root, "host", [KU_EE(), subjectAltName(gn.dns("www.agency.test"))]);
    const outside = constrained.leaf(constrained.root, "host", [KU_EE(), subjectAltName(gn.dns("www.elsewhere.test"))]);
    expect((await path(inside, [], [constrained.root])).ok).toBe(true);
    expect(await path(outside, [], [constrained.root])).toMatchObject({ ok: false, reason: "name-constraints" });
    const key = newKey();
    const n = name([C, "US"], [O, "DPCLAB TEST"], [CN, "Crit SKI Anchor"]);
    const critSki = { oid: OIDS.subjectKeyIdentifier, critical: true, value: derTlv(0x04, key.keyId) };
    const anchor = { der: mint({ subject: n, key, notBefore: T0, notAfter: END, extensions: [basicConstraints(true), KU_CA(), critSki] }), name: n, key };
    expect(await path(pki.leaf(anchor, "leaf"), [], [anchor])).toMatchObject({ ok: false, reason: "invalid-certificate" });
  });

  it("a v3 anchor without basicConstraints cA, or with keyUsage lacking keyCertSign, is refused (x509-limbo root-missing-basic-constraints)", async () => {
    const noBc = new HandPki(T0, END, [KU_CA()]);
    expect(await path(noBc.leaf(noBc.root, "leaf"), [], [noBc.root])).toMatchObject({ ok: false, reason: "not-a-ca" });
    const noCertSign = new HandPki(T0, END, [basicConstraints(true), keyUsage(6)]);
    expect(await path(noCertSign.leaf(noCertSign.root, "leaf"), [], [noCertSign.root])).toMatchObject({ ok: false, reason: "key-usage" });
  });

  it("a v1 anchor (no extensions possible) is accepted as name + key", async () => {
    const key = newKey();
    const n = name([C, "US"], [O, "DPCLAB TEST"], [CN, "V1 Anchor"]);
    const anchor = { der: mint({ subject: n, key, notBefore: T0, notAfter: END, v1: true }), name: n, key };
    expect(CertificateFacts.fromDer(anchor.der).version).toBe(1);
    expect((await path(pki.leaf(anchor, "leaf"), [], [anchor])).ok).toBe(true);
  });

  it("an anchor outside its validity at `at` is refused", async () => {
    expect(
      await validatePath({ leaf: pki.leaf(pki.root, "leaf").der, intermediates: [], trustAnchors: [pki.root.der], at: new Date(END.getTime() + DAY) }),
    ).toMatchObject({
      ok: false,
      reason: "expired",
    });
  });
});

describe("path building with backtracking", () => {
  it("two intermediates sharing a name and key: the first (expired) fails, the second is tried", async () => {
    const key = newKey();
    const n = name([C, "US"], [O, "DPCLAB TEST"], [CN, "Twin CA"]);
    const spec = { subject: n, issuer: pki.root.name, key, signer: pki.root.key, extensions: [basicConstraints(true), KU_CA()] };
    const expired = { der: mint({ ...spec, serial: Uint8Array.of(7), notBefore: new Date(T0.getTime() - 10 * DAY), notAfter: new Date(T0.getTime() - DAY) }) };
    const current = { der: mint({ ...spec, serial: Uint8Array.of(8), notBefore: T0, notAfter: END }) };
    const leaf = pki.leaf({ der: current.der, name: n, key }, "leaf");
    const r = await path(leaf, [expired, current]);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.path[1]?.serialHex).toBe("08");
    // Only the expired one: the failure is the expired certificate's.
    expect(await path(leaf, [expired])).toMatchObject({ ok: false, reason: "expired" });
  });

  it("a cross-certificate path: the first issuer leads to an untrusted root, the second to the anchor", async () => {
    const other = new HandPki(T0, END);
    const key = newKey();
    const n = name([C, "US"], [O, "DPCLAB TEST"], [CN, "Bridged CA"]);
    const viaOther = pki.ca(other.root, n, [], { key, noAki: true });
    const viaRoot = pki.ca(pki.root, n, [], { key, noAki: true });
    const leaf = pki.leaf(viaRoot, "leaf");
    const r = await path(leaf, [viaOther, other.root, viaRoot]);
    expect(r.ok).toBe(true);
  });

  it("a pool of many same-name candidates ends within its bounds with a clear reason", async () => {
    const n = name([C, "US"], [O, "DPCLAB TEST"], [CN, "Loop CA"]);
    const keys = Array.from({ length: 6 }, () => newKey());
    // Every key certifies every other under the same name: a graph of loops, none reaching the anchor.
    const pool: { der: Uint8Array }[] = [];
    for (const a of keys)
      for (const b of keys)
        if (a !== b)
          pool.push({
            der: mint({ subject: n, issuer: n, key: a, signer: b, notBefore: T0, notAfter: END, noAki: true, extensions: [basicConstraints(true), KU_CA()] }),
          });
    const leaf = pki.leaf({ der: pool[0]!.der, name: n, key: keys[0]! }, "leaf", [KU_EE()], { noAki: true });
    const r = await path(leaf, pool);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(["no-path", "untrusted-root"]).toContain(r.reason);
  });
});

describe("RFC 5280 §4 encodings refused (x509-limbo)", () => {
  const ca = pki.ca(pki.root, "Limbo CA");
  const leafWith = (opts: Parameters<HandPki["leaf"]>[3], exts = [KU_EE()]) => pki.leaf(ca, "leaf", exts, opts);

  it("a zero serial, a serial over 20 octets", async () => {
    expect(await path(leafWith({ serial: Uint8Array.of(0) }), [ca])).toMatchObject({ ok: false, reason: "invalid-certificate" });
    expect(await path(leafWith({ serial: new Uint8Array(21).fill(0x11) }), [ca])).toMatchObject({ ok: false, reason: "invalid-certificate" });
    expect((await path(leafWith({ serial: Uint8Array.from([0, ...new Uint8Array(20).fill(0x81)]) }), [ca])).ok).toBe(true); // 20 octets + sign octet
  });

  it("a negative serial: refused by the strict profile only (§4.1.2.2: users SHOULD handle it gracefully)", async () => {
    const leaf = leafWith({ serial: Uint8Array.of(0x85, 0x01) });
    expect((await path(leaf, [ca])).ok).toBe(true);
    expect(await path(leaf, [ca], [pki.root], { strict: true })).toMatchObject({ ok: false, reason: "invalid-certificate" });
  });

  it("a critical SKI in the path; a leaf with an empty subject and no critical subjectAltName", async () => {
    const critSki = { oid: OIDS.subjectKeyIdentifier, critical: true, value: derTlv(0x04, Uint8Array.of(1, 2, 3)) };
    expect(await path(leafWith({}, [KU_EE(), critSki]), [ca])).toMatchObject({ ok: false, reason: "invalid-certificate" });
    const anon = (exts: ReturnType<typeof KU_EE>[]) => pki.leaf(ca, derTlv(0x30), exts);
    expect(await path(anon([KU_EE(), subjectAltName(gn.email("pat@agency.test"))]), [ca])).toMatchObject({ ok: false, reason: "invalid-certificate" });
    expect((await path(anon([KU_EE(), { ...subjectAltName(gn.email("pat@agency.test")), critical: true }]), [ca])).ok).toBe(true);
  });

  it("a CA with a non-critical basicConstraints: refused by the strict profile only (PKITS 4.6.4 expects it valid)", async () => {
    const soft = pki.ca(pki.root, "Soft BC CA", [{ ...basicConstraints(true), critical: false }]);
    const leaf = pki.leaf(soft, "leaf");
    expect((await path(leaf, [soft])).ok).toBe(true);
    expect(await path(leaf, [soft], [pki.root], { strict: true })).toMatchObject({ ok: false, reason: "invalid-certificate" });
  });

  it("an empty extendedKeyUsage, certificatePolicies or subjectAltName (SIZE (1..MAX); limbo ee-eku-empty)", async () => {
    for (const oid of [OIDS.extKeyUsage, OIDS.certificatePolicies, OIDS.subjectAltName]) {
      const r = await path(leafWith({}, [KU_EE(), { oid, value: derTlv(0x30) }]), [ca]);
      expect(r, oid).toMatchObject({ ok: false, reason: "invalid-certificate" });
    }
  });

  it("a critical AKI", async () => {
    const aki = { oid: OIDS.authorityKeyIdentifier, critical: true, value: derTlv(0x30, derTlv(0x80, ca.key.keyId)) };
    expect(await path(leafWith({}, [KU_EE(), aki]), [ca])).toMatchObject({ ok: false, reason: "invalid-certificate" });
  });

  it("a leaf with keyCertSign that is not a CA", async () => {
    const r = await path(leafWith({}, [keyUsage(0, 5)]), [ca]);
    expect(r).toMatchObject({ ok: false, reason: "invalid-certificate" });
    if (!r.ok) expect(r.detail).toContain("keyCertSign");
  });

  it("a CA in the path without basicConstraints cA (with keyCertSign: inconsistent)", async () => {
    const notCa = pki.ca(pki.root, "Not CA", [keyUsage(5, 6), basicConstraints(false)]);
    expect(await path(pki.leaf(notCa, "leaf"), [notCa])).toMatchObject({ ok: false, reason: "not-a-ca" });
  });

  it("a CA with an empty subject (so an empty issuer below it)", async () => {
    const empty = derTlv(0x30);
    const key = newKey();
    const emptyCa = {
      der: mint({
        subject: empty,
        issuer: pki.root.name,
        key,
        signer: pki.root.key,
        notBefore: T0,
        notAfter: END,
        extensions: [basicConstraints(true), KU_CA()],
      }),
      name: empty,
      key,
    };
    // The leaf's issuer is empty too, but the CA is judged first (anchor to leaf).
    const r = await path(pki.leaf(emptyCa, "leaf"), [emptyCa]);
    expect(r).toMatchObject({ ok: false, reason: "invalid-certificate" });
    if (!r.ok) expect(r.detail).toContain("empty subject");
  });

  it("a non-critical policyConstraints: refused by the strict profile only (PKITS 4.8.6 expects it valid)", async () => {
    const soft = pki.ca(pki.root, "Soft PC CA", [policies(OIDS.anyPolicy), policyConstraints({ requireExplicitPolicy: 5 }, false)]);
    const leaf = pki.leaf(soft, "leaf", [KU_EE(), policies(OIDS.anyPolicy)]);
    expect((await path(leaf, [soft])).ok).toBe(true);
    expect(await path(leaf, [soft], [pki.root], { strict: true })).toMatchObject({ ok: false, reason: "invalid-certificate" });
  });

  it("no AKI in a certificate that is not self-issued: refused by the strict profile only", async () => {
    const leaf = leafWith({ noAki: true });
    expect((await path(leaf, [ca])).ok).toBe(true);
    const r = await path(leaf, [ca], [pki.root], { strict: true });
    expect(r).toMatchObject({ ok: false, reason: "invalid-certificate" });
    if (!r.ok) expect(r.detail).toContain("authorityKeyIdentifier");
  });

  it("a DSA signature algorithm is refused as unsupported-algorithm, before any signature check", async () => {
    const der = leafWith({ signatureAlgorithm: OIDS.dsaWithSHA256 }).der;
    const r = await path({ der }, [ca]);
    expect(r).toMatchObject({ ok: false, reason: "unsupported-algorithm" });
  });

  it("a malformed certificate is an answer (invalid-certificate), not a throw", async () => {
    expect(await path({ der: Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01) }, [ca])).toMatchObject({ ok: false, reason: "invalid-certificate" });
  });
});

describe("revocation in the result", () => {
  const ca = pki.ca(pki.root, "Rev CA");
  const leaf = pki.leaf(ca, "leaf");

  it("without a checker the result says revocation was not checked", async () => {
    const r = await path(leaf, [ca]);
    expect(r).toMatchObject({ ok: true, revocation: { checked: false } });
    if (r.ok && !r.revocation.checked) expect(r.revocation.reason).toMatch(/no revocation checker/);
  });

  it("the checker gets the context: the path, every certificate given, the anchors, and a bounded validate()", async () => {
    const contexts: RevocationContext[] = [];
    let nested = 0;
    const checker: RevocationChecker = {
      async check(cert, _issuer, _at, context) {
        if (context) contexts.push(context);
        // Validate the leaf's issuer as if it had signed a CRL: recursion goes through this checker again.
        if (context && cert.subjectHex === CertificateFacts.fromDer(leaf.der).subjectHex) {
          const v = await context.validate(CertificateFacts.fromDer(ca.der));
          if (v.ok) nested++;
        }
        return { status: { status: "good" }, source: "crl" };
      },
    };
    const r = await path(leaf, [ca], [pki.root], { revocation: checker });
    expect(r).toMatchObject({ ok: true, revocation: { checked: true, source: "crl" } });
    expect(nested).toBe(1);
    const top = contexts[0] as RevocationContext;
    expect(top.path.map((c) => c.subject)).toEqual([leaf, ca, pki.root].map((n) => CertificateFacts.fromDer(n.der).subject));
    expect(top.certificates).toHaveLength(2);
    expect(top.trustAnchors).toHaveLength(1);
  });

  it("a checker that validates CRL signers without end is stopped after two nested validations", async () => {
    let depth = 0;
    const checker: RevocationChecker = {
      async check(cert, _issuer, _at, context) {
        if (!context) return { error: "no context" };
        depth++;
        const v = await context.validate(cert);
        return v.ok ? { status: { status: "good" }, source: "crl" } : { error: `signer: ${v.detail}` };
      },
    };
    const r = await path(leaf, [ca], [pki.root], { revocation: checker });
    expect(r).toMatchObject({ ok: false, reason: "revocation-unavailable" });
    if (!r.ok) expect(r.detail).toMatch(/more than 2 levels/);
    expect(depth).toBeLessThan(20);
  });
});
