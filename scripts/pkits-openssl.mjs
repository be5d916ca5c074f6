#!/usr/bin/env node
/**
 * Runs every NIST PKITS case of test/fixtures/pkits/cases.json through `openssl verify` (trust anchor as -CAfile,
 * intermediates -untrusted, the case's CRLs -CRLfile with -crl_check_all -extended_crl -use_deltas, -policy_check and
 * the case's RFC 5280 §6.1.1 inputs as -policy / -explicit_policy / -inhibit_map / -inhibit_any, at 2011-04-15) and
 * records where OpenSSL and PKITS agree. PKITS's expectations are the judge; this is a second opinion, not a test.
 *
 *   node scripts/pkits-openssl.mjs [--out test/fixtures/pkits/openssl.json]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIR = join(root, "test/fixtures/pkits");
const AT = Math.floor(Date.parse("2011-04-15T00:00:00Z") / 1000);
const outArg = process.argv.indexOf("--out");
const out = outArg > 0 ? process.argv[outArg + 1] : join(DIR, "openssl.json");

const cases = JSON.parse(readFileSync(join(DIR, "cases.json"), "utf8"));
const tmp = mkdtempSync(join(tmpdir(), "dpclab-pkits-openssl-"));
const pem = new Map();
const toPem = (kind, name) => {
  const key = `${kind}/${name}`;
  if (!pem.has(key)) {
    const file = join(DIR, kind === "x509" ? "certs" : "crls", `${name}.${kind === "x509" ? "crt" : "crl"}`);
    pem.set(key, execFileSync("openssl", [kind, "-inform", "DER", "-in", file], { encoding: "utf8" }));
  }
  return pem.get(key);
};

const version = execFileSync("openssl", ["version"], { encoding: "utf8" }).trim();
const results = {};
let agree = 0;
try {
  for (const c of cases) {
    const [anchor, ...rest] = c.certs;
    const leaf = rest.pop();
    const write = (name, text) => {
      const path = join(tmp, name);
      writeFileSync(path, text);
      return path;
    };
    const args = ["verify", "-CAfile", write("anchor.pem", toPem("x509", anchor)), "-attime", String(AT), "-policy_check"];
    if (rest.length) args.push("-untrusted", write("untrusted.pem", rest.map((n) => toPem("x509", n)).join("")));
    if (c.crls.length) {
      args.push("-CRLfile", write("crls.pem", c.crls.map((n) => toPem("crl", n)).join("")), "-crl_check_all", "-extended_crl", "-use_deltas");
    }
    // The user-initial-policy-set, anyPolicy included: OpenSSL takes no -policy as an empty set under -explicit_policy.
    for (const p of c.initialPolicySet) args.push("-policy", p);
    if (c.initialExplicitPolicy) args.push("-explicit_policy");
    if (c.initialPolicyMappingInhibit) args.push("-inhibit_map");
    if (c.initialAnyPolicyInhibit) args.push("-inhibit_any");
    args.push(write("leaf.pem", toPem("x509", leaf)));
    const r = spawnSync("openssl", args, { encoding: "utf8" });
    const valid = r.status === 0;
    const error = /error \d+ at \d+ depth lookup: (.*)/.exec(`${r.stdout}${r.stderr}`)?.[1];
    results[c.id] = { pkits: c.valid ? "valid" : "invalid", openssl: valid ? "valid" : `invalid${error ? ` (${error})` : ""}`, agrees: valid === c.valid };
    if (valid === c.valid) agree++;
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const disagree = Object.entries(results).filter(([, r]) => !r.agrees);
const summary = { openssl: version, at: "2011-04-15T00:00:00Z", cases: cases.length, agree, disagree: disagree.length };
writeFileSync(out, `${JSON.stringify({ summary, disagreements: Object.fromEntries(disagree), results }, null, 2)}\n`);
console.log(`OpenSSL (${version}) agrees with PKITS on ${agree} of ${cases.length}; ${disagree.length} disagree: ${disagree.map(([id]) => id).join(", ")}`);
console.log(`wrote ${out}`);
