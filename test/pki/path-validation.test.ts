import { beforeAll, describe, expect, it } from "vitest";
import { crypto } from "../../src/pki/crypto.js";
import {
  CertificateAuthority,
  type CertStatus,
  createCrl,
  createHttpRevocationChecker,
  exportSpki,
  generateKeyPair,
  issueCardCertificate,
  OIDS,
  type RevocationChecker,
  respondToOcsp,
  toPem,
  validatePath,
} from "../../src/pki/index.js";
import type { X509Certificate } from "../../src/x509.js";
import { BasicConstraintsExtension, X509Certificate as Cert, type Extension, KeyUsageFlags, KeyUsagesExtension } from "../../src/x509.js";
import { CARD_UUID, DAY, FASCN, makePki, newSpki, T0, type TestPki } from "./helpers.js";

const AT = new Date(T0.getTime() + 10 * DAY);
const cardholder = { commonName: "Pat TEST Smith", email: "pat@agency.test", organization: "DPCLAB TEST Agency" };

async function card(ca: CertificateAuthority, slot: "9A" | "9E" = "9A", notAfter = new Date(T0.getTime() + 365 * DAY)) {
  return issueCardCertificate(ca, { slot, publicKey: await newSpki(), cardholder, fascn: FASCN, cardUuid: CARD_UUID, notBefore: T0, notAfter });
}

/** A CA whose certificate `parent` issues with exactly the given extensions (to build broken chains). */
async function oddCa(parent: CertificateAuthority, subject: string, ext: Extension[]) {
  const pair = await generateKeyPair("p256");
  const cert = await parent.issue({
    subject,
    publicKey: await exportSpki(pair.publicKey),
    notBefore: T0,
    notAfter: new Date(T0.getTime() + 900 * DAY),
    extensions: ext,
  });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", pair.privateKey);
  return CertificateAuthority.load({ certificatePem: cert.toString("pem"), privateKeyPem: toPem(pkcs8, "PRIVATE KEY"), alg: "p256" });
}

const CA_EXT = () => [new BasicConstraintsExtension(true, undefined, true), new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true)];

describe("validatePath", () => {
  let pki: TestPki;
  let leaf: X509Certificate;
  const base = () => ({ leaf, intermediates: [pki.issuing.certificate], trustAnchors: [pki.root.certificate], at: AT });

  beforeAll(async () => {
    pki = await makePki("p256", "http://pki.test");
    leaf = await card(pki.issuing);
  });

  it("accepts leaf → issuing CA → root, with the PIV Authentication policy and digitalSignature", async () => {
    const r = await validatePath({ ...base(), requiredPolicyOids: [OIDS.commonAuthentication], leafKeyUsage: ["digitalSignature"] });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.path.map((c) => c.subject)).toEqual([leaf.subject, pki.issuing.certificate.subject, pki.root.certificate.subject]);
  });

  it("no-path: the issuing CA is missing", async () => {
    const r = await validatePath({ ...base(), intermediates: [] });
    expect(r).toMatchObject({ ok: false, reason: "no-path" });
  });

  it("untrusted-root: the chain ends at a root that is not an anchor", async () => {
    const other = await makePki("p256");
    const r = await validatePath({ ...base(), intermediates: [pki.issuing.certificate, pki.root.certificate], trustAnchors: [other.root.certificate] });
    expect(r).toMatchObject({ ok: false, reason: "untrusted-root" });
  });

  it("signature-invalid: a tampered signature", async () => {
    const der = new Uint8Array(leaf.rawData).slice(); // a copy: rawData is the certificate's own buffer
    der[der.length - 1]! ^= 0x01;
    const r = await validatePath({ ...base(), leaf: new Cert(der) });
    expect(r).toMatchObject({ ok: false, reason: "signature-invalid" });
  });

  it("expired / not-yet-valid", async () => {
    expect(await validatePath({ ...base(), at: new Date(T0.getTime() + 400 * DAY) })).toMatchObject({ ok: false, reason: "expired" });
    expect(await validatePath({ ...base(), at: new Date(T0.getTime() - 1000) })).toMatchObject({ ok: false, reason: "not-yet-valid" });
  });

  it("name-chaining: the leaf's AKI is the issuing CA's key but its issuer name is another", async () => {
    const exported = pki.issuing.export();
    const renamedCert = await pki.root.issue({
      subject: "C=US,O=DPCLAB TEST,CN=DPCLAB TEST Renamed CA",
      publicKey: new Uint8Array(pki.issuing.certificate.publicKey.rawData),
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 900 * DAY),
      extensions: CA_EXT(),
    });
    const renamed = CertificateAuthority.load({ ...exported, certificatePem: renamedCert.toString("pem") });
    const r = await validatePath({ ...base(), leaf: await card(renamed) });
    expect(r).toMatchObject({ ok: false, reason: "name-chaining" });
  });

  it("not-a-ca: an issuer without basicConstraints cA", async () => {
    const notCa = await oddCa(pki.root, "C=US,O=DPCLAB TEST,CN=DPCLAB TEST Not A CA", [new KeyUsagesExtension(KeyUsageFlags.keyCertSign, true)]);
    const r = await validatePath({ ...base(), leaf: await card(notCa), intermediates: [notCa.certificate] });
    expect(r).toMatchObject({ ok: false, reason: "not-a-ca" });
  });

  it("key-usage: an issuer without keyCertSign, or a leaf without the required usage", async () => {
    const noSign = await oddCa(pki.root, "C=US,O=DPCLAB TEST,CN=DPCLAB TEST No CertSign CA", [
      new BasicConstraintsExtension(true, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.cRLSign, true),
    ]);
    expect(await validatePath({ ...base(), leaf: await card(noSign), intermediates: [noSign.certificate] })).toMatchObject({ ok: false, reason: "key-usage" });
    expect(await validatePath({ ...base(), leafKeyUsage: ["keyAgreement"] })).toMatchObject({ ok: false, reason: "key-usage" });
  });

  it("policy: the leaf lacks the policy, or a CA in the path does not allow it", async () => {
    expect(await validatePath({ ...base(), requiredPolicyOids: [OIDS.commonDerivedPivAuth] })).toMatchObject({ ok: false, reason: "policy" });
    const narrow = await pki.root.createSubordinate({
      commonName: "DPCLAB TEST Narrow CA",
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 900 * DAY),
      policies: [OIDS.commonPolicy],
    });
    const r = await validatePath({ ...base(), leaf: await card(narrow), intermediates: [narrow.certificate], requiredPolicyOids: [OIDS.commonAuthentication] });
    expect(r).toMatchObject({ ok: false, reason: "policy" });
    const any = await pki.root.createSubordinate({
      commonName: "DPCLAB TEST AnyPolicy CA",
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 900 * DAY),
      policies: [OIDS.anyPolicy],
    });
    const ok = await validatePath({ ...base(), leaf: await card(any), intermediates: [any.certificate], requiredPolicyOids: [OIDS.commonAuthentication] });
    expect(ok.ok).toBe(true);
  });

  it("revoked / revocation-unavailable from a RevocationChecker, checked for every non-anchor certificate", async () => {
    const seen: string[] = [];
    const checker = (leafStatus: CertStatus | { error: string }): RevocationChecker => ({
      async check(cert) {
        seen.push(cert.subject);
        if (cert.serialNumber !== leaf.serialNumber) return { status: { status: "good" }, source: "ocsp" };
        return "error" in leafStatus ? leafStatus : { status: leafStatus, source: "crl" };
      },
    });
    const revoked = await validatePath({ ...base(), revocation: checker({ status: "revoked", revokedAt: T0, reason: "keyCompromise" }) });
    expect(revoked).toMatchObject({ ok: false, reason: "revoked" });
    expect(seen).toEqual([leaf.subject, pki.issuing.certificate.subject]);
    expect(await validatePath({ ...base(), revocation: checker({ error: "responder down" }) })).toMatchObject({ ok: false, reason: "revocation-unavailable" });
    const good = await validatePath({ ...base(), revocation: checker({ status: "good" }) });
    expect(good).toMatchObject({ ok: true, revocation: { source: "crl" } });
  });
});

describe("createHttpRevocationChecker", () => {
  let pki: TestPki;
  let leaf: X509Certificate;
  const revoked = new Map<string, CertStatus>();
  const calls: string[] = [];
  let ocspDown = false;
  let crlDown = false;

  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    calls.push(`${init?.method ?? "GET"} ${url}`);
    const status = (serial: string) => revoked.get(serial) ?? { status: "good" as const };
    const ca = url.includes("/piv") ? pki.issuing : pki.root;
    if (url.includes("/ocsp/")) {
      if (ocspDown) throw new TypeError("fetch failed: ECONNREFUSED");
      expect(new Headers(init?.headers).get("content-type")).toBe("application/ocsp-request");
      const body = new Uint8Array(init?.body as Uint8Array);
      return new Response(await respondToOcsp(body, { ca, status }, AT), { headers: { "content-type": "application/ocsp-response" } });
    }
    if (url.includes("/crl/")) {
      if (crlDown) return new Response("nope", { status: 503 });
      const entries = [...revoked]
        .filter(([s]) => (ca === pki.issuing ? s === leaf.serialNumber.toLowerCase() : false))
        .map(([serialNumber, st]) => ({ serialNumber, revokedAt: (st as { revokedAt: Date }).revokedAt, reason: "keyCompromise" as const }));
      return new Response(await createCrl(ca, { entries, thisUpdate: T0, nextUpdate: new Date(AT.getTime() + DAY), crlNumber: 1 }));
    }
    return new Response("not found", { status: 404 });
  }) as typeof fetch;

  beforeAll(async () => {
    pki = await makePki("p256", "http://pki.test");
    leaf = await card(pki.issuing, "9E");
  });
  const input = () => ({ leaf, intermediates: [pki.issuing.certificate], trustAnchors: [pki.root.certificate], at: AT });

  it("uses OCSP at the AIA URL when it answers", async () => {
    calls.length = 0;
    const r = await validatePath({ ...input(), revocation: createHttpRevocationChecker(fetchFn) });
    expect(r).toMatchObject({ ok: true, revocation: { source: "ocsp" } });
    expect(calls).toContain("POST http://pki.test/ocsp/piv");
    expect(calls).toContain("POST http://pki.test/ocsp/root");
  });

  it("falls back to the CRL when OCSP fails, and sees a revocation there", async () => {
    ocspDown = true;
    try {
      calls.length = 0;
      const checker = createHttpRevocationChecker(fetchFn);
      const r = await validatePath({ ...input(), revocation: checker });
      expect(r).toMatchObject({ ok: true, revocation: { source: "crl" } });
      expect(calls).toContain("GET http://pki.test/crl/piv.crl");
      revoked.set(leaf.serialNumber.toLowerCase(), { status: "revoked", revokedAt: T0, reason: "keyCompromise" });
      const r2 = await validatePath({ ...input(), revocation: createHttpRevocationChecker(fetchFn) });
      expect(r2).toMatchObject({ ok: false, reason: "revoked" });
      if (!r2.ok) expect(r2.detail).toContain("CRL");
    } finally {
      ocspDown = false;
      revoked.clear();
    }
  });

  it("reports revoked from OCSP", async () => {
    revoked.set(leaf.serialNumber.toLowerCase(), { status: "revoked", revokedAt: T0, reason: "cessationOfOperation" });
    try {
      const r = await validatePath({ ...input(), revocation: createHttpRevocationChecker(fetchFn) });
      expect(r).toMatchObject({ ok: false, reason: "revoked" });
      if (!r.ok) expect(r.detail).toMatch(/cessationOfOperation.*OCSP/);
    } finally {
      revoked.clear();
    }
  });

  it("revocation-unavailable when both OCSP and the CRL fail, or the CRL is stale", async () => {
    ocspDown = true;
    crlDown = true;
    try {
      const r = await validatePath({ ...input(), revocation: createHttpRevocationChecker(fetchFn) });
      expect(r).toMatchObject({ ok: false, reason: "revocation-unavailable" });
      crlDown = false;
      const stale = await validatePath({ ...input(), at: new Date(AT.getTime() + 2 * DAY), revocation: createHttpRevocationChecker(fetchFn) });
      expect(stale).toMatchObject({ ok: false, reason: "revocation-unavailable" });
      if (!stale.ok) expect(stale.detail).toContain("stale");
    } finally {
      ocspDown = false;
      crlDown = false;
    }
  });

  it("rejects a CRL signed by someone else", async () => {
    const other = await makePki("p256");
    const forged = (async (input: string | URL | Request) => {
      const url = String(input);
      if (url.includes("/ocsp/")) throw new TypeError("down");
      return new Response(await createCrl(other.issuing, { entries: [], thisUpdate: T0, nextUpdate: new Date(AT.getTime() + DAY), crlNumber: 1 }));
    }) as typeof fetch;
    const r = await validatePath({ ...input(), revocation: createHttpRevocationChecker(forged) });
    expect(r).toMatchObject({ ok: false, reason: "revocation-unavailable" });
    if (!r.ok) expect(r.detail).toMatch(/issuer|signature/);
  });
});
