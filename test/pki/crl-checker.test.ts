import { beforeAll, describe, expect, it } from "vitest";
import { distributionPointsValue, rawExtension } from "../../src/pki/crl.js";
import {
  CertificateAuthority,
  CertificateFacts,
  type CrlEntry,
  CrlFacts,
  type CrlOptions,
  createCrl,
  createCrlSetChecker,
  createHttpRevocationChecker,
  generateKeyPairDer,
  OIDS,
  type PathValidationResult,
  type RevocationCheck,
  type RevocationChecker,
  type RevocationContext,
  toPem,
  validatePath,
} from "../../src/pki/index.js";
import { KeyUsageFlags, KeyUsagesExtension, type X509Certificate } from "../../src/x509.js";
import { DAY, newSpki, T0 } from "./helpers.js";

/**
 * RFC 5280 §6.3 over CRL sets built here: every CRL feature the checker reads is written by createCrl's options, and
 * each case is decided by the checker called the way validatePath calls it (with a RevocationContext).
 */
const AT = new Date(T0.getTime() + 10 * DAY);
const NEXT = new Date(AT.getTime() + DAY);
const CRL_URL = "http://crl.test/ca.crl";
const UNKNOWN_OID = "1.3.6.1.4.1.99999.1";

let root: CertificateAuthority;
let ca: CertificateAuthority;
let otherRoot: CertificateAuthority;
let leaf: X509Certificate;
let leafSerial: string;

async function issueLeaf(issuer: CertificateAuthority, name: string, dp?: Parameters<typeof distributionPointsValue>[0]): Promise<X509Certificate> {
  return issuer.issue({
    subject: `C=US,O=DPCLAB TEST,CN=${name}`,
    publicKey: await newSpki(),
    notBefore: T0,
    notAfter: new Date(T0.getTime() + 365 * DAY),
    extensions: dp ? [rawExtension(OIDS.cRLDistributionPoints, distributionPointsValue(dp))] : [],
  });
}

/** A signer with a certificate `parent` issues as given (same name as a CA, another key, a keyUsage of choice). */
async function signerCert(parent: CertificateAuthority, subject: Uint8Array, usage: number): Promise<CertificateAuthority> {
  const { spki, pkcs8 } = generateKeyPairDer("p256");
  const cert = await parent.issue({
    subject,
    publicKey: spki,
    notBefore: T0,
    notAfter: new Date(T0.getTime() + 900 * DAY),
    extensions: [new KeyUsagesExtension(usage, true)],
  });
  return CertificateAuthority.load({ certificatePem: cert.toString("pem"), privateKeyPem: toPem(pkcs8, "PRIVATE KEY"), alg: "p256" });
}

function crl(signer: CertificateAuthority, options: Partial<CrlOptions> = {}): Promise<ArrayBuffer> {
  return createCrl(signer, { entries: [], thisUpdate: T0, nextUpdate: NEXT, crlNumber: 1, ...options });
}

const revokedEntry = (serialNumber: string, reason: CrlEntry["reason"] = "keyCompromise", more: Partial<CrlEntry> = {}): CrlEntry => ({
  serialNumber,
  revokedAt: T0,
  reason,
  ...more,
});

/** The leaf's status as validatePath asks for it: path leaf → ca → root, every certificate a candidate CRL signer. */
async function status(
  crls: ArrayBuffer[],
  options: { cert?: X509Certificate; extra?: X509Certificate[]; checker?: RevocationChecker; at?: Date } = {},
): Promise<RevocationCheck> {
  const checker = options.checker ?? createCrlSetChecker(crls.map((c) => new Uint8Array(c)));
  const cert = CertificateFacts.of(options.cert ?? leaf);
  const issuer = CertificateFacts.of(ca.certificate);
  const anchor = CertificateFacts.of(root.certificate);
  const certificates = [issuer, anchor, ...(options.extra ?? []).map((c) => CertificateFacts.of(c))];
  const at = options.at ?? AT;
  const context: RevocationContext = {
    path: [cert, issuer, anchor],
    certificates,
    trustAnchors: [anchor],
    validate: (c): Promise<PathValidationResult> => validatePath({ leaf: c, intermediates: certificates, trustAnchors: [anchor], at, revocation: checker }),
  };
  return checker.check(cert, issuer, at, context);
}

function expectGood(r: RevocationCheck) {
  expect(r).toEqual({ status: { status: "good" }, source: "crl" });
}
function expectRevoked(r: RevocationCheck, reason: string) {
  expect(r).toMatchObject({ status: { status: "revoked", reason }, source: "crl" });
}
function expectUndetermined(r: RevocationCheck, why: RegExp) {
  expect("error" in r, JSON.stringify(r)).toBe(true);
  if ("error" in r) expect(r.error).toMatch(why);
}

beforeAll(async () => {
  const validity = { notBefore: new Date(T0.getTime() - DAY), notAfter: new Date(T0.getTime() + 3650 * DAY) };
  root = await CertificateAuthority.createRoot({ commonName: "C=US,O=DPCLAB TEST,CN=DPCLAB TEST CRL Root", ...validity });
  otherRoot = await CertificateAuthority.createRoot({ commonName: "C=US,O=DPCLAB TEST,CN=DPCLAB TEST Other Root", ...validity });
  ca = await root.createSubordinate({ commonName: "DPCLAB TEST CRL CA", ...validity });
  leaf = await issueLeaf(ca, "Leaf TEST", { fullNameUris: [CRL_URL] });
  leafSerial = leaf.serialNumber.toLowerCase();
});

describe("complete CRLs (RFC 5280 §6.3.3)", () => {
  it("good on the issuer's current CRL, revoked with its reason, and never good without a CRL of the issuer", async () => {
    expectGood(await status([await crl(ca)]));
    expectRevoked(await status([await crl(ca, { entries: [revokedEntry(leafSerial, "affiliationChanged")] })]), "affiliationChanged");
    expectRevoked(await status([await crl(ca, { entries: [revokedEntry(leafSerial, "certificateHold")] })]), "certificateHold");
    expectUndetermined(await status([]), /no CRL issued by/);
    expectUndetermined(await status([await crl(root)]), /no CRL issued by/);
  });

  it("a CRL under the issuer's name signed by a stranger's key is not used", async () => {
    const impostor = await signerCert(otherRoot, ca.nameDer, KeyUsageFlags.cRLSign);
    expectUndetermined(await status([await crl(impostor)], { extra: [impostor.certificate] }), /does not validate|does not verify/);
  });

  it("stale or not-yet-valid CRLs are not used (§6.3.3(a)(1))", async () => {
    expectUndetermined(await status([await crl(ca)], { at: new Date(NEXT.getTime() + 1000) }), /stale/);
    expectUndetermined(
      await status([await crl(ca, { thisUpdate: new Date(AT.getTime() + DAY), nextUpdate: new Date(AT.getTime() + 2 * DAY) })]),
      /not yet valid/,
    );
  });

  it("an unknown critical CRL or entry extension makes the CRL unusable, never good (§5.2, §5.3); a non-critical one is ignored", async () => {
    const ext = (critical: boolean) => [{ oid: UNKNOWN_OID, critical, value: Uint8Array.of(0x05, 0x00) }];
    expectUndetermined(
      await status([await crl(ca, { extraExtensions: ext(true) })]),
      new RegExp(`critical CRL extension ${UNKNOWN_OID.replace(/\./g, "\\.")}`),
    );
    expectGood(await status([await crl(ca, { extraExtensions: ext(false) })]));
    // The entry with the critical extension is about another certificate: the whole CRL is still unusable.
    const other = revokedEntry("0badc0de", "keyCompromise", { extraExtensions: ext(true) });
    expectUndetermined(await status([await crl(ca, { entries: [other] })]), /critical CRL entry extension/);
    expectGood(await status([await crl(ca, { entries: [{ ...other, extraExtensions: ext(false) }] })]));
  });

  it("the CRL signer needs cRLSign; another key of the CA (same name, cRLSign) signs when it validates to the same anchor (§6.3.3(f))", async () => {
    const noCrlSign = await signerCert(root, ca.nameDer, KeyUsageFlags.digitalSignature);
    expectUndetermined(await status([await crl(noCrlSign), await crl(root)], { extra: [noCrlSign.certificate] }), /lacks cRLSign/);
    const crlKey = await signerCert(root, ca.nameDer, KeyUsageFlags.cRLSign);
    const signedByCrlKey = await crl(crlKey, { entries: [revokedEntry(leafSerial)] });
    expectRevoked(await status([signedByCrlKey, await crl(root)], { extra: [crlKey.certificate] }), "keyCompromise");
    expectUndetermined(await status([signedByCrlKey, await crl(root)]), /does not verify/);
    // The same key certified under another anchor is no CRL signer for this path.
    const foreign = await signerCert(otherRoot, ca.nameDer, KeyUsageFlags.cRLSign);
    expectUndetermined(
      await status([await crl(foreign), await crl(root), await crl(otherRoot)], { extra: [foreign.certificate, otherRoot.certificate] }),
      /does not validate: .*not a trust anchor|another trust anchor/,
    );
  });

  it("through validatePath: it passes the RevocationContext, so a CRL key given as an intermediate is found and validated", async () => {
    const crlKey = await signerCert(root, ca.nameDer, KeyUsageFlags.cRLSign);
    const revocation = createCrlSetChecker([new Uint8Array(await crl(crlKey)), new Uint8Array(await crl(root))]);
    const input = { leaf, trustAnchors: [root.certificate], at: AT, revocation };
    expect(await validatePath({ ...input, intermediates: [ca.certificate, crlKey.certificate] })).toMatchObject({ ok: true });
    const without = await validatePath({ ...input, intermediates: [ca.certificate] });
    expect(without).toMatchObject({ ok: false, reason: "revocation-unavailable" });
    if (!without.ok) expect(without.detail).toMatch(/status undetermined: .*does not verify/);
  });

  it("a revoked CRL signer certificate signs no CRL (its path is validated with revocation)", async () => {
    const crlKey = await signerCert(root, ca.nameDer, KeyUsageFlags.cRLSign);
    const rootCrl = await crl(root, { entries: [revokedEntry(crlKey.certificate.serialNumber.toLowerCase())] });
    expectUndetermined(await status([await crl(crlKey), rootCrl], { extra: [crlKey.certificate] }), /does not validate: .*revoked/);
    expectGood(await status([await crl(crlKey), await crl(root)], { extra: [crlKey.certificate] }));
  });
});

describe("issuingDistributionPoint scope (§6.3.3(b)(2), (d))", () => {
  it("a distributionPoint name must be one of the certificate's", async () => {
    expectGood(await status([await crl(ca, { issuingDistributionPoint: { fullNameUris: [CRL_URL] } })]));
    expectUndetermined(
      await status([await crl(ca, { issuingDistributionPoint: { fullNameUris: ["http://crl.test/other.crl"] } })]),
      /issuingDistributionPoint name/,
    );
  });

  it("onlyContainsUserCerts, onlyContainsCACerts and onlyContainsAttributeCerts", async () => {
    expectGood(await status([await crl(ca, { issuingDistributionPoint: { onlyContainsUserCerts: true } })]));
    expectUndetermined(await status([await crl(ca, { issuingDistributionPoint: { onlyContainsCACerts: true } })]), /onlyContainsCACerts/);
    expectUndetermined(await status([await crl(ca, { issuingDistributionPoint: { onlyContainsAttributeCerts: true } })]), /onlyContainsAttributeCerts/);
    // The CA certificate against its issuer's (the root's) CRLs.
    const checker = createCrlSetChecker([new Uint8Array(await crl(root, { issuingDistributionPoint: { onlyContainsUserCerts: true } }))]);
    const caFacts = CertificateFacts.of(ca.certificate);
    const rootFacts = CertificateFacts.of(root.certificate);
    expectUndetermined(await checker.check(caFacts, rootFacts, AT), /onlyContainsUserCerts/);
    const caOnly = createCrlSetChecker([new Uint8Array(await crl(root, { issuingDistributionPoint: { onlyContainsCACerts: true } }))]);
    expectGood(await caOnly.check(caFacts, rootFacts, AT));
  });

  it("onlySomeReasons: the reasons mask accumulates over CRLs until all reasons are covered", async () => {
    const some = await crl(ca, { crlNumber: 1, issuingDistributionPoint: { onlySomeReasons: ["keyCompromise", "cACompromise"] } });
    const rest = await crl(ca, {
      crlNumber: 2,
      issuingDistributionPoint: {
        onlySomeReasons: ["affiliationChanged", "superseded", "cessationOfOperation", "certificateHold", "privilegeWithdrawn", "aACompromise"],
      },
    });
    expectUndetermined(await status([some]), /only some reasons; not affiliationChanged, superseded/);
    expectGood(await status([some, rest]));
    const restRevoked = await crl(ca, {
      crlNumber: 3,
      entries: [revokedEntry(leafSerial, "superseded")],
      issuingDistributionPoint: {
        onlySomeReasons: ["affiliationChanged", "superseded", "cessationOfOperation", "certificateHold", "privilegeWithdrawn", "aACompromise"],
      },
    });
    expectRevoked(await status([some, restRevoked]), "superseded");
  });

  it("the certificate's DP reasons narrow what a CRL covers (§6.3.3(d)(3))", async () => {
    const narrow = await issueLeaf(ca, "Narrow TEST", { fullNameUris: [CRL_URL], reasons: ["keyCompromise"] });
    expectUndetermined(await status([await crl(ca)], { cert: narrow }), /only some reasons; not cACompromise/);
  });
});

describe("indirect CRLs and cRLIssuer (§5.3.3, §6.3.3(b)(1), (f))", () => {
  it("a separate CRL issuer named in the DP, its CRL indirect, certificateIssuer carried forward between entries", async () => {
    const crlIssuer = await root.createSubordinate({
      commonName: "DPCLAB TEST Indirect CRL Issuer",
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 900 * DAY),
    });
    const crlIssuerName = crlIssuer.nameDer;
    const viaIssuer = await issueLeaf(ca, "Indirect TEST", { crlIssuer: crlIssuerName });
    const viaSerial = viaIssuer.serialNumber.toLowerCase();
    const extra = [crlIssuer.certificate];
    const clean = await crl(crlIssuer, { issuingDistributionPoint: { indirectCrl: true } });
    expectGood(await status([clean, await crl(root)], { cert: viaIssuer, extra }));
    // Serial on its own belongs to the CRL issuer's certificates; after certificateIssuer = the CA, to the CA's.
    const sameSerialOwn = await crl(crlIssuer, { issuingDistributionPoint: { indirectCrl: true }, entries: [revokedEntry(viaSerial)] });
    expectGood(await status([sameSerialOwn, await crl(root)], { cert: viaIssuer, extra }));
    const carried = await crl(crlIssuer, {
      issuingDistributionPoint: { indirectCrl: true },
      entries: [revokedEntry("01"), revokedEntry("02", "keyCompromise", { certificateIssuer: ca.nameDer }), revokedEntry(viaSerial, "privilegeWithdrawn")],
    });
    expectRevoked(await status([carried, await crl(root)], { cert: viaIssuer, extra }), "privilegeWithdrawn");
    // Not indirect: the cRLIssuer's CRL is not used; nor is the CA's own CRL for a DP that names a cRLIssuer.
    expectUndetermined(await status([await crl(crlIssuer), await crl(ca), await crl(root)], { cert: viaIssuer, extra }), /not indirect/);
    // The CRL issuer's certificate must be there to validate.
    expectUndetermined(await status([clean, await crl(root)], { cert: viaIssuer }), /does not verify/);
  });

  it("certificateIssuer in a CRL that is not indirect makes it unusable", async () => {
    const odd = await crl(ca, { entries: [revokedEntry("05", "keyCompromise", { certificateIssuer: root.nameDer })] });
    expectUndetermined(await status([odd]), /certificateIssuer but the CRL is not indirect/);
  });
});

describe("delta CRLs (§5.2.4, §6.3.3(c), (i)–(k))", () => {
  it("a delta revokes, a delta's removeFromCRL releases a hold, a delta alone says nothing", async () => {
    const base = await crl(ca, { crlNumber: 10, entries: [revokedEntry(leafSerial, "certificateHold")], freshestCrlUrls: ["http://crl.test/ca-delta.crl"] });
    expectRevoked(await status([base]), "certificateHold");
    const release = await crl(ca, { crlNumber: 11, deltaOf: 10, entries: [revokedEntry(leafSerial, "removeFromCRL")] });
    expectGood(await status([base, release]));
    const revoke = await crl(ca, { crlNumber: 12, deltaOf: 10, entries: [revokedEntry(leafSerial, "keyCompromise")] });
    expectRevoked(await status([await crl(ca, { crlNumber: 10 }), revoke]), "keyCompromise");
    expectRevoked(await status([base, release, revoke]), "keyCompromise"); // the newest delta wins
    expectUndetermined(await status([revoke]), /only delta CRLs/);
  });

  it("a delta is combined only with a complete CRL it is newer than and whose number covers its base", async () => {
    const complete = await crl(ca, { crlNumber: 5 });
    const laterBase = await crl(ca, { crlNumber: 8, deltaOf: 6, entries: [revokedEntry(leafSerial)] });
    expectGood(await status([complete, laterBase]));
    const older = await crl(ca, { crlNumber: 4, deltaOf: 3, entries: [revokedEntry(leafSerial)] });
    expectGood(await status([complete, older]));
    const otherScope = await crl(ca, {
      crlNumber: 6,
      deltaOf: 5,
      entries: [revokedEntry(leafSerial)],
      issuingDistributionPoint: { onlyContainsUserCerts: true },
    });
    expectGood(await status([complete, otherScope]));
    const staleDelta = await crl(ca, {
      crlNumber: 6,
      deltaOf: 5,
      entries: [revokedEntry(leafSerial)],
      nextUpdate: new Date(AT.getTime() - 1000),
      thisUpdate: T0,
    });
    expectGood(await status([complete, staleDelta]));
    const critical = await crl(ca, {
      crlNumber: 6,
      deltaOf: 5,
      entries: [revokedEntry(leafSerial)],
      extraExtensions: [{ oid: UNKNOWN_OID, critical: true, value: Uint8Array.of(0x05, 0x00) }],
    });
    expectGood(await status([complete, critical])); // unusable delta: the complete CRL alone decides
  });

  it("OpenSSL (-crl_check -extended_crl -use_deltas) judges the same combination", async () => {
    const { tempDir, writeCrlPem, writePem, openssl } = await import("./helpers.js");
    const dir = tempDir();
    const base = await crl(ca, { crlNumber: 10, entries: [revokedEntry(leafSerial, "certificateHold")], freshestCrlUrls: ["http://crl.test/ca-delta.crl"] });
    const release = await crl(ca, { crlNumber: 11, deltaOf: 10, entries: [revokedEntry(leafSerial, "removeFromCRL")] });
    const revoke = await crl(ca, { crlNumber: 11, deltaOf: 10, entries: [revokedEntry(leafSerial, "keyCompromise")] });
    const anchors = writePem(dir, "root.pem", root.certificate);
    const chain = writePem(dir, "ca.pem", ca.certificate);
    const leafPath = writePem(dir, "leaf.pem", leaf);
    const rootCrl = writeCrlPem(dir, "root.crl", await crl(root));
    const judge = (...crls: ArrayBuffer[]) =>
      openssl([
        "verify",
        "-attime",
        String(Math.floor(AT.getTime() / 1000)),
        "-crl_check_all",
        "-extended_crl",
        "-use_deltas",
        "-CAfile",
        anchors,
        "-untrusted",
        chain,
        "-CRLfile",
        rootCrl,
        ...crls.flatMap((c, i) => ["-CRLfile", writeCrlPem(dir, `c${i}-${Math.random()}.crl`, c)]),
        leafPath,
      ]);
    const held = judge(base);
    expect(held.status, held.out).not.toBe(0);
    expectRevoked(await status([base]), "certificateHold");
    const released = judge(base, release);
    expect(released.status, released.out).toBe(0);
    expectGood(await status([base, release]));
    const revoked = judge(base, revoke);
    expect(revoked.status, revoked.out).not.toBe(0);
    expectRevoked(await status([base, revoke]), "keyCompromise");
  });
});

describe("CrlFacts", () => {
  it("parses once per content, accepts PEM, keeps entries by serial, refuses what is not a CRL", async () => {
    const der = new Uint8Array(await crl(ca, { crlNumber: 77, entries: [revokedEntry(leafSerial, "superseded"), revokedEntry("0a")] }));
    const facts = CrlFacts.of(der);
    expect(CrlFacts.of(der.slice())).toBe(facts);
    expect(CrlFacts.of(new TextEncoder().encode(toPem(der, "X509 CRL"))).crlNumber).toBe(77n);
    expect(facts.size).toBe(2);
    expect(facts.entryFor(CertificateFacts.of(leaf))).toMatchObject({ serialHex: leafSerial, reason: "superseded" });
    expect(facts.isDelta).toBe(false);
    expect(facts.unusable).toBeUndefined();
    expect(() => CrlFacts.of(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01))).toThrow(expect.objectContaining({ code: "bad-crl" }));
    expect(() => CrlFacts.of(der.subarray(0, der.length - 1))).toThrow(expect.objectContaining({ code: "bad-crl" }));
  });

  it("reads a 20,000-entry CRL (the asn1-schema reader it replaces stopped at its node limit)", async () => {
    const entries = Array.from({ length: 20_000 }, (_, i) => revokedEntry((0x100000 + i).toString(16), "superseded"));
    entries.push(revokedEntry(leafSerial, "privilegeWithdrawn"));
    const der = new Uint8Array(await crl(ca, { entries }));
    const facts = CrlFacts.of(der);
    expect(facts.size).toBe(20_001);
    expect(facts.entryFor(CertificateFacts.of(leaf))?.reason).toBe("privilegeWithdrawn");
    expectRevoked(await status([der.buffer]), "privilegeWithdrawn");
  });

  it("a CRL set with a CRL that is not DER names it in the undetermined answer and uses the others", async () => {
    const checker = createCrlSetChecker([Uint8Array.of(0x30, 0x00), new Uint8Array(await crl(ca))]);
    expectGood(await status([], { checker }));
    const alone = createCrlSetChecker([Uint8Array.of(0x30, 0x00)]);
    expectUndetermined(await status([], { checker: alone }), /CRL 1 of the set was not read/);
  });
});

describe("createHttpRevocationChecker on the same engine", () => {
  it("fetches the DP once per URL, the delta through freshestCRL, and says why when undetermined", async () => {
    const calls: string[] = [];
    const base = await crl(ca, { crlNumber: 10, freshestCrlUrls: ["http://crl.test/ca-delta.crl"] });
    const delta = await crl(ca, { crlNumber: 11, deltaOf: 10, entries: [revokedEntry(leafSerial, "cessationOfOperation")] });
    let deltaUp = true;
    const fetchFn = (async (input: string | URL | Request) => {
      const url = String(input);
      calls.push(url);
      if (url === CRL_URL) return new Response(base);
      if (url === "http://crl.test/ca-delta.crl" && deltaUp) return new Response(delta);
      return new Response("gone", { status: 404 });
    }) as typeof fetch;
    const checker = createHttpRevocationChecker(fetchFn, { crlOnly: true });
    expectRevoked(await status([], { checker }), "cessationOfOperation");
    expect(calls).toEqual([CRL_URL, "http://crl.test/ca-delta.crl"]);
    deltaUp = false;
    const fresh = createHttpRevocationChecker(fetchFn, { crlOnly: true });
    expectGood(await status([], { checker: fresh }));
    const noDp = await issueLeaf(ca, "No DP TEST");
    expectUndetermined(await status([], { checker: fresh, cert: noDp }), /no http CRL distribution point/);
    // Two checks of the same DP: one fetch.
    calls.length = 0;
    await Promise.all([status([], { checker: fresh }), status([], { checker: fresh })]);
    expect(calls.filter((u) => u === CRL_URL)).toHaveLength(0);
  });
});
