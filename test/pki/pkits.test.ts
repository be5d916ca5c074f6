/**
 * NIST PKITS 1.0.1 (Public Key Interoperability Test Suite), all 249 cases, against validatePath with the CRLs each case
 * names. Data: test/fixtures/pkits (README there names the source); the expected results are PKITS.pdf's.
 *
 * - A case in known-gaps.json is one where dpclab does not agree with PKITS yet: the test asserts it still disagrees,
 *   so whoever fixes it must remove it from the list (the list can only shrink).
 * - A case in unsupported.json uses an algorithm outside dpclab's CERT-12 set (DSA): it must be refused with reason
 *   "unsupported-algorithm", whatever PKITS expects.
 * - Every other case must agree with PKITS.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import { afterAll, describe, expect, it } from "vitest";
import {
  type CertificateFacts,
  OIDS,
  type PathValidationInput,
  type PathValidationResult,
  type RevocationCheck,
  type RevocationChecker,
  revocationReasonFromCode,
  validatePath,
} from "../../src/pki/index.js";
import { verifyData } from "../../src/pki/signature.js";

const DIR = join(import.meta.dirname, "../fixtures/pkits");

interface PkitsCase {
  id: string;
  section: string;
  name: string;
  /** Trust anchor first … leaf last (file names under certs/ without .crt). */
  certs: string[];
  /** File names under crls/ without .crl. */
  crls: string[];
  valid: boolean;
  initialPolicySet: string[];
  initialExplicitPolicy: boolean;
  initialPolicyMappingInhibit: boolean;
  initialAnyPolicyInhibit: boolean;
  userConstrainedPolicySet: string[];
}

const PKITS_CASES: PkitsCase[] = JSON.parse(readFileSync(join(DIR, "cases.json"), "utf8"));
const KNOWN_GAPS: Record<string, string> = JSON.parse(readFileSync(join(DIR, "known-gaps.json"), "utf8"));
const UNSUPPORTED: Record<string, string> = JSON.parse(readFileSync(join(DIR, "unsupported.json"), "utf8"));

/** Inside every PKITS certificate's validity (2010-01-01 … 2030-12-31) and every current CRL's. */
const PKITS_AT = new Date("2011-04-15T00:00:00Z");
const ANY_POLICY = "2.5.29.32.0";
/** NIST-test-policy-1 … 10 (PKITS.pdf §3) and anyPolicy: "some policy", for initial-explicit-policy alone on today's API. */
const EVERY_PKITS_POLICY = [...Array.from({ length: 10 }, (_, i) => `2.16.840.1.101.3.2.1.48.${i + 1}`), ANY_POLICY];

const pkitsCert = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, "certs", `${name}.crt`)));
const pkitsCrl = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, "crls", `${name}.crl`)));

/** The RFC 5280 §6.1.1 inputs (c), (e), (f), (g): the contract with src/pki/path-validation.ts. */
interface Rfc5280Inputs {
  initialPolicySet: string[];
  initialExplicitPolicy: boolean;
  initialPolicyMappingInhibit: boolean;
  initialAnyPolicyInhibit: boolean;
}

/**
 * While validatePath knows only `requiredPolicyOids` (today), a restricted initial policy set or initial-explicit-policy
 * is mapped onto it (the leaf must assert one of them, every CA allow it). Set to true when validatePath takes the
 * §6.1.1 inputs itself; the adapter is then not used.
 */
const VALIDATE_PATH_TAKES_6_1_1_INPUTS = false;

/**
 * src/pki/crl-checker.ts's createCrlSetChecker(crls) when it exists, else the minimal one in this directory (CRLs by
 * issuer name and signature, no IDP, delta or indirect CRLs).
 */
async function crlSetChecker(): Promise<(crls: readonly Uint8Array[]) => RevocationChecker> {
  const modulePath = "../../src/pki/crl-checker.js";
  try {
    const mod = (await import(/* @vite-ignore */ modulePath)) as { createCrlSetChecker?: (crls: readonly Uint8Array[]) => RevocationChecker };
    if (mod.createCrlSetChecker) return mod.createCrlSetChecker;
  } catch {
    // not there yet
  }
  return minimalCrlSetChecker;
}

type Outcome = PathValidationResult | { ok: false; threw: string };

async function runPkitsCase(c: PkitsCase, createChecker: (crls: readonly Uint8Array[]) => RevocationChecker): Promise<Outcome> {
  const certs = c.certs.map(pkitsCert);
  const inputs: Rfc5280Inputs = {
    initialPolicySet: c.initialPolicySet,
    initialExplicitPolicy: c.initialExplicitPolicy,
    initialPolicyMappingInhibit: c.initialPolicyMappingInhibit,
    initialAnyPolicyInhibit: c.initialAnyPolicyInhibit,
  };
  const restricted = !(c.initialPolicySet.length === 1 && c.initialPolicySet[0] === ANY_POLICY);
  const legacy: Pick<PathValidationInput, "requiredPolicyOids"> =
    !VALIDATE_PATH_TAKES_6_1_1_INPUTS && (restricted || c.initialExplicitPolicy)
      ? { requiredPolicyOids: restricted ? c.initialPolicySet : EVERY_PKITS_POLICY }
      : {};
  const input: PathValidationInput & Rfc5280Inputs = {
    leaf: certs[certs.length - 1]!,
    intermediates: certs.slice(1, -1),
    trustAnchors: [certs[0]!],
    at: PKITS_AT,
    ...inputs,
    ...legacy,
    revocation: createChecker(c.crls.map(pkitsCrl)),
  };
  try {
    return await validatePath(input);
  } catch (e) {
    return { ok: false, threw: String((e as Error).stack ?? e) };
  }
}

/** Whether dpclab's answer agrees with PKITS (for unsupported cases: refused for the algorithm). */
function agrees(c: PkitsCase, r: Outcome, unsupported = c.id in UNSUPPORTED): boolean {
  if ("threw" in r) return false; // a validator answers; it does not throw
  if (unsupported) return !r.ok && (r.reason as string) === "unsupported-algorithm";
  if (r.ok !== c.valid) return false;
  // A valid path also agrees on the user-constrained policy set (§6.1.5(g)), once validatePath reports it.
  const reported = r.ok ? (r as { validPolicies?: readonly string[] }).validPolicies : undefined;
  return reported === undefined || sameSet(reported, c.userConstrainedPolicySet);
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

const describeResult = (r: Outcome) =>
  "threw" in r
    ? `a throw: ${r.threw}`
    : r.ok
      ? `valid${"validPolicies" in r ? ` for ${(r as { validPolicies: string[] }).validPolicies.join(", ") || "no policy"}` : ""}`
      : `invalid (${r.reason}: ${r.detail})`;

/**
 * Minimal RFC 5280 §6.3 over a fixed set of CRLs, for this harness only until src/pki/crl-checker.ts lands: the CRLs
 * whose issuer is the certificate's issuer's subject and whose signature verifies with its key (and, when it has a
 * keyUsage, cRLSign), current at `at`; the certificate's serial on any of them is "revoked". No issuingDistributionPoint,
 * delta, indirect or separately signed CRLs, no critical-extension checks: those are item 2's.
 */
function minimalCrlSetChecker(crls: readonly Uint8Array[]): RevocationChecker {
  const parsed = crls.map((der) => {
    const list = AsnConvert.parse(der, asn1X509.CertificateList);
    return {
      list,
      issuerHex: Buffer.from(AsnConvert.serialize(list.tbsCertList.issuer)).toString("hex"),
      tbs: new Uint8Array(list.tbsCertListRaw ?? AsnConvert.serialize(list.tbsCertList)),
    };
  });
  return {
    async check(cert: CertificateFacts, issuer: CertificateFacts, at: Date): Promise<RevocationCheck> {
      const usable = parsed.filter((p) => {
        if (p.issuerHex !== issuer.subjectHex) return false;
        if (issuer.keyUsage && !issuer.keyUsage.has("cRLSign")) return false;
        if (!verifyData(p.list.signatureAlgorithm, issuer.publicKey, p.tbs, p.list.signature)) return false;
        const t = p.list.tbsCertList;
        return t.thisUpdate.getTime().getTime() <= at.getTime() && (!t.nextUpdate || t.nextUpdate.getTime().getTime() >= at.getTime());
      });
      if (!usable.length) return { error: `no current CRL signed by "${issuer.subject}"` };
      for (const p of usable) {
        for (const entry of p.list.tbsCertList.revokedCertificates ?? []) {
          if (Buffer.from(entry.userCertificate).toString("hex") !== cert.serialHex) continue;
          const reasonExt = entry.crlEntryExtensions?.find((e) => e.extnID === OIDS.crlReason);
          const code = reasonExt ? AsnConvert.parse(reasonExt.extnValue.buffer, asn1X509.CRLReason).reason : 0;
          return { status: { status: "revoked", revokedAt: entry.revocationDate.getTime(), reason: revocationReasonFromCode(code) }, source: "crl" };
        }
      }
      return { status: { status: "good" }, source: "crl" };
    },
  };
}

describe("NIST PKITS 1.0.1", () => {
  const tally = { agree: 0, gaps: 0, unsupported: 0, unexpected: 0 };
  /** PKITS_DUMP=file.json: every case's outcome, for whoever is working through the gaps. */
  const dump: Record<string, { expected: string; agrees: boolean; outcome: string }> = {};
  let createChecker: (crls: readonly Uint8Array[]) => RevocationChecker;

  it("the manifest has all 249 cases, and the gap and unsupported lists name only cases", async () => {
    expect(PKITS_CASES).toHaveLength(249);
    expect(new Set(PKITS_CASES.map((c) => c.id)).size).toBe(249);
    const ids = new Set(PKITS_CASES.map((c) => c.id));
    expect(Object.keys(KNOWN_GAPS).filter((id) => !ids.has(id))).toEqual([]);
    expect(Object.keys(UNSUPPORTED).filter((id) => !ids.has(id))).toEqual([]);
    for (const why of [...Object.values(KNOWN_GAPS), ...Object.values(UNSUPPORTED)]) expect(why.length).toBeGreaterThan(10);
    createChecker = await crlSetChecker();
  });

  it.each(PKITS_CASES.map((c) => [`${c.id} ${c.name}`, c] as const))("%s", async (_title, c) => {
    createChecker ??= await crlSetChecker();
    const r = await runPkitsCase(c, createChecker);
    const ok = agrees(c, r);
    const expected =
      c.id in UNSUPPORTED ? 'refused: "unsupported-algorithm"' : c.valid ? `valid for ${c.userConstrainedPolicySet.join(", ") || "no policy"}` : "invalid";
    dump[c.id] = { expected, agrees: ok, outcome: describeResult(r) };
    if (c.id in KNOWN_GAPS) {
      if (ok) tally.unexpected++;
      expect(ok, `${c.id} now agrees with PKITS (${describeResult(r)}): remove it from test/fixtures/pkits/known-gaps.json`).toBe(false);
      tally.gaps++;
      return;
    }
    if (!ok) tally.unexpected++;
    expect(ok, `${c.id}: PKITS expects ${expected}, dpclab says ${describeResult(r)}`).toBe(true);
    if (c.id in UNSUPPORTED) tally.unsupported++;
    else tally.agree++;
  });

  afterAll(() => {
    if (process.env.PKITS_DUMP) writeFileSync(process.env.PKITS_DUMP, `${JSON.stringify(dump, null, 2)}\n`);
    console.log(
      `PKITS: ${tally.agree} agree, ${tally.gaps} known gaps, ${tally.unsupported} unsupported (refused as expected)` +
        `${tally.unexpected ? `, ${tally.unexpected} UNEXPECTED` : ""} of ${PKITS_CASES.length}`,
    );
  });
});
