/**
 * NIST PKITS 1.0.1 (Public Key Interoperability Test Suite), all 249 cases, against validatePath with the CRLs each case
 * names (src/pki/crl-checker.ts createCrlSetChecker). Data: test/fixtures/pkits (README there names the source); the
 * expected results are PKITS.pdf's, the user-constrained policy set of valid paths included.
 *
 * - A case in known-gaps.json is one where dpclab does not agree with PKITS yet: the test asserts it still disagrees,
 *   so whoever fixes it must remove it from the list (the list can only shrink).
 * - A case in unsupported.json uses an algorithm outside dpclab's CERT-12 set (DSA): it must be refused with reason
 *   "unsupported-algorithm", whatever PKITS expects.
 * - Every other case must agree with PKITS.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCrlSetChecker, type PathValidationInput, type PathValidationResult, validatePath } from "../../src/pki/index.js";

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

const pkitsCert = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, "certs", `${name}.crt`)));
const pkitsCrl = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, "crls", `${name}.crl`)));

type Outcome = PathValidationResult | { ok: false; threw: string };

async function runPkitsCase(c: PkitsCase): Promise<Outcome> {
  const certs = c.certs.map(pkitsCert);
  const input: PathValidationInput = {
    leaf: certs[certs.length - 1]!,
    intermediates: certs.slice(1, -1),
    trustAnchors: [certs[0]!],
    at: PKITS_AT,
    // The RFC 5280 §6.1.1 inputs (c), (e), (f), (g) of the case.
    initialPolicySet: c.initialPolicySet,
    initialExplicitPolicy: c.initialExplicitPolicy,
    initialPolicyMappingInhibit: c.initialPolicyMappingInhibit,
    initialAnyPolicyInhibit: c.initialAnyPolicyInhibit,
    revocation: createCrlSetChecker(c.crls.map(pkitsCrl)),
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
  if (unsupported) return !r.ok && r.reason === "unsupported-algorithm";
  if (r.ok !== c.valid) return false;
  // A valid path also agrees on the user-constrained policy set (§6.1.5(g)).
  return !r.ok || sameSet(r.validPolicies, c.userConstrainedPolicySet);
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

const describeResult = (r: Outcome) =>
  "threw" in r ? `a throw: ${r.threw}` : r.ok ? `valid for ${r.validPolicies.join(", ") || "no policy"}` : `invalid (${r.reason}: ${r.detail})`;

describe("NIST PKITS 1.0.1", () => {
  const tally = { agree: 0, gaps: 0, unsupported: 0, unexpected: 0 };
  /** PKITS_DUMP=file.json: every case's outcome, for whoever is working through the gaps. */
  const dump: Record<string, { expected: string; agrees: boolean; outcome: string }> = {};

  it("the manifest has all 249 cases, and the gap and unsupported lists name only cases", async () => {
    expect(PKITS_CASES).toHaveLength(249);
    expect(new Set(PKITS_CASES.map((c) => c.id)).size).toBe(249);
    const ids = new Set(PKITS_CASES.map((c) => c.id));
    expect(Object.keys(KNOWN_GAPS).filter((id) => !ids.has(id))).toEqual([]);
    expect(Object.keys(UNSUPPORTED).filter((id) => !ids.has(id))).toEqual([]);
    for (const why of [...Object.values(KNOWN_GAPS), ...Object.values(UNSUPPORTED)]) expect(why.length).toBeGreaterThan(10);
  });

  it.each(PKITS_CASES.map((c) => [`${c.id} ${c.name}`, c] as const))("%s", async (_title, c) => {
    const r = await runPkitsCase(c);
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
