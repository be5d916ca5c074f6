import { createPublicKey } from "node:crypto";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DpclabError } from "../../src/errors.js";
import { derivedKeyManagementRequest, derivedPivAuthRequest, derivedSigningRequest, issueDerivedPivAuthCertificate, OIDS } from "../../src/pki/index.js";
import { ExtendedKeyUsageExtension, KeyUsageFlags, KeyUsagesExtension, SubjectAlternativeNameExtension, X509Certificate } from "../../src/x509.js";
import { DAY, makePki, newSpki, openssl, opensslText, T0, type TestPki, tempDir, writePem } from "../pki/helpers.js";

// The Derived PIV Authentication certificate (docs/sp800-157.md §2, CERT-01…14) and the iOS S/MIME pair (DC-KEY-02/03),
// judged by `openssl x509 -text` and `openssl verify` against root + intermediate.

const dir = tempDir();
let pki: TestPki;
let rootPem: string;
let caPem: string;
const NOW = new Date(T0.getTime() + DAY);
const subscriber = { commonName: "SMITH.ALEX.TEST.0001", agency: "DPCLAB TEST Agency", email: "alex.smith.0001@agency.test" };

function write(name: string, der: Uint8Array): string {
  return writePem(dir, `${name}.pem`, new X509Certificate(der));
}

function verify(path: string, extra: string[] = []) {
  return openssl(["verify", "-CAfile", rootPem, "-untrusted", caPem, "-attime", String(Math.floor(NOW.getTime() / 1000) + 60), ...extra, path]);
}

beforeAll(async () => {
  pki = await makePki("p256");
  rootPem = writePem(dir, "root.pem", pki.root.certificate);
  caPem = writePem(dir, "ca.pem", pki.issuing.certificate);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("derived PIV Authentication certificate (CERT-01…CERT-14)", () => {
  for (const [keystore, policy] of [
    ["software", OIDS.commonDerivedPivAuth],
    ["hardware", OIDS.commonDerivedPivAuthHardware],
  ] as const) {
    it(`${keystore} keystore → policy ${policy}; openssl sees the profile and verifies the chain`, async () => {
      const { der, serialNumber, uuid } = await issueDerivedPivAuthCertificate(pki.issuing, {
        publicKey: await newSpki("p256"),
        subscriber,
        keystore,
        notBefore: NOW,
      });
      const path = write(`pivauth-${keystore}`, der);
      const text = opensslText(path);
      expect(text).toContain(`Policy: ${policy}`);
      expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
      // CERT-03a: id-pkinit-KPClientAuth beside clientAuth; CERT-09: piv-interim present (openssl does not name it).
      expect(text).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Client Authentication, PKINIT Client Auth\n/);
      expect(text).toMatch(/2\.16\.840\.1\.101\.3\.6\.9\.1: \n\s+\.\.\.\n/);
      expect(text).toContain(`URI:urn:uuid:${uuid}`);
      expect(text).toMatch(/CA Issuers - URI:http:\/\/\S+\.p7c/);
      expect(text).toMatch(/OCSP - URI:http:\/\//);
      expect(text).toMatch(/X509v3 CRL Distribution Points:[\s\S]*URI:http:\/\/\S+\.crl/);
      expect(text).toContain("X509v3 Subject Key Identifier");
      expect(text).toContain("X509v3 Authority Key Identifier");
      expect(text).toContain("Subject: C = US, O = U.S. Government, OU = DPCLAB TEST Agency, CN = SMITH.ALEX.TEST.0001");
      expect(text).not.toMatch(/E-mail Protection|TLS Web Server|Code Signing|CA:TRUE/);
      expect(text.toLowerCase()).toContain(serialNumber.replace(/(..)(?!$)/g, "$1:"));
      const v = verify(path);
      expect(v.out).toContain(": OK");
      // and as a relying party that requires the derived policy explicitly
      expect(verify(path, ["-policy", policy, "-explicit_policy"]).out).toContain(": OK");
      expect(verify(path, ["-policy", OIDS.pivAuthentication, "-explicit_policy"]).out).not.toContain(": OK");
    });
  }

  it("a fresh urn:uuid per certificate (CERT-04), validity 365 days by default, ≤1096 days (DC-LIFE-02)", async () => {
    const publicKey = await newSpki();
    const a = derivedPivAuthRequest({ publicKey, subscriber, keystore: "software", notBefore: NOW });
    const b = derivedPivAuthRequest({ publicKey, subscriber, keystore: "software", notBefore: NOW });
    expect(a.uuid).not.toBe(b.uuid);
    expect(a.request.notAfter.getTime() - NOW.getTime()).toBe(365 * DAY);
    const max = derivedPivAuthRequest({ publicKey, subscriber, keystore: "software", notBefore: NOW, validityDays: 1096 });
    expect(max.request.notAfter.getTime() - NOW.getTime()).toBe(1096 * DAY);
    for (const days of [1097, 0, -1, 1.5, Number.NaN]) {
      expect(() => derivedPivAuthRequest({ publicKey, subscriber, keystore: "software", notBefore: NOW, validityDays: days })).toThrow(DpclabError);
    }
  });

  it("optional smartcardLogon / pkinit EKUs sit beside clientAuth, non-critical (CERT-03)", async () => {
    const { der } = await issueDerivedPivAuthCertificate(pki.issuing, {
      publicKey: await newSpki(),
      subscriber,
      keystore: "hardware",
      notBefore: NOW,
      extraKeyPurposes: ["smartcardLogon", "pkinitClientAuth"],
      pivInterim: false,
    });
    const cert = new X509Certificate(der);
    const eku = cert.getExtension(ExtendedKeyUsageExtension);
    expect(eku?.critical).toBe(false);
    expect(eku?.usages).toEqual([OIDS.clientAuth, OIDS.smartcardLogon, OIDS.pkinitClientAuth]);
    expect(cert.getExtension(OIDS.pivInterim)).toBeTruthy();
  });
});

describe("iOS S/MIME certificates (DC-KEY-02, DC-KEY-03)", () => {
  it("signing: digitalSignature + nonRepudiation, emailProtection, rfc822Name, common-policy .6 / -hardware .7", async () => {
    for (const [keystore, policy] of [
      ["software", OIDS.commonPolicy],
      ["hardware", OIDS.commonHardware],
    ] as const) {
      const cert = await pki.issuing.issue(derivedSigningRequest({ publicKey: await newSpki(), subscriber, keystore, notBefore: NOW }));
      const path = writePem(dir, `sign-${keystore}.pem`, cert);
      const text = opensslText(path);
      expect(text).toContain(`Policy: ${policy}`);
      expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation\n/);
      expect(text).toContain("E-mail Protection");
      expect(text).toContain(`email:${subscriber.email}`);
      expect(verify(path, ["-purpose", "smimesign"]).out).toContain(": OK");
    }
  });

  it("key management: keyAgreement for EC, keyEncipherment for RSA; emailProtection, rfc822Name", async () => {
    const ec = await pki.issuing.issue(derivedKeyManagementRequest({ publicKey: await newSpki("p256"), subscriber, keystore: "software", notBefore: NOW }));
    expect(ec.getExtension(KeyUsagesExtension)?.usages).toBe(KeyUsageFlags.keyAgreement);
    const rsa = await pki.issuing.issue(derivedKeyManagementRequest({ publicKey: await newSpki("rsa2048"), subscriber, keystore: "software", notBefore: NOW }));
    expect(rsa.getExtension(KeyUsagesExtension)?.usages).toBe(KeyUsageFlags.keyEncipherment);
    for (const cert of [ec, rsa]) {
      expect(cert.getExtension(ExtendedKeyUsageExtension)?.usages).toEqual([OIDS.emailProtection]);
      expect(cert.getExtension(SubjectAlternativeNameExtension)?.names.toJSON()).toEqual([{ type: "email", value: subscriber.email }]);
      const path = writePem(dir, `km-${cert.serialNumber}.pem`, cert);
      expect(opensslText(path)).toContain(`Policy: ${OIDS.commonPolicy}`);
      // OpenSSL's smimeencrypt purpose insists on keyEncipherment, which an EC key-agreement key rightly lacks.
      expect(verify(path, cert === rsa ? ["-purpose", "smimeencrypt"] : []).out).toContain(": OK");
      expect(createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: "der", type: "spki" })).toBeTruthy();
    }
  });

  it("refuses an S/MIME certificate without an e-mail address, and a subject without CN/agency", async () => {
    const publicKey = await newSpki();
    expect(() => derivedSigningRequest({ publicKey, subscriber: { ...subscriber, email: "" }, keystore: "software", notBefore: NOW })).toThrow(/e-mail/);
    expect(() => derivedPivAuthRequest({ publicKey, subscriber: { commonName: "", agency: "x" }, keystore: "software", notBefore: NOW })).toThrow(/CERT-11/);
  });
});
