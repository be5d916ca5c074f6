import { readFileSync } from "node:fs";
import { systemClock } from "../../clock.js";
import { DpclabError } from "../../errors.js";
import {
  CertificateFacts,
  createCrlSetChecker,
  createHttpRevocationChecker,
  type PathValidationInput,
  type PathValidationResult,
  POLICY_NAMES,
  type RevocationChecker,
  validatePath,
} from "../../pki/index.js";
import { PemConverter } from "../../x509.js";
import { parseFlags, requireFlag } from "../args.js";

const ANY_POLICY = "2.5.29.32.0";
const USAGE = "dpclab validate CERT.pem --chain FILE [--trust-anchor FILE] [--policy OID]... [--crl FILE]... [--ocsp] [--at TIME] [--json]";

/** The RFC 5280 §6.1 step each failure reason comes from, for users who read the RFC beside the output. */
const RFC5280_STEP: Record<string, string> = {
  "no-path": "§6.1 (no path to a trust anchor could be built)",
  "untrusted-root": "§6.1.1(d) (trust anchor information)",
  "signature-invalid": "§6.1.3(a)(1) (signature)",
  expired: "§6.1.3(a)(2) (validity)",
  "not-yet-valid": "§6.1.3(a)(2) (validity)",
  "name-chaining": "§6.1.3(a)(4) (issuer name chaining)",
  "not-a-ca": "§6.1.4(k), (l), (m) (basicConstraints, pathLenConstraint)",
  "key-usage": "§6.1.4(n) (keyUsage keyCertSign) / §6.1.5 (the leaf's key usage)",
  policy: "§6.1.3(d)–(f), §6.1.4(a)–(j), §6.1.5(g) (certificate policies)",
  "name-constraints": "§6.1.3(b), (c), §6.1.4(g) (name constraints)",
  "unknown-critical-extension": "§6.1.4(o), §6.1.5(f) (unrecognised critical extensions)",
  "unsupported-algorithm": "§6.1.3(a)(1) (signature: an algorithm outside CERT-12)",
  "invalid-certificate": "§4 (a certificate the profile does not allow)",
  revoked: "§6.1.3(a)(3) (revocation status)",
  "revocation-unavailable": "§6.1.3(a)(3), §6.3.3(k) (revocation status undetermined)",
};

/** What `--json` prints: a stable shape, whatever validatePath grows. */
export interface ValidateJson {
  valid: boolean;
  at: string;
  /** Leaf first, trust anchor last (valid paths only). */
  path: { subject: string; issuer: string; serialNumber: string; notAfter: string }[];
  validPolicies: string[];
  revocation: { checked: boolean; method: "crl" | "ocsp" | "none"; detail: string; checks: { subject: string; serialNumber: string; source: string }[] };
  failure?: { reason: string; rfc5280: string; detail: string };
}

/**
 * `dpclab validate`: RFC 5280 path validation of a real chain (src/pki/path-validation.ts), as a command. Exit 0 when
 * the path is valid, 1 when it is not (the reason, the §6.1 step and the detail), 2 for a usage error. Revocation is
 * checked only when asked (--crl files, or --ocsp at the certificates' AIA URLs with the CRL DP as fallback); without
 * either the output says it was NOT checked.
 */
export async function validateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      chain: { type: "string" },
      "trust-anchor": { type: "string" },
      policy: { type: "string", multiple: true },
      crl: { type: "string", multiple: true },
      ocsp: { type: "boolean" },
      at: { type: "string" },
      json: { type: "boolean" },
    },
    USAGE,
  );
  if (positionals.length !== 1) {
    throw new DpclabError(`${positionals.length ? "one certificate at a time" : "a certificate file is required"} (usage: ${USAGE})`, "usage");
  }
  const chainPath = requireFlag(values.chain, "--chain", USAGE);
  const policies = values.policy ?? [];
  for (const p of policies)
    if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(p)) throw new DpclabError(`--policy must be an OID such as 2.16.840.1.101.3.2.1.3.40 (got "${p}")`, "usage");
  const crlPaths = values.crl ?? [];
  if (crlPaths.length && values.ocsp) throw new DpclabError(`--crl and --ocsp are two ways to check revocation: choose one (usage: ${USAGE})`, "usage");
  let at = systemClock.now();
  if (values.at !== undefined) {
    at = new Date(values.at);
    if (!/^\d{4}-\d{2}-\d{2}/.test(values.at) || Number.isNaN(at.getTime())) {
      throw new DpclabError(`--at must be an ISO 8601 time such as 2026-06-01T00:00:00Z (got "${values.at}")`, "usage");
    }
  }

  const leaf = readCertificates(positionals[0] as string)[0] as CertificateFacts;
  const chain = readCertificates(chainPath);
  let anchors: CertificateFacts[];
  let intermediates: CertificateFacts[];
  if (values["trust-anchor"] !== undefined) {
    anchors = readCertificates(values["trust-anchor"]);
    intermediates = chain.filter((c) => !anchors.some((a) => sameDer(a, c)));
  } else {
    // Without --trust-anchor, the self-signed certificate(s) of the chain file are the anchor(s).
    anchors = chain.filter(selfSigned);
    if (!anchors.length) {
      throw new DpclabError(`${chainPath} has no self-signed certificate to trust: name the anchor with --trust-anchor (usage: ${USAGE})`, "usage");
    }
    intermediates = chain.filter((c) => !anchors.includes(c));
  }

  let revocation: RevocationChecker | undefined;
  let method: ValidateJson["revocation"]["method"] = "none";
  if (crlPaths.length) {
    revocation = createCrlSetChecker(crlPaths.flatMap(readCrls));
    method = "crl";
  } else if (values.ocsp) {
    revocation = createHttpRevocationChecker(fetch);
    method = "ocsp";
  }

  const input: PathValidationInput = {
    leaf,
    intermediates,
    trustAnchors: anchors,
    at,
    // --policy: the path must be valid for one of them (RFC 5280 §6.1.1(c) with initial-explicit-policy).
    ...(policies.length ? { initialPolicySet: policies, initialExplicitPolicy: true } : {}),
    ...(revocation ? { revocation } : {}),
  };
  const result = await validatePath(input);
  const out = describe(result, { at, method });
  if (values.json) console.log(JSON.stringify(out, null, 2));
  else console.log(humanText(out));
  return out.valid ? 0 : 1;
}

function describe(result: PathValidationResult, opts: { at: Date; method: ValidateJson["revocation"]["method"] }): ValidateJson {
  const notChecked = "revocation was NOT checked (give --crl FILE or --ocsp)";
  if (!result.ok) {
    return {
      valid: false,
      at: opts.at.toISOString(),
      path: [],
      validPolicies: [],
      revocation: {
        checked: false,
        method: opts.method,
        detail: opts.method === "none" ? notChecked : `${opts.method.toUpperCase()} checked: see the failure`,
        checks: [],
      },
      failure: { reason: result.reason, rfc5280: RFC5280_STEP[result.reason] ?? "§6.1", detail: result.detail },
    };
  }
  const r = result.revocation;
  const checks = r.checked ? r.checks : [];
  return {
    valid: true,
    at: opts.at.toISOString(),
    path: result.path.map((c) => ({ subject: c.subject, issuer: c.issuer, serialNumber: c.serialHex, notAfter: c.notAfter.toISOString() })),
    // The user-constrained policy set (RFC 5280 §6.1.5(g)); "2.5.29.32.0" is anyPolicy.
    validPolicies: result.validPolicies,
    revocation: {
      checked: r.checked,
      method: opts.method,
      detail: r.checked
        ? `every certificate below the anchor is good, per ${[...new Set(checks.map((c) => c.source.toUpperCase()))].join(" and ")}`
        : opts.method === "none"
          ? notChecked
          : `revocation was NOT checked: ${r.reason}`,
      checks: checks.map((c) => ({ subject: c.subject, serialNumber: c.serialNumber, source: c.source })),
    },
  };
}

function humanText(out: ValidateJson): string {
  const lines: string[] = [];
  if (out.valid) {
    lines.push(`VALID at ${out.at}${out.revocation.checked ? "" : " — but revocation was NOT checked"}`);
    lines.push("path (leaf → trust anchor):");
    out.path.forEach((c, i) => {
      const role = i === 0 ? "leaf" : i === out.path.length - 1 ? "anchor" : "CA";
      lines.push(`  ${i}. [${role}] ${c.subject} (serial ${c.serialNumber})`);
    });
    const named = (oid: string) => (oid === ANY_POLICY ? `${oid} (anyPolicy)` : POLICY_NAMES[oid] ? `${oid} (${POLICY_NAMES[oid]})` : oid);
    lines.push(`valid policies: ${out.validPolicies.length ? out.validPolicies.map(named).join(", ") : "none"}`);
  } else {
    const f = out.failure as NonNullable<ValidateJson["failure"]>;
    lines.push(`INVALID at ${out.at}: ${f.reason} — RFC 5280 ${f.rfc5280}`);
    lines.push(`  ${f.detail}`);
  }
  lines.push(`revocation: ${out.revocation.detail}`);
  for (const c of out.revocation.checks) lines.push(`  good: ${c.subject} (serial ${c.serialNumber}) per ${c.source.toUpperCase()}`);
  return lines.join("\n");
}

function readInput(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new DpclabError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, "bad-input");
  }
}

/** PEM blocks of one type, or the file itself as DER. */
function pemOrDer(bytes: Uint8Array, type: string, path: string, what: string): Uint8Array[] {
  const text = Buffer.from(bytes).toString("latin1");
  if (!text.includes("-----BEGIN ")) {
    if (bytes[0] !== 0x30) throw new DpclabError(`${path} is not a PEM or DER ${what}`, "bad-input");
    return [bytes];
  }
  let blocks: Uint8Array[];
  try {
    blocks = PemConverter.decodeWithHeaders(text)
      .filter((b) => b.type === type)
      .map((b) => new Uint8Array(b.rawData));
  } catch (error) {
    throw new DpclabError(`${path} is not a PEM ${what} (${(error as Error).message.split("\n")[0]})`, "bad-input");
  }
  if (!blocks.length) throw new DpclabError(`${path} has no ${type} block`, "bad-input");
  return blocks;
}

function readCertificates(path: string): CertificateFacts[] {
  return pemOrDer(readInput(path), "CERTIFICATE", path, "certificate").map((der, i) => {
    try {
      return CertificateFacts.fromDer(der);
    } catch (error) {
      throw new DpclabError(`${path}: certificate ${i + 1} does not parse (${(error as Error).message.split("\n")[0]})`, "bad-input");
    }
  });
}

function readCrls(path: string): Uint8Array[] {
  return pemOrDer(readInput(path), "X509 CRL", path, "CRL");
}

function selfSigned(c: CertificateFacts): boolean {
  try {
    return c.isSelfIssued && c.isSignedBy(c);
  } catch {
    return false;
  }
}

function sameDer(a: CertificateFacts, b: CertificateFacts): boolean {
  return a === b || Buffer.from(a.der).equals(Buffer.from(b.der));
}
