import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import { beforeAll, describe, expect, it } from "vitest";
import { CERTIFICATE_CHECKS, conformanceExitCode, readCertificate, shallFailures, shouldFailures } from "../../src/conformance/index.js";
import { derName } from "../../src/der.js";
import { issueCardCertificate, OIDS } from "../../src/pki/index.js";
import {
  AuthorityInfoAccessExtension,
  BasicConstraintsExtension,
  CertificatePolicyExtension,
  CRLDistributionPointsExtension,
  ExtendedKeyUsageExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  RsaAlgorithm,
} from "../../src/x509.js";
import { CARD_UUID, DAY, FASCN, makePki, newSpki, publication, T0, type TestPki } from "../pki/helpers.js";
import { ecSpki, failingRules, faithful, judge, NOW, reshape, resign, rsaSpki, variant } from "./fixtures.js";

// The certificate suite against the repo's own derived certificates (which must pass every rule) and against variants
// that each break one row of docs/sp800-157.md §2: the matching rule fails and every other rule still passes.

const CERTIFICATE_RULES = [...new Set(CERTIFICATE_CHECKS.map((c) => c.rule))];
const CHAIN_TESTS = ["T-CERT-01-2", "T-CERT-07-2", "T-CERT-12-2"];

let pki: TestPki;
let chain: ReturnType<typeof chainOf>;
const chainOf = (p: TestPki) => [p.issuing.certificate, p.root.certificate];

beforeAll(async () => {
  pki = await makePki("p256");
  chain = chainOf(pki);
});

const san = (...names: asn1X509.GeneralName[]) => new Extension(OIDS.subjectAltName, false, AsnConvert.serialize(new asn1X509.SubjectAlternativeName(names)));
const uri = (u: string) => new asn1X509.GeneralName({ uniformResourceIdentifier: u });
const aia = (entries: [string, string][]) =>
  new Extension(
    OIDS.authorityInfoAccess,
    false,
    AsnConvert.serialize(
      new asn1X509.AuthorityInfoAccessSyntax(entries.map(([method, u]) => new asn1X509.AccessDescription({ accessMethod: method, accessLocation: uri(u) }))),
    ),
  );
const OCSP = "1.3.6.1.5.5.7.48.1";
const CA_ISSUERS = "1.3.6.1.5.5.7.48.2";
const cdp = (points: asn1X509.DistributionPoint[]) => new CRLDistributionPointsExtension(points, false);
const point = (urls: string[], extra: Partial<asn1X509.DistributionPoint> = {}) =>
  new asn1X509.DistributionPoint({ distributionPoint: new asn1X509.DistributionPointName({ fullName: urls.map(uri) }), ...extra });
const aki = (value: asn1X509.AuthorityKeyIdentifier) => new Extension(OIDS.authorityKeyIdentifier, false, AsnConvert.serialize(value));

describe("faithful derived PIV Authentication certificates pass every certificate rule", () => {
  const cases: [string, () => Promise<Parameters<typeof judge>[0]>][] = [
    ["software keystore, P-256 (id-fpki-common-derived-pivAuth)", () => faithful(pki)],
    [
      "hardware keystore, P-384, smartcardLogon + pkinit, piv-interim FALSE, 1096 days",
      () =>
        faithful(pki, { keystore: "hardware", alg: "p384", extraKeyPurposes: ["smartcardLogon", "pkinitClientAuth"], pivInterim: false, validityDays: 1096 }),
    ],
    ["software keystore, RSA-2048 subject key", () => faithful(pki, { alg: "rsa2048" })],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const cert = await make();
      const alone = (await judge(cert)).report;
      expect(alone.results.map((r) => r.id).sort()).toEqual([...CERTIFICATE_RULES].sort());
      expect(alone.results.filter((r) => r.status !== "pass")).toEqual([]);
      // Without a chain, the chain tests say what they need.
      for (const t of alone.tests.filter((t) => CHAIN_TESTS.includes(t.test))) {
        expect(t.status).toBe("not-applicable");
        expect(t.detail).toMatch(/needs --chain/);
      }
      const chained = (await judge(cert, { chain })).report;
      expect(chained.tests.filter((t) => t.status !== "pass")).toEqual([]);
    });
  }

  it("an RSA issuing CA (sha256WithRSAEncryption) passes too", async () => {
    const rsa = await makePki("rsa2048");
    const { report } = await judge(await faithful(rsa), { chain: chainOf(rsa) });
    expect(report.tests.filter((t) => t.status !== "pass")).toEqual([]);
  });
});

describe("each variant fails exactly the rule it breaks", () => {
  const policy = (oids: string[], critical = false) => new CertificatePolicyExtension(oids, critical);
  const ku = (flags: number, critical = true) => new KeyUsagesExtension(flags, critical);
  const eku = (purposes: string[], critical = false) => new ExtendedKeyUsageExtension(purposes, critical);
  const cases: [string, () => Promise<Parameters<typeof judge>[0]>, string[], RegExp][] = [
    [
      "PIV Authentication policy (.13) instead of derived",
      () => variant(pki, { replace: { [OIDS.certificatePolicies]: policy([OIDS.pivAuthentication]) } }),
      ["CERT-01"],
      /id-fpki-common-authentication/,
    ],
    ["no certificatePolicies", () => variant(pki, { replace: { [OIDS.certificatePolicies]: undefined } }), ["CERT-01"], /no certificatePolicies/],
    [
      "certificatePolicies critical",
      () => variant(pki, { replace: { [OIDS.certificatePolicies]: policy([OIDS.commonDerivedPivAuth], true) } }),
      ["CERT-01"],
      /critical/,
    ],
    [
      "keyUsage with keyEncipherment",
      () => variant(pki, { replace: { [OIDS.keyUsage]: ku(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment) } }),
      ["CERT-02"],
      /keyEncipherment/,
    ],
    ["keyUsage non-critical", () => variant(pki, { replace: { [OIDS.keyUsage]: ku(KeyUsageFlags.digitalSignature, false) } }), ["CERT-02"], /non-critical/],
    ["no keyUsage", () => variant(pki, { replace: { [OIDS.keyUsage]: undefined } }), ["CERT-02"], /no keyUsage/],
    // The worksheet makes extKeyUsage optional (catalogue CERT-03 amendment): its absence is only the should-rules'.
    ["no extKeyUsage", () => variant(pki, { replace: { [OIDS.extKeyUsage]: undefined } }), ["CERT-03a", "CERT-03b"], /no extKeyUsage/],
    [
      "EKU without clientAuth",
      () => variant(pki, { replace: { [OIDS.extKeyUsage]: eku([OIDS.smartcardLogon, OIDS.pkinitClientAuth]) } }),
      ["CERT-03"],
      /lacks id-kp-clientAuth/,
    ],
    [
      "EKU with serverAuth",
      () => variant(pki, { replace: { [OIDS.extKeyUsage]: eku([OIDS.clientAuth, OIDS.pkinitClientAuth, "1.3.6.1.5.5.7.3.1"]) } }),
      ["CERT-03"],
      /serverAuth/,
    ],
    // Not prohibited by the worksheet (CERT-03 passes), prohibited by the v2.x profile: the should-rule CERT-03b.
    [
      "EKU with anyExtendedKeyUsage",
      () => variant(pki, { replace: { [OIDS.extKeyUsage]: eku([OIDS.clientAuth, OIDS.pkinitClientAuth, "2.5.29.37.0"]) } }),
      ["CERT-03b"],
      /anyExtendedKeyUsage/,
    ],
    ["EKU without id-pkinit-KPClientAuth", () => variant(pki, { replace: { [OIDS.extKeyUsage]: eku([OIDS.clientAuth]) } }), ["CERT-03a"], /lacks id-pkinit/],
    ["EKU critical", () => variant(pki, { replace: { [OIDS.extKeyUsage]: eku([OIDS.clientAuth, OIDS.pkinitClientAuth], true) } }), ["CERT-03"], /critical/],
    [
      "SAN without a UUID (e-mail only)",
      () => variant(pki, { replace: { [OIDS.subjectAltName]: san(new asn1X509.GeneralName({ rfc822Name: "a@agency.test" })) } }),
      ["CERT-04"],
      /no urn:uuid/,
    ],
    [
      "SAN with a malformed UUID URN",
      () => variant(pki, { replace: { [OIDS.subjectAltName]: san(uri("urn:uuid:not-a-uuid")) } }),
      ["CERT-04"],
      /not an RFC 4122/,
    ],
    ["no SAN", () => variant(pki, { replace: { [OIDS.subjectAltName]: undefined } }), ["CERT-04"], /no subjectAltName/],
    [
      "AIA caIssuers over https",
      () => variant(pki, { add: [new AuthorityInfoAccessExtension({ caIssuers: "https://pki.test/ca.p7c", ocsp: "http://pki.test/ocsp" })] }),
      ["CERT-05"],
      /is https \(prohibited\)/,
    ],
    [
      "AIA with an https caIssuers beside the http one",
      () =>
        variant(pki, {
          add: [
            aia([
              [CA_ISSUERS, "http://pki.test/ca.p7c"],
              [CA_ISSUERS, "https://pki.test/ca.p7c"],
              [OCSP, "http://pki.test/ocsp"],
            ]),
          ],
        }),
      ["CERT-05"],
      /^caIssuers https:\/\/pki\.test\/ca\.p7c is https \(prohibited\)$/,
    ],
    ["AIA without OCSP", () => variant(pki, { add: [aia([[CA_ISSUERS, "http://pki.test/ca.p7c"]])] }), ["CERT-05"], /no id-ad-ocsp/],
    [
      "AIA OCSP over https",
      () =>
        variant(pki, {
          add: [
            aia([
              [CA_ISSUERS, "http://pki.test/ca.p7c"],
              [OCSP, "https://pki.test/ocsp"],
            ]),
          ],
        }),
      ["CERT-05"],
      /OCSP https:\/\/\S+ is not http/,
    ],
    [
      "AIA caIssuers LDAP only",
      () =>
        variant(pki, {
          add: [
            aia([
              [CA_ISSUERS, "ldap://dir.test/cn=CA"],
              [OCSP, "http://pki.test/ocsp"],
            ]),
          ],
        }),
      ["CERT-05"],
      /no http caIssuers URI/,
    ],
    ["CRL DP over https only", () => variant(pki, { add: [cdp([point(["https://pki.test/ca.crl"])])] }), ["CERT-06"], /no http CRL URI/],
    [
      "CRL DP with LDAP first",
      () => variant(pki, { add: [cdp([point(["ldap://dir.test/cn=CA", "http://pki.test/ca.crl"])])] }),
      ["CERT-06"],
      /LDAP CRL URI comes before/,
    ],
    [
      "CRL DP with reasons",
      () => variant(pki, { add: [cdp([point(["http://pki.test/ca.crl"], { reasons: new asn1X509.Reason(asn1X509.ReasonFlags.keyCompromise) })])] }),
      ["CERT-06"],
      /reasons/,
    ],
    [
      "AKI with issuer + serial",
      () =>
        variant(pki, {
          add: [
            aki(
              new asn1X509.AuthorityKeyIdentifier({
                keyIdentifier: new asn1X509.KeyIdentifier(pki.issuing.keyId),
                authorityCertIssuer: [
                  new asn1X509.GeneralName({ directoryName: AsnConvert.parse(pki.issuing.certificate.issuerName.toArrayBuffer(), asn1X509.Name) }),
                ],
                authorityCertSerialNumber: new Uint8Array(Buffer.from(pki.issuing.certificate.serialNumber, "hex")).buffer,
              }),
            ),
          ],
        }),
      ["CERT-07"],
      /issuer \+ serial/,
    ],
    ["no SKI", async () => resign(pki, await faithful(pki), { dropExtensions: [OIDS.subjectKeyIdentifier] }), ["CERT-07"], /no subjectKeyIdentifier/],
    ["basicConstraints cA=TRUE", () => variant(pki, { add: [new BasicConstraintsExtension(true, undefined, true)] }), ["CERT-08"], /cA=TRUE/],
    // Mandatory in the worksheet (catalogue CERT-09 amendment): dpclab's own certificates lacked it and passed.
    ["no piv-interim", () => variant(pki, { replace: { [OIDS.pivInterim]: undefined } }), ["CERT-09"], /no piv-interim/],
    [
      "piv-interim critical",
      () => variant(pki, { replace: { [OIDS.pivInterim]: new Extension(OIDS.pivInterim, true, Uint8Array.of(0x01, 0x01, 0x00)) } }),
      ["CERT-09"],
      /critical/,
    ],
    [
      "piv-interim an INTEGER",
      () => variant(pki, { replace: { [OIDS.pivInterim]: new Extension(OIDS.pivInterim, false, Uint8Array.of(0x02, 0x01, 0x01)) } }),
      ["CERT-09"],
      /neither a DER BOOLEAN/,
    ],
    [
      "piv-interim a BOOLEAN that is not DER (0x01)",
      () => variant(pki, { replace: { [OIDS.pivInterim]: new Extension(OIDS.pivInterim, false, Uint8Array.of(0x01, 0x01, 0x01)) } }),
      ["CERT-09"],
      /neither a DER BOOLEAN/,
    ],
    [
      "issuerAltName present",
      () => variant(pki, { add: [new Extension("2.5.29.18", false, AsnConvert.serialize(new asn1X509.IssueAlternativeName([uri("http://ca.test")])))] }),
      ["CERT-10"],
      /issuerAltName/,
    ],
    [
      "an unknown critical extension",
      () => variant(pki, { add: [new Extension("1.3.6.1.4.1.55555.1", true, Uint8Array.of(0x05, 0x00))] }),
      ["CERT-10"],
      /critical and not in the profile/,
    ],
    [
      "subject O is not U.S. Government",
      () => variant(pki, { subject: "C=US,O=DPCLAB TEST,OU=DPCLAB TEST Agency,CN=SMITH.ALEX.TEST.0001" }),
      ["CERT-11"],
      /U\.S\. Government/,
    ],
    ["empty subject", () => variant(pki, { subject: Uint8Array.of(0x30, 0x00) }), ["CERT-11"], /empty/],
    [
      "subject without OU",
      () =>
        variant(pki, {
          subject: derName([
            ["2.5.4.6", "US"],
            ["2.5.4.10", "U.S. Government"],
            ["2.5.4.3", "SMITH.ALEX.TEST.0001"],
          ]),
        }),
      ["CERT-11"],
      /OU/,
    ],
    [
      "signed with ecdsa-with-SHA1",
      async () => resign(pki, await faithful(pki), { signingAlgorithm: { name: "ECDSA", hash: "SHA-1" } }),
      ["CERT-12"],
      /1\.2\.840\.10045\.4\.1 is not permitted/,
    ],
    [
      "TBS signature field differs from signatureAlgorithm",
      async () =>
        reshape(pki, await faithful(pki), (tbs) => {
          tbs.signature = new asn1X509.AlgorithmIdentifier({ algorithm: OIDS.ecdsaWithSHA384 });
        }),
      ["CERT-12"],
      /differs from the TBS signature field/,
    ],
    ["RSA-1024 key", () => variant(pki, { publicKey: rsaSpki(1024) }), ["CERT-13", "DC-KEY-01"], /RSA-1024/],
    ["RSA-2048 key with e=3", () => variant(pki, { publicKey: rsaSpki(2048, 3) }), ["CERT-13", "DC-KEY-01"], /exponent 3/],
    ["P-521 key", () => variant(pki, { publicKey: ecSpki("secp521r1") }), ["CERT-13", "DC-KEY-01"], /secp521r1/],
    [
      "RSA-2048 key in a certificate valid into 2031",
      () => variant(pki, { publicKey: rsaSpki(2048), notBefore: new Date("2029-06-01T00:00:00Z"), notAfter: new Date("2031-06-01T00:00:00Z") }),
      ["CERT-13", "DC-KEY-01"],
      /after 2030/,
    ],
    [
      "notBefore as GeneralizedTime before 2050",
      async () =>
        reshape(pki, await faithful(pki), (tbs) => {
          tbs.validity.notBefore = new asn1X509.Time({ generalTime: tbs.validity.notBefore.getTime() });
        }),
      ["CERT-14"],
      /notBefore \(\d{4}\) is GeneralizedTime/,
    ],
    [
      "a 21-octet serial number",
      async () =>
        reshape(pki, await faithful(pki), (tbs) => {
          tbs.serialNumber = Uint8Array.from({ length: 21 }, (_, i) => (i === 0 ? 0x41 : i)).buffer;
        }),
      ["CERT-14"],
      /21 octets/,
    ],
    [
      "a negative serial number",
      async () =>
        reshape(pki, await faithful(pki), (tbs) => {
          tbs.serialNumber = Uint8Array.of(0x81, 0x02, 0x03).buffer;
        }),
      ["CERT-14"],
      /not positive/,
    ],
    ["4-year validity", () => variant(pki, { notAfter: new Date(NOW.getTime() + 4 * 365 * DAY) }), ["CERT-14", "DC-LIFE-02"], /1460\.0 days/],
  ];
  for (const [name, make, expected, detail] of cases) {
    it(`${name} → ${expected.join(", ")}`, async () => {
      const { report } = await judge(await make());
      expect(failingRules(report).sort()).toEqual(expected);
      for (const id of expected) expect(report.results.find((r) => r.id === id)?.detail).toMatch(detail);
      expect(report.results.filter((r) => r.status === "pass")).toHaveLength(CERTIFICATE_RULES.length - expected.length);
    });
  }

  it("CERT-09: both piv-interim encodings seen in practice pass (FIPS 201-3 BOOLEAN, as GSA's test cards; SEQUENCE { BOOLEAN })", async () => {
    const interim = (bytes: Uint8Array) => variant(pki, { replace: { [OIDS.pivInterim]: new Extension(OIDS.pivInterim, false, bytes) } });
    for (const [bytes, seen] of [
      [Uint8Array.of(0x01, 0x01, 0xff), /TRUE .*BOOLEAN \(FIPS 201-3\)/],
      [Uint8Array.of(0x30, 0x03, 0x01, 0x01, 0x00), /FALSE .*SEQUENCE \{ BOOLEAN \}/],
    ] as const) {
      const { report } = await judge(await interim(bytes));
      expect(failingRules(report)).toEqual([]);
      expect(report.results.find((r) => r.id === "CERT-09")?.detail).toMatch(seen);
    }
    // The issuers write the FIPS 201-3 form, FALSE by default.
    const own = (await faithful(pki)).getExtension(OIDS.pivInterim);
    expect(own?.critical).toBe(false);
    expect(Buffer.from(own?.value ?? new ArrayBuffer(0)).toString("hex")).toBe("010100");
  });

  it("CERT-05: an ldap caIssuers listed before the http one passes (http present, not first; the XTec case)", async () => {
    const cert = await variant(pki, {
      add: [
        aia([
          [CA_ISSUERS, "ldap://dir.test/cn=CA"],
          [CA_ISSUERS, "http://pki.test/ca.p7c"],
          [OCSP, "http://pki.test/ocsp"],
        ]),
      ],
    });
    const { report } = await judge(cert);
    expect(failingRules(report)).toEqual([]);
    expect(report.results.find((r) => r.id === "CERT-05")?.detail).toMatch(/LDAP listed before http: allowed/);
  });

  it("CERT-03a/CERT-03b are should-rules: a certificate failing only them exits 3, not 1", async () => {
    const { report } = await judge(await variant(pki, { replace: { [OIDS.extKeyUsage]: undefined } }));
    expect(conformanceExitCode(report)).toBe(3);
    expect(shallFailures(report)).toEqual([]);
    expect(shouldFailures(report).map((r) => r.id)).toEqual(["CERT-03a", "CERT-03b"]);
    expect(conformanceExitCode((await judge(await faithful(pki))).report)).toBe(0);
  });

  it("RSASSA-PSS is permitted with SHA-256 only (T-CERT-12-1)", async () => {
    const pss = (hash: string) => new RsaAlgorithm().toAsnAlgorithm({ name: "RSA-PSS", hash, saltLength: 32 } as Algorithm) as asn1X509.AlgorithmIdentifier;
    const good = await faithful(pki);
    const outcome = async (hash: string) => (await judge(reshape(pki, good, () => {}, pss(hash)))).report.tests.find((t) => t.test === "T-CERT-12-1");
    expect(await outcome("SHA-256")).toMatchObject({ status: "pass", detail: "RSASSA-PSS with SHA-256" });
    expect(await outcome("SHA-384")).toMatchObject({ status: "fail", detail: expect.stringMatching(/SHA-256 only/) });
  });

  it("RSA-4096 meets the profile (CERT-13) but is not a PIV Authentication key size (DC-KEY-01)", async () => {
    const { report } = await judge(await variant(pki, { publicKey: rsaSpki(4096) }));
    expect(failingRules(report)).toEqual(["DC-KEY-01"]);
  });

  it("what the profile allows still passes: an unknown non-critical extension, other policies beside .41, a FASC-N in the SAN", async () => {
    const cert = await variant(pki, {
      replace: {
        [OIDS.certificatePolicies]: policy([OIDS.commonDerivedPivAuthHardware, OIDS.commonHardware]),
        [OIDS.subjectAltName]: san(
          new asn1X509.GeneralName({ otherName: new asn1X509.OtherName({ typeId: OIDS.pivFascN, value: AsnConvert.serialize(new OctetString(FASCN)) }) }),
          uri("urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e"),
        ),
      },
      add: [new Extension("1.3.6.1.4.1.55555.2", false, Uint8Array.of(0x05, 0x00))],
    });
    const { report } = await judge(cert);
    expect(failingRules(report)).toEqual([]);
    expect(report.results.find((r) => r.id === "CERT-04")?.detail).toMatch(/FASC-N present/);
    expect(report.results.find((r) => r.id === "CERT-01")?.detail).toMatch(/also id-fpki-common-hardware/);
  });
});

describe("with --chain (RFC 5280 path through src/pki/path-validation.ts)", () => {
  it("a CA that is not allowed the derived policy: only CERT-01 fails, through the path test", async () => {
    const narrow = await pki.root.createSubordinate({
      commonName: "DPCLAB TEST Narrow CA",
      notBefore: new Date(T0.getTime() - DAY),
      notAfter: new Date(T0.getTime() + 1000 * DAY),
      publication: publication("narrow"),
      policies: [OIDS.commonAuthentication],
    });
    const narrowPki = { root: pki.root, issuing: narrow };
    const { report } = await judge(await faithful(narrowPki), { chain: chainOf(narrowPki) });
    expect(failingRules(report)).toEqual(["CERT-01"]);
    const path = report.tests.find((t) => t.test === "T-CERT-01-2");
    expect(path?.status).toBe("fail");
    expect(path?.detail).toMatch(/policy/);
    expect(report.tests.find((t) => t.test === "T-CERT-01-1")?.status).toBe("pass");
  });

  it("an AKI that names another key: T-CERT-07-2 fails (and no path can be built)", async () => {
    const cert = await variant(pki, { add: [aki(new asn1X509.AuthorityKeyIdentifier({ keyIdentifier: new asn1X509.KeyIdentifier(randomBytes(20)) }))] });
    expect(failingRules((await judge(cert)).report)).toEqual([]);
    const { report } = await judge(cert, { chain });
    expect(failingRules(report).sort()).toEqual(["CERT-01", "CERT-07"]);
    expect(report.tests.find((t) => t.test === "T-CERT-07-2")?.detail).toMatch(/is not the SKI/);
  });

  it("a SHA-1 signature also fails verification against the issuer (T-CERT-12-2)", async () => {
    const cert = await resign(pki, await faithful(pki), { signingAlgorithm: { name: "ECDSA", hash: "SHA-1" } });
    const { report } = await judge(cert, { chain });
    expect(report.tests.find((t) => t.test === "T-CERT-12-2")?.status).toBe("fail");
    expect(report.tests.find((t) => t.test === "T-CERT-12-1")?.status).toBe("fail");
  });

  it("a chain from another PKI: no path (CERT-01 fails), issuer tests not applicable", async () => {
    const other = await makePki("p256");
    const { report } = await judge(await faithful(pki), { chain: chainOf(other) });
    expect(failingRules(report)).toEqual(["CERT-01"]);
    // Same CA name, another key: the chain cannot tell who issued the certificate.
    expect(report.tests.find((t) => t.test === "T-CERT-07-2")).toMatchObject({ status: "not-applicable", detail: expect.stringMatching(/issuer is unknown/) });
    expect(report.tests.find((t) => t.test === "T-CERT-12-2")?.status).toBe("not-applicable");
  });

  it("an expired certificate is still judged on its path (validated inside its validity)", async () => {
    const cert = await faithful(pki, { validityDays: 2 });
    const { report } = await judge(cert, { chain, at: new Date(NOW.getTime() + 30 * DAY) });
    expect(report.tests.filter((t) => t.status !== "pass")).toEqual([]);
  });
});

describe("editions and other certificates", () => {
  it("--edition 2014: DC-KEY-01 (an r1 row) is not applicable, CERT rows still judged", async () => {
    const { report } = await judge(await variant(pki, { publicKey: rsaSpki(4096) }), { edition: "2014" });
    expect(report.results.find((r) => r.id === "DC-KEY-01")).toMatchObject({ status: "not-applicable", detail: expect.stringMatching(/2014/) });
    expect(failingRules(report)).toEqual([]);
  });

  it("a PIV Card's PIV Authentication certificate (9A) is not a derived credential: CERT-01 fails, and CERT-09 without piv-interim", async () => {
    const card = await issueCardCertificate(pki.issuing, {
      slot: "9A",
      publicKey: await newSpki(),
      cardholder: { commonName: "SMITH.ALEX.TEST.0001", email: "alex@agency.test", organization: "DPCLAB TEST Agency" },
      fascn: FASCN,
      cardUuid: CARD_UUID,
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 365 * DAY),
    });
    const { report } = await judge(card, { chain });
    expect(failingRules(report)).toEqual(["CERT-01", "CERT-09"]);
    expect(report.results.find((r) => r.id === "CERT-01")?.detail).toMatch(/id-fpki-common-authentication \(2\.16\.840\.1\.101\.3\.2\.1\.3\.13\)/);
  });

  it("a CA certificate (which asserts the derived policies) fails the end-entity rules without crashing", async () => {
    const { report } = await judge(pki.issuing.certificate, { chain: [pki.root.certificate] });
    expect(failingRules(report)).toEqual(expect.arrayContaining(["CERT-02", "CERT-03a", "CERT-03b", "CERT-04", "CERT-08", "CERT-09", "CERT-11", "DC-LIFE-02"]));
    expect(report.results).toHaveLength(CERTIFICATE_RULES.length);
  });

  it("a certificate made elsewhere (OpenSSL, Ed25519, self-signed) is judged, not a crash", async () => {
    const made = spawnSync("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ed25519",
      "-nodes",
      "-keyout",
      "/dev/null",
      "-subj",
      "/CN=DPCLAB TEST Ed25519",
      "-days",
      "1",
      "-outform",
      "DER",
    ]);
    expect(made.status).toBe(0);
    const { report } = await judge(readCertificate(new Uint8Array(made.stdout), "ed25519.der"));
    expect(failingRules(report)).toEqual(expect.arrayContaining(["CERT-01", "CERT-12", "CERT-13", "DC-KEY-01"]));
    expect(report.results.find((r) => r.id === "CERT-13")?.detail).toMatch(/1\.3\.101\.112/);
  });
});
