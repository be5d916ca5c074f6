#!/usr/bin/env node
/**
 * Writes test/fixtures/pkits/cases.json: the 249 NIST PKITS 1.0.1 cases (certificates trust anchor first … leaf last,
 * CRLs, expected result and the RFC 5280 §6.1.1 inputs each case uses), read from the test descriptions BoringSSL
 * generated from PKITS.pdf (pki/testdata/nist-pkits/pkits_testcases-inl.h). Only the facts are taken.
 *
 *   node scripts/pkits-cases.mjs [/path/to/pkits_testcases-inl.h]
 * Without a path the header is read from the local BoringSSL mirror (git show HEAD:…).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const MIRROR = "/work/.mirror/google+boringssl/repo";
const HEADER = "pki/testdata/nist-pkits/pkits_testcases-inl.h";
const text = process.argv[2]
  ? readFileSync(process.argv[2], "utf8")
  : execFileSync("git", ["-C", MIRROR, "show", `HEAD:${HEADER}`], { encoding: "utf8", maxBuffer: 1 << 24 });

const ANY_POLICY = "2.5.29.32.0";
/** PKITS.pdf §3: NIST-test-policy-N is 2.16.840.1.101.3.2.1.48.N. */
const policyOids = (list) =>
  list === ""
    ? []
    : list.split(",").map((name) => {
        if (name === "anyPolicy") return ANY_POLICY;
        const m = /^NIST-test-policy-(\d+)$/.exec(name);
        if (!m) throw new Error(`unknown policy name ${name}`);
        return `2.16.840.1.101.3.2.1.48.${m[1]}`;
      });
const strings = (body) => [...body.matchAll(/"([^"]*)"/g)].map((m) => m[1]);

const cases = [];
const block = /\/\/ (4\.\d+\.\d+) ([^\n]+)\nWRAPPED_TYPED_TEST_P\([^)]*\)\s*\{([\s\S]*?)\n\}/g;
for (const [, number, title, body] of text.matchAll(block)) {
  const certs = strings(/certs\[\]\s*=\s*\{([^}]*)\}/.exec(body)?.[1] ?? "");
  const crls = strings(/crls\[\]\s*=\s*\{([^}]*)\}/.exec(body)?.[1] ?? "");
  const testNumber = /info\.test_number = "([^"]+)"/.exec(body)?.[1];
  const valid = /info\.should_validate = (true|false)/.exec(body)?.[1];
  if (!testNumber?.startsWith(number) || valid === undefined || certs.length < 2) throw new Error(`cannot read case ${number} ${title}`);
  const call = (name) => new RegExp(`info\\.${name}\\(([^)]*)\\)`).exec(body)?.[1];
  const subpart = /\(Subpart (\d+)\)$/.exec(title)?.[1];
  const initialPolicySet = call("SetInitialPolicySet");
  const userSet = call("SetUserConstrainedPolicySet");
  const entry = {
    id: testNumber !== number ? testNumber : subpart ? `${number}.${subpart}` : number,
    section: number,
    name: title,
    certs,
    crls,
    valid: valid === "true",
    initialPolicySet: initialPolicySet === undefined ? [ANY_POLICY] : policyOids(JSON.parse(initialPolicySet)),
    initialExplicitPolicy: call("SetInitialExplicitPolicy") === "true",
    initialPolicyMappingInhibit: call("SetInitialPolicyMappingInhibit") === "true",
    initialAnyPolicyInhibit: call("SetInitialInhibitAnyPolicy") === "true",
    /**
     * PKITS's expected user-constrained-policy-set (RFC 5280 §6.1.5(g)) for a valid path; where PKITS.pdf names none,
     * {NIST-test-policy-1}, the policy of the suite's ordinary certificates.
     */
    userConstrainedPolicySet: userSet === undefined ? policyOids("NIST-test-policy-1") : policyOids(JSON.parse(userSet)),
  };
  cases.push(entry);
}
const ids = new Set(cases.map((c) => c.id));
if (cases.length !== 249 || ids.size !== 249) throw new Error(`expected 249 distinct cases, read ${cases.length} (${ids.size} ids)`);
for (const c of cases) {
  for (const f of c.certs) if (!existsSync(join(root, "test/fixtures/pkits/certs", `${f}.crt`))) throw new Error(`${c.id}: no cert ${f}`);
  for (const f of c.crls) if (!existsSync(join(root, "test/fixtures/pkits/crls", `${f}.crl`))) throw new Error(`${c.id}: no CRL ${f}`);
}
const out = join(root, "test/fixtures/pkits/cases.json");
writeFileSync(out, `${JSON.stringify(cases, null, 1)}\n`);
console.log(`wrote ${cases.length} cases to ${out}`);
