import { beforeAll, describe, expect, it } from "vitest";
import { DpclabError } from "../../src/errors.js";
import { type CardCertificateSlot, certsOnlyP7c, createCrl, issueCardCertificate, issueContentSigningCertificate, OIDS } from "../../src/pki/index.js";
import type { X509Certificate } from "../../src/x509.js";
import { CARD_UUID, DAY, FASCN, makePki, newSpki, openssl, opensslText, T0, type TestPki, tempDir, writeCrlPem, writeDer, writePem } from "./helpers.js";

const cardExpiry = new Date(T0.getTime() + 5 * 365 * DAY - 17_000); // whole second, not a round day
const cardholder = { commonName: "Jane Q. TEST Public", email: "jane.public@agency.test", organization: "DPCLAB TEST Agency" };

async function issueAll(pki: TestPki, alg: "p256" | "p384" | "rsa2048" = "p256") {
  const out = {} as Record<CardCertificateSlot, X509Certificate>;
  for (const slot of ["9A", "9C", "9D", "9E"] as const) {
    out[slot] = await issueCardCertificate(pki.issuing, {
      slot,
      publicKey: await newSpki(alg),
      cardholder,
      fascn: FASCN,
      cardUuid: CARD_UUID,
      notBefore: T0,
      notAfter: cardExpiry,
      cardExpiry,
      hardwareKey: true,
    });
  }
  return out;
}

// openssl verify checks validity against the real clock; T0 is near "now", and -attime pins it anyway.
const AT = String(Math.floor((T0.getTime() + DAY) / 1000));

describe("PIV card certificates (P-256)", () => {
  let pki: TestPki;
  let certs: Record<CardCertificateSlot, X509Certificate>;
  let dir: string;
  beforeAll(async () => {
    pki = await makePki("p256");
    certs = await issueAll(pki);
    dir = tempDir();
    writePem(dir, "root.pem", pki.root.certificate);
    writePem(dir, "issuing.pem", pki.issuing.certificate);
    for (const [slot, c] of Object.entries(certs)) writePem(dir, `${slot}.pem`, c);
  });

  it("openssl verify accepts each card certificate through the issuing CA", () => {
    for (const slot of ["9A", "9C", "9D", "9E"]) {
      const r = openssl(["verify", "-attime", AT, "-CAfile", `${dir}/root.pem`, "-untrusted", `${dir}/issuing.pem`, `${dir}/${slot}.pem`]);
      expect(r.out, slot).toContain(": OK");
      expect(r.status).toBe(0);
    }
  });

  it("9A carries the PIV Authentication profile (policy .13, KU, SAN FASC-N + UUID, AIA, CDP, AKI, SKI)", () => {
    const text = opensslText(`${dir}/9A.pem`);
    expect(text).toContain("Policy: 2.16.840.1.101.3.2.1.3.13");
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\s*\n/);
    expect(text).toMatch(/othername:\s*2\.16\.840\.1\.101\.3\.6\.6::|2\.16\.840\.1\.101\.3\.6\.6/);
    expect(text).toContain(`URI:urn:uuid:${CARD_UUID}`);
    expect(text).toContain("CA Issuers - URI:http://127.0.0.1:1/aia/piv.p7c");
    expect(text).toContain("OCSP - URI:http://127.0.0.1:1/ocsp/piv");
    expect(text).toMatch(/CRL Distribution Points:\s+Full Name:\s+URI:http:\/\/127\.0\.0\.1:1\/crl\/piv\.crl/);
    expect(text).toContain("X509v3 Authority Key Identifier");
    expect(text).toContain("X509v3 Subject Key Identifier");
    expect(text).toContain("TLS Web Client Authentication");
    expect(text).toContain("Subject: C = US, O = U.S. Government, OU = DPCLAB TEST Agency, CN = Jane Q. TEST Public");
    expect(certs["9A"].notAfter.getTime()).toBe(cardExpiry.getTime());
    // AKI of the leaf is the issuing CA's SKI
    const aki = /Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1];
    const caSki = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(opensslText(`${dir}/issuing.pem`))?.[1];
    expect(aki).toBeDefined();
    expect(aki).toBe(caSki);
  });

  it("the FASC-N otherName is an OCTET STRING of the 25 bytes", () => {
    const der = Buffer.from(certs["9A"].rawData).toString("hex");
    // OID 2.16.840.1.101.3.6.6, [0] EXPLICIT, OCTET STRING (25)
    expect(der).toContain(`06086086480165030606a01b0419${Buffer.from(FASCN).toString("hex")}`);
  });

  it("9E: policy .17, critical EKU id-PIV-cardAuth, no cardholder name, serialNumber = UUID", () => {
    const text = opensslText(`${dir}/9E.pem`);
    expect(text).toContain("Policy: 2.16.840.1.101.3.2.1.3.17");
    expect(text).toMatch(/Extended Key Usage: critical\s+2\.16\.840\.1\.101\.3\.6\.8/);
    expect(text).toContain(`serialNumber = ${CARD_UUID}`);
    expect(text).not.toContain("Jane");
    expect(text).toContain(`URI:urn:uuid:${CARD_UUID}`);
    expect(certs["9E"].notAfter.getTime()).toBe(cardExpiry.getTime());
  });

  it("9C: hardware policy, digitalSignature + nonRepudiation, email SAN; 9D: keyAgreement for EC", () => {
    const c = opensslText(`${dir}/9C.pem`);
    expect(c).toContain("Policy: 2.16.840.1.101.3.2.1.3.7");
    expect(c).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(c).toContain("email:jane.public@agency.test");
    expect(c).toContain("E-mail Protection");
    const d = opensslText(`${dir}/9D.pem`);
    expect(d).toContain("Policy: 2.16.840.1.101.3.2.1.3.7");
    expect(d).toMatch(/Key Usage: critical\s+Key Agreement/);
    expect(d).toContain("email:jane.public@agency.test");
  });

  it("CRL: verify -crl_check passes, then fails with 'certificate revoked' after revocation", async () => {
    const crl0 = await createCrl(pki.issuing, { entries: [], thisUpdate: T0, nextUpdate: new Date(T0.getTime() + 2 * DAY), crlNumber: 1 });
    const rootCrl = await createCrl(pki.root, { entries: [], thisUpdate: T0, nextUpdate: new Date(T0.getTime() + 2 * DAY), crlNumber: 1 });
    writeCrlPem(dir, "crl0.pem", crl0);
    writeCrlPem(dir, "rootcrl.pem", rootCrl);
    const base = ["verify", "-attime", AT, "-CAfile", `${dir}/root.pem`, "-untrusted", `${dir}/issuing.pem`];
    let r = openssl([...base, "-crl_check", "-CRLfile", `${dir}/crl0.pem`, `${dir}/9A.pem`]);
    expect(r.out).toContain(": OK");
    r = openssl([...base, "-crl_check_all", "-CRLfile", `${dir}/crl0.pem`, "-CRLfile", `${dir}/rootcrl.pem`, `${dir}/9A.pem`]);
    expect(r.out).toContain(": OK");

    const crl1 = await createCrl(pki.issuing, {
      entries: [{ serialNumber: certs["9A"].serialNumber, revokedAt: T0, reason: "keyCompromise" }],
      thisUpdate: new Date(T0.getTime() + 1000),
      nextUpdate: new Date(T0.getTime() + 2 * DAY),
      crlNumber: 2,
    });
    writeCrlPem(dir, "crl1.pem", crl1);
    r = openssl([...base, "-crl_check", "-CRLfile", `${dir}/crl1.pem`, `${dir}/9A.pem`]);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain("certificate revoked");
    const text = openssl(["crl", "-in", `${dir}/crl1.pem`, "-noout", "-text"]).out;
    expect(text).toContain("Version 2");
    expect(text).toContain("X509v3 CRL Number");
    expect(text).toContain("X509v3 Authority Key Identifier");
    expect(text).toContain("Key Compromise");
    // the 9E certificate is not on the list
    r = openssl([...base, "-crl_check", "-CRLfile", `${dir}/crl1.pem`, `${dir}/9E.pem`]);
    expect(r.out).toContain(": OK");
  });

  it("the caIssuers .p7c is readable by openssl pkcs7", () => {
    const p = writeDer(dir, "piv.p7c", certsOnlyP7c([pki.issuing.certificate]));
    const r = openssl(["pkcs7", "-inform", "DER", "-in", p, "-print_certs", "-noout"]);
    expect(r.status).toBe(0);
    expect(r.out).toContain("DPCLAB TEST PIV CA");
  });

  it("the subordinate CA certificate is a CA with policies, AIA and CDP from the root's publication", () => {
    const text = opensslText(`${dir}/issuing.pem`);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toContain("Policy: 2.16.840.1.101.3.2.1.3.13");
    expect(text).toContain("CA Issuers - URI:http://127.0.0.1:1/aia/root.p7c");
    expect(text).toContain("URI:http://127.0.0.1:1/crl/root.crl");
  });

  it("content-signing certificate: policy .39, EKU id-PIV-content-signing, KU digitalSignature", async () => {
    const cert = await issueContentSigningCertificate(pki.issuing, {
      publicKey: await newSpki(),
      commonName: "DPCLAB TEST PIV Content Signer",
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 900 * DAY),
    });
    const p = writePem(dir, "cs.pem", cert);
    const text = opensslText(p);
    expect(text).toContain("Policy: 2.16.840.1.101.3.2.1.3.39");
    expect(text).toContain("2.16.840.1.101.3.6.7");
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature\s*\n/);
  });

  it("refuses a certificate that outlives the card or a FASC-N that is not 25 bytes", async () => {
    const base = { slot: "9A" as const, publicKey: await newSpki(), cardholder, fascn: FASCN, cardUuid: CARD_UUID, notBefore: T0 };
    await expect(issueCardCertificate(pki.issuing, { ...base, notAfter: new Date(cardExpiry.getTime() + 1000), cardExpiry })).rejects.toThrow(DpclabError);
    await expect(issueCardCertificate(pki.issuing, { ...base, fascn: FASCN.subarray(0, 24), notAfter: cardExpiry })).rejects.toThrow(/25 bytes/);
  });

  it("serial numbers are positive, ≤ 20 octets and unique", () => {
    const serials = Object.values(certs).map((c) => c.serialNumber);
    expect(new Set(serials).size).toBe(4);
    for (const s of serials) {
      expect(s.length).toBeLessThanOrEqual(40);
      expect(Number.parseInt(s.slice(0, 2), 16) & 0x80).toBe(0);
    }
    expect(OIDS.commonAuthentication).toBe("2.16.840.1.101.3.2.1.3.13");
  });
});

describe("other algorithms", () => {
  it("P-384 chain: ecdsa-with-SHA384 signatures that openssl accepts", async () => {
    const pki = await makePki("p384");
    const certs = await issueAll(pki, "p384");
    const dir = tempDir();
    writePem(dir, "root.pem", pki.root.certificate);
    writePem(dir, "issuing.pem", pki.issuing.certificate);
    writePem(dir, "9A.pem", certs["9A"]);
    const r = openssl(["verify", "-attime", AT, "-CAfile", `${dir}/root.pem`, "-untrusted", `${dir}/issuing.pem`, `${dir}/9A.pem`]);
    expect(r.out).toContain(": OK");
    expect(opensslText(`${dir}/9A.pem`)).toContain("ecdsa-with-SHA384");
  });

  it("RSA-2048 chain: sha256WithRSAEncryption, 9D gets keyEncipherment", async () => {
    const pki = await makePki("rsa2048");
    const dir = tempDir();
    writePem(dir, "root.pem", pki.root.certificate);
    writePem(dir, "issuing.pem", pki.issuing.certificate);
    const cert = await issueCardCertificate(pki.issuing, {
      slot: "9D",
      publicKey: await newSpki("rsa2048"),
      cardholder,
      fascn: FASCN,
      cardUuid: CARD_UUID,
      notBefore: T0,
      notAfter: cardExpiry,
    });
    writePem(dir, "9D.pem", cert);
    const r = openssl(["verify", "-attime", AT, "-CAfile", `${dir}/root.pem`, "-untrusted", `${dir}/issuing.pem`, `${dir}/9D.pem`]);
    expect(r.out).toContain(": OK");
    const text = opensslText(`${dir}/9D.pem`);
    expect(text).toContain("sha256WithRSAEncryption");
    expect(text).toMatch(/Key Usage: critical\s+Key Encipherment/);
  }, 120_000);
});
