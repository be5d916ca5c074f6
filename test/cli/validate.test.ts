import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateFacts, fromPem } from "../../src/pki/index.js";
import { dpclab, freePort, startDpclab, tempDir } from "../helpers/cli.js";

// `dpclab validate` against a lab's real chain (cards create / export), a revoked card with the CRL the lab publishes
// (pki serve), OCSP at the certificates' AIA, bad flags, and a NIST PKITS case.
const dir = tempDir();
const lab = join(dir.path, "lab");
const good = join(dir.path, "card0");
const revoked = join(dir.path, "card1");
const file = (name: string) => join(dir.path, name);
let server: Awaited<ReturnType<typeof startDpclab>>;

const PKITS = join(import.meta.dirname, "../fixtures/pkits");
const PIV_AUTH_POLICY = "2.16.840.1.101.3.2.1.3.13"; // the card's PIV Authentication policy (id-fpki-common-authentication)

beforeAll(async () => {
  const port = await freePort();
  const created = await dpclab(["cards", "create", "--dir", lab, "--count", "2", "--seed", "validate-cli", "--base-url", `http://127.0.0.1:${port}`]);
  expect(created.code, created.stderr).toBe(0);
  for (const [card, out] of [
    ["0", good],
    ["1", revoked],
  ] as const) {
    const exported = await dpclab(["cards", "export", "--dir", lab, "--card", card, "--out", out]);
    expect(exported.code, exported.stderr).toBe(0);
  }
  // The whole chain in one file (the anchor found as its self-signed certificate), and the intermediates alone.
  writeFileSync(file("chain.pem"), readFileSync(join(good, "issuing-ca.pem"), "utf8") + readFileSync(join(good, "root.pem"), "utf8"));
  const revoke = await dpclab(["cards", "revoke", "--dir", lab, "--card", "1", "--reason", "keyCompromise"]);
  expect(revoke.code, revoke.stderr).toBe(0);
  server = await startDpclab(["pki", "serve", "--dir", lab, "--port", String(port)]);
  // The CRL as the lab publishes it, at the PIV Authentication certificate's CRL distribution point.
  const leaf = CertificateFacts.fromDer(fromPem(readFileSync(join(revoked, "piv-auth.pem"), "utf8"), "CERTIFICATE"));
  const url = leaf.crlUrls.find((u) => u.startsWith("http:"));
  expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/`));
  const res = await fetch(url as string);
  expect(res.status).toBe(200);
  writeFileSync(file("piv-ca.crl"), Buffer.from(await res.arrayBuffer()));
  // …and the root's, at the issuing CA certificate's: the intermediate's status is checked too.
  const ca = CertificateFacts.fromDer(fromPem(readFileSync(join(revoked, "issuing-ca.pem"), "utf8"), "CERTIFICATE"));
  const rootCrl = await fetch(ca.crlUrls.find((u) => u.startsWith("http:")) as string);
  expect(rootCrl.status).toBe(200);
  writeFileSync(file("root.crl"), Buffer.from(await rootCrl.arrayBuffer()));
});

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

describe("dpclab validate: a lab's chain", () => {
  it("valid: exit 0, the path leaf → anchor with subjects and serials, the valid policies, and revocation NOT checked", async () => {
    const r = await dpclab(["validate", join(good, "piv-auth.pem"), "--chain", file("chain.pem")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const leaf = CertificateFacts.fromDer(fromPem(readFileSync(join(good, "piv-auth.pem"), "utf8"), "CERTIFICATE"));
    expect(r.stdout).toMatch(/^VALID at \S+ — but revocation was NOT checked$/m);
    expect(r.stdout).toContain(`0. [leaf] ${leaf.subject} (serial ${leaf.serialHex})`);
    expect(r.stdout).toMatch(/1\. \[CA\] .*PIV Card Issuing CA.*\(serial [0-9a-f]+\)/);
    expect(r.stdout).toMatch(/2\. \[anchor\] .*Root CA.*\(serial [0-9a-f]+\)/);
    expect(r.stdout).toContain(`valid policies: ${PIV_AUTH_POLICY} (id-fpki-common-authentication)`);
    expect(r.stdout).toMatch(/^revocation: revocation was NOT checked/m);
    // Never a plain "valid" without revocation: the headline itself says so.
    expect(r.stdout).not.toMatch(/^VALID at \S+$/m);
  });

  it("--trust-anchor: the chain file holds the intermediates only; --policy restricts the valid policies", async () => {
    const r = await dpclab([
      "validate",
      join(good, "piv-auth.pem"),
      "--chain",
      join(good, "issuing-ca.pem"),
      "--trust-anchor",
      join(good, "root.pem"),
      "--policy",
      PIV_AUTH_POLICY,
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`valid policies: ${PIV_AUTH_POLICY}`);
  });

  it("a policy the path does not carry: exit 1 with the reason, the RFC 5280 step and the detail", async () => {
    const r = await dpclab(["validate", join(good, "piv-auth.pem"), "--chain", file("chain.pem"), "--policy", "2.16.840.1.101.3.2.1.3.40"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^INVALID at \S+: policy — RFC 5280 §6\.1\.3\(d\)/m);
    expect(r.stdout).toContain("2.16.840.1.101.3.2.1.3.40");
  });

  it("another PKI's root as the anchor: exit 1 (no path / untrusted)", async () => {
    const other = tempDir();
    try {
      const created = await dpclab(["cards", "create", "--dir", join(other.path, "lab"), "--count", "1", "--seed", "validate-other"]);
      expect(created.code, created.stderr).toBe(0);
      const exported = await dpclab(["cards", "export", "--dir", join(other.path, "lab"), "--card", "0", "--out", join(other.path, "out")]);
      expect(exported.code).toBe(0);
      const r = await dpclab([
        "validate",
        join(good, "piv-auth.pem"),
        "--chain",
        join(good, "issuing-ca.pem"),
        "--trust-anchor",
        join(other.path, "out", "root.pem"),
      ]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^INVALID at \S+: (no-path|signature-invalid|name-chaining|untrusted-root) — RFC 5280 §6\.1/m);
    } finally {
      other.remove();
    }
  });

  it("--crl with the published CRLs: the good card is valid with revocation checked, the revoked one exit 1 'revoked'", async () => {
    const ok = await dpclab(["validate", join(good, "piv-auth.pem"), "--chain", file("chain.pem"), "--crl", file("piv-ca.crl"), "--crl", file("root.crl")]);
    expect(ok.stdout).toMatch(/^VALID at \S+$/m);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/^revocation: every certificate below the anchor is good, per CRL/m);
    const bad = await dpclab(["validate", join(revoked, "piv-auth.pem"), "--chain", file("chain.pem"), "--crl", file("piv-ca.crl")]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^INVALID at \S+: revoked — RFC 5280 §6\.1\.3\(a\)\(3\)/m);
    expect(bad.stdout).toMatch(/keyCompromise/);
  });

  it("--crl without the root's CRL: the issuing CA's status is undetermined, so the path is refused (never 'valid')", async () => {
    const r = await dpclab(["validate", join(good, "piv-auth.pem"), "--chain", file("chain.pem"), "--crl", file("piv-ca.crl")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^INVALID at \S+: revocation-unavailable — RFC 5280 §6\.1\.3\(a\)\(3\), §6\.3\.3\(k\)/m);
    expect(r.stdout).toMatch(/PIV Card Issuing CA/);
  });

  it("--ocsp at the certificates' AIA (the served lab): the revoked card is refused, the good one checked per OCSP", async () => {
    const bad = await dpclab(["validate", join(revoked, "piv-auth.pem"), "--chain", file("chain.pem"), "--ocsp"]);
    expect(bad.code, bad.stdout).toBe(1);
    expect(bad.stdout).toMatch(/: revoked — /);
    const ok = await dpclab(["validate", join(good, "piv-auth.pem"), "--chain", file("chain.pem"), "--ocsp", "--json"]);
    expect(ok.code, ok.stdout).toBe(0);
    const json = JSON.parse(ok.stdout);
    expect(json.revocation).toMatchObject({ checked: true, method: "ocsp" });
    expect(json.revocation.checks.length).toBeGreaterThan(0);
  });

  it("--json is a stable object (keys and shape), valid and invalid", async () => {
    const ok = JSON.parse((await dpclab(["validate", join(good, "piv-auth.pem"), "--chain", file("chain.pem"), "--json"])).stdout);
    expect(Object.keys(ok)).toEqual(["valid", "at", "path", "validPolicies", "revocation"]);
    expect(ok).toMatchObject({ valid: true, validPolicies: [PIV_AUTH_POLICY], revocation: { checked: false, method: "none", checks: [] } });
    expect(ok.path).toHaveLength(3);
    for (const c of ok.path) expect(Object.keys(c)).toEqual(["subject", "issuer", "serialNumber", "notAfter"]);
    const r = await dpclab(["validate", join(revoked, "piv-auth.pem"), "--chain", file("chain.pem"), "--crl", file("piv-ca.crl"), "--json"]);
    expect(r.code).toBe(1);
    const bad = JSON.parse(r.stdout);
    expect(Object.keys(bad)).toEqual(["valid", "at", "path", "validPolicies", "revocation", "failure"]);
    expect(bad.failure).toMatchObject({ reason: "revoked", rfc5280: expect.stringMatching(/^§6\.1\.3\(a\)\(3\)/) });
  });

  it("--at: the time validated at (a time before the card's notBefore: not-yet-valid)", async () => {
    const r = await dpclab(["validate", join(good, "piv-auth.pem"), "--chain", file("chain.pem"), "--at", "2001-01-01T00:00:00Z"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^INVALID at 2001-01-01T00:00:00\.000Z: (not-yet-valid|expired) — RFC 5280 §6\.1\.3\(a\)\(2\)/m);
  });
});

describe("dpclab validate: usage errors are one line, exit 2", () => {
  const cases: [string, () => string[], RegExp][] = [
    ["no certificate", () => ["validate", "--chain", file("chain.pem")], /a certificate file is required/],
    ["no --chain", () => ["validate", join(good, "piv-auth.pem")], /--chain is required/],
    [
      "two certificates",
      () => ["validate", join(good, "piv-auth.pem"), join(good, "card-auth.pem"), "--chain", file("chain.pem")],
      /one certificate at a time/,
    ],
    ["an unknown flag", () => ["validate", join(good, "piv-auth.pem"), "--chain", file("chain.pem"), "--crls", "x"], /Unknown option '--crls'/],
    [
      "a policy that is not an OID",
      () => ["validate", join(good, "piv-auth.pem"), "--chain", file("chain.pem"), "--policy", "derived"],
      /--policy must be an OID/,
    ],
    ["a bad --at", () => ["validate", join(good, "piv-auth.pem"), "--chain", file("chain.pem"), "--at", "yesterday"], /--at must be an ISO 8601 time/],
    [
      "--crl and --ocsp together",
      () => ["validate", join(good, "piv-auth.pem"), "--chain", file("chain.pem"), "--crl", file("piv-ca.crl"), "--ocsp"],
      /choose one/,
    ],
    ["no anchor in the chain and no --trust-anchor", () => ["validate", join(good, "piv-auth.pem"), "--chain", join(good, "issuing-ca.pem")], /--trust-anchor/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const r = await dpclab(args());
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }

  it("a file that is not a certificate: exit 1, one line", async () => {
    const r = await dpclab(["validate", file("piv-ca.crl"), "--chain", file("chain.pem")]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/does not parse|not a PEM or DER/);
  });
});

describe("dpclab validate: NIST PKITS (DER files, DER CRLs)", () => {
  const cert = (n: string) => join(PKITS, "certs", `${n}.crt`);
  const crl = (n: string) => join(PKITS, "crls", `${n}.crl`);
  const AT = ["--at", "2011-04-15T00:00:00Z"];

  it("4.1.1 Valid Signatures Test1: valid with both CRLs", async () => {
    const r = await dpclab([
      "validate",
      cert("ValidCertificatePathTest1EE"),
      "--chain",
      cert("GoodCACert"),
      "--trust-anchor",
      cert("TrustAnchorRootCertificate"),
      "--crl",
      crl("TrustAnchorRootCRL"),
      "--crl",
      crl("GoodCACRL"),
      ...AT,
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^VALID at 2011-04-15T00:00:00\.000Z$/m);
    expect(r.stdout).toMatch(/revocation: every certificate below the anchor is good, per CRL/);
  });

  it("4.4.3 Invalid Revoked EE Test3: exit 1, revoked", async () => {
    const r = await dpclab([
      "validate",
      cert("InvalidRevokedEETest3EE"),
      "--chain",
      cert("GoodCACert"),
      "--trust-anchor",
      cert("TrustAnchorRootCertificate"),
      "--crl",
      crl("TrustAnchorRootCRL"),
      "--crl",
      crl("GoodCACRL"),
      ...AT,
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/: revoked — RFC 5280 §6\.1\.3\(a\)\(3\)/);
  });

  it("4.2.1 Invalid CA notBefore Date Test1: exit 1 at the validity step", async () => {
    const r = await dpclab([
      "validate",
      cert("InvalidCAnotBeforeDateTest1EE"),
      "--chain",
      cert("BadnotBeforeDateCACert"),
      "--trust-anchor",
      cert("TrustAnchorRootCertificate"),
      ...AT,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/: not-yet-valid — RFC 5280 §6\.1\.3\(a\)\(2\)/);
  });
});
