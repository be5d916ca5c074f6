import { describe, expect, it } from "vitest";
import { DpclabError } from "../../src/errors.js";
import {
  CertificateAuthority,
  issueCardCertificate,
  normalizeSerialHex,
  parseRevocationReason,
  revocationReasonCode,
  revocationReasonFromCode,
  validatePath,
} from "../../src/pki/index.js";
import { CARD_UUID, DAY, FASCN, makePki, newSpki, openssl, T0, tempDir, writePem } from "./helpers.js";

const cardholder = { commonName: "Lee TEST Park", email: "lee@agency.test", organization: "DPCLAB TEST Agency" };

describe("CertificateAuthority", () => {
  it("exports and loads (PKCS#8) and keeps issuing certificates that chain", async () => {
    const pki = await makePki("p256");
    const exported = pki.issuing.export();
    expect(exported.privateKeyPem).toContain("-----BEGIN PRIVATE KEY-----");
    expect(exported.publication?.ocspUrl).toContain("/ocsp/piv");
    const loaded = CertificateAuthority.load(exported);
    expect(Buffer.from(loaded.keyId).equals(Buffer.from(pki.issuing.keyId))).toBe(true);
    const leaf = await issueCardCertificate(loaded, {
      slot: "9A",
      publicKey: await newSpki(),
      cardholder,
      fascn: FASCN,
      cardUuid: CARD_UUID,
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 100 * DAY),
    });
    const r = await validatePath({ leaf, intermediates: [pki.issuing.certificate], trustAnchors: [pki.root.certificate], at: new Date(T0.getTime() + DAY) });
    expect(r.ok).toBe(true);
  });

  it("refuses a key that does not match the certificate, and CA names without TEST", async () => {
    const a = await makePki("p256");
    const b = await makePki("p256");
    expect(() => CertificateAuthority.load({ ...a.issuing.export(), privateKeyPem: b.issuing.export().privateKeyPem })).toThrow(DpclabError);
    await expect(
      CertificateAuthority.createRoot({ commonName: "C=US,O=Agency,CN=Production Root", notBefore: T0, notAfter: new Date(T0.getTime() + DAY) }),
    ).rejects.toThrow(/TEST/);
  });

  it("takes a caller's serial number and refuses non-http publication URLs", async () => {
    const pki = await makePki("p256");
    const cert = await pki.issuing.issue({
      subject: "C=US,CN=TEST serial",
      publicKey: await newSpki(),
      notBefore: T0,
      notAfter: new Date(T0.getTime() + DAY),
      extensions: [],
      serialNumber: "0abc",
    });
    expect(cert.serialNumber.toLowerCase()).toBe("0abc");
    expect(normalizeSerialHex("00ABC")).toBe("0abc");
    expect(normalizeSerialHex("80")).toBe("0080");
    await expect(
      pki.root.createSubordinate({
        commonName: "DPCLAB TEST Bad CA",
        notBefore: T0,
        notAfter: new Date(T0.getTime() + DAY),
        publication: { caIssuersUrl: "https://x.test/a.p7c", ocspUrl: "http://x.test/ocsp", crlUrl: "http://x.test/a.crl" },
      }),
    ).rejects.toThrow(/http/);
  });

  it("RSA-3072 root (one small test: key generation is slow)", async () => {
    const root = await CertificateAuthority.createRoot({
      commonName: "DPCLAB TEST RSA-3072 Root",
      alg: "rsa3072",
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 3650 * DAY),
    });
    const leaf = await issueCardCertificate(root, {
      slot: "9C",
      publicKey: await newSpki(),
      cardholder,
      fascn: FASCN,
      cardUuid: CARD_UUID,
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 100 * DAY),
    });
    const dir = tempDir();
    writePem(dir, "root.pem", root.certificate);
    writePem(dir, "leaf.pem", leaf);
    const r = openssl(["verify", "-CAfile", `${dir}/root.pem`, `${dir}/leaf.pem`]);
    expect(r.out).toContain(": OK");
    expect(openssl(["x509", "-in", `${dir}/root.pem`, "-noout", "-text"]).out).toContain("Public-Key: (3072 bit)");
  }, 120_000);
});

describe("revocation reasons", () => {
  it("maps RFC 5280 names and codes both ways and explains bad input", () => {
    expect(revocationReasonCode("keyCompromise")).toBe(1);
    expect(revocationReasonCode("aACompromise")).toBe(10);
    expect(revocationReasonFromCode(8)).toBe("removeFromCRL");
    expect(parseRevocationReason("key-compromise")).toBe("keyCompromise");
    expect(parseRevocationReason("Superseded")).toBe("superseded");
    expect(() => revocationReasonFromCode(7)).toThrow(DpclabError);
    expect(() => parseRevocationReason("stolen")).toThrow(/unspecified, keyCompromise, .*aACompromise/);
  });
});
