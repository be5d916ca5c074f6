import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import { derRead } from "../der.js";
import { algorithmDer, KEY_USAGE_NAMES, MAX_DERIVED_VALIDITY_DAYS, OIDS, POLICY_NAMES, publicKeyFromSpki, verifyData } from "../pki/index.js";
import { RsaAlgorithm, type X509Certificate } from "../x509.js";
import { type CertificateEvidence, describeCertificateEvidence } from "./certificate-evidence.js";
import { type Check, fail, notApplicable, pass, type Verdict, verdict } from "./check.js";
import type { ConformanceReport } from "./report.js";
import type { Edition } from "./rule.js";
import { runChecks } from "./run-checks.js";

/**
 * The Derived PIV Authentication certificate profile, docs/sp800-157.md §2 (CERT-01…CERT-14; fpkilint common-ssp 2.2
 * ssp-10-derived-piv-auth is the row-by-row authority the reference follows), plus the §1 rows a certificate alone
 * settles (DC-KEY-01 key algorithm, DC-LIFE-02 lifetime). Tests marked "chain" need --chain; without it they are
 * not applicable and say so.
 */

type E = CertificateEvidence;

const DAY_MS = 86_400_000;
/** CP v2.6 §6.1.5 / SP 800-78-5: RSA-2048 is not for use after this instant (CERT-13, DC-KEY-01). */
const END_OF_2030 = Date.UTC(2030, 11, 31, 23, 59, 59);
const NEEDS_CHAIN = "needs --chain (the issuing CA certificates and the trust anchor)";

const DOMAIN_COMPONENT = "0.9.2342.19200300.100.1.25";
const AT = { C: "2.5.4.6", O: "2.5.4.10", OU: "2.5.4.11", CN: "2.5.4.3", serialNumber: "2.5.4.5" };
const UUID_URN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** CERT-03: key purposes by fpkilint 2.2 ssp-10 value (2 required, 0 optional, 1 prohibited). */
const EKU_OPTIONAL: Record<string, string> = {
  [OIDS.pkinitClientAuth]: "pkinit-KPClientAuth",
  [OIDS.smartcardLogon]: "smartcardLogon",
  "1.3.6.1.5.5.7.3.21": "secureShellClient",
  "1.3.6.1.5.5.8.2.2": "ipsecIKEIntermediate",
  "1.3.6.1.5.5.7.3.5": "ipsecEndSystem",
  "1.3.6.1.5.5.7.3.6": "ipsecTunnel",
  "1.3.6.1.5.5.7.3.7": "ipsecUser",
};
const EKU_PROHIBITED: Record<string, string> = {
  "1.3.6.1.5.5.7.3.1": "serverAuth",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  [OIDS.emailProtection]: "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  [OIDS.ocspSigning]: "OCSPSigning",
  [OIDS.pivCardAuth]: "id-PIV-cardAuth",
  // "content signing": the PIV one (FIPS 201) and the PIV-I one fpkilint lists.
  [OIDS.pivContentSigning]: "id-PIV-content-signing",
  "2.16.840.1.101.3.8.7": "id-PIV-I-content-signing",
  "1.3.6.1.5.2.3.5": "pkinit-KPKdc",
  "1.3.6.1.4.1.311.10.3.12": "Microsoft document signing",
  "1.2.840.113583.1.1.5": "Adobe document signing",
  "1.3.6.1.4.1.311.10.3.4": "Microsoft EFS",
  "1.3.6.1.4.1.311.10.3.13": "Microsoft lifetime signing",
};

/** anyExtendedKeyUsage: not prohibited by the derived PIV Authentication worksheet (CERT-03), reported by CERT-03b. */
const ANY_EKU = "2.5.29.37.0";

/** CERT-10: prohibited extensions, and those the profile lists (any other may appear only non-critical). */
const EXT_PROHIBITED: Record<string, string> = {
  "2.5.29.18": "issuerAltName",
  "2.5.29.16": "privateKeyUsagePeriod",
  "1.3.6.1.5.5.7.1.11": "subjectInfoAccess",
  "2.5.29.33": "policyMappings",
  "2.5.29.36": "policyConstraints",
  "2.5.29.30": "nameConstraints",
  "2.5.29.54": "inhibitAnyPolicy",
  "1.3.6.1.5.5.7.48.1.5": "ocspNoCheck",
};
const SUBJECT_DIRECTORY_ATTRIBUTES = "2.5.29.9";
const EXT_IN_PROFILE = new Set<string>([
  OIDS.certificatePolicies,
  OIDS.keyUsage,
  OIDS.extKeyUsage,
  OIDS.subjectAltName,
  OIDS.authorityInfoAccess,
  OIDS.cRLDistributionPoints,
  OIDS.authorityKeyIdentifier,
  OIDS.subjectKeyIdentifier,
  OIDS.basicConstraints,
  OIDS.pivInterim,
  SUBJECT_DIRECTORY_ATTRIBUTES,
]);

/** CERT-12: permitted signature algorithms (RSASSA-PSS is checked separately for SHA-256). */
const SIGNATURE_ALGORITHMS: Record<string, string> = {
  [OIDS.sha256WithRSAEncryption]: "sha256WithRSAEncryption",
  [OIDS.sha384WithRSAEncryption]: "sha384WithRSAEncryption",
  [OIDS.sha512WithRSAEncryption]: "sha512WithRSAEncryption",
  [OIDS.ecdsaWithSHA256]: "ecdsa-with-SHA256",
  [OIDS.ecdsaWithSHA384]: "ecdsa-with-SHA384",
  [OIDS.ecdsaWithSHA512]: "ecdsa-with-SHA512",
};

// ——— reading the certificate ———

function extensionsOf(e: E): asn1X509.Extension[] {
  return e.asn.tbsCertificate.extensions ?? [];
}

function extension(e: E, oid: string): asn1X509.Extension | undefined {
  return extensionsOf(e).find((x) => x.extnID === oid);
}

function parseExtension<T>(x: asn1X509.Extension, type: new () => T): T {
  return AsnConvert.parse(x.extnValue.buffer, type);
}

const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString("hex");
const policyName = (oid: string) => (POLICY_NAMES[oid] ? `${POLICY_NAMES[oid]} (${oid})` : oid);
const scheme = (uri: string) => /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase() ?? "";

/** A required extension: present and with the criticality the profile demands, or the problem. */
function required(e: E, oid: string, name: string, critical: boolean): { x?: asn1X509.Extension; problems: string[] } {
  const x = extension(e, oid);
  if (!x) return { problems: [`no ${name} extension`] };
  const problems =
    x.critical === critical ? [] : [`${name} is ${x.critical ? "critical" : "non-critical"} (must be ${critical ? "critical" : "non-critical"})`];
  return { x, problems };
}

/** The CA certificates of the chain named as this certificate's issuer (CERT-07, CERT-12 chain tests). */
function issuersInChain(e: E): X509Certificate[] {
  if (!e.chain) return [];
  const issuer = Buffer.from(e.certificate.issuerName.toArrayBuffer());
  return [...e.chain.intermediates, e.chain.anchor].filter((c) => Buffer.from(c.subjectName.toArrayBuffer()).equals(issuer));
}

function authorityKeyId(e: E): string | undefined {
  const x = extension(e, OIDS.authorityKeyIdentifier);
  const keyId = x && parseExtension(x, asn1X509.AuthorityKeyIdentifier).keyIdentifier;
  return keyId ? hex(keyId.buffer) : undefined;
}

function subjectKeyIdOf(ca: X509Certificate): string | undefined {
  const value = ca.getExtension(OIDS.subjectKeyIdentifier)?.value;
  return value ? hex(AsnConvert.parse(value, asn1X509.SubjectKeyIdentifier).buffer) : undefined;
}

/** Whether the CA's key verifies the certificate's signature (false for algorithms outside CERT-12). */
function signedBy(e: E, ca: X509Certificate): boolean {
  const tbs = e.asn.tbsCertificateRaw ?? AsnConvert.serialize(e.asn.tbsCertificate);
  return verifyData(e.asn.signatureAlgorithm, publicKeyFromSpki(ca.publicKey.rawData), tbs, e.asn.signatureValue);
}

function validityDays(e: E): number {
  const v = e.asn.tbsCertificate.validity;
  return (v.notAfter.getTime().getTime() - v.notBefore.getTime().getTime()) / DAY_MS;
}

interface SubjectKey {
  algorithm: string;
  rsaBits?: number;
  rsaExponent?: bigint;
  curve?: string;
}

/** The subject key's algorithm and size, as node:crypto reads the SPKI. */
function subjectKey(e: E): SubjectKey {
  const spki = e.asn.tbsCertificate.subjectPublicKeyInfo;
  const algorithm = spki.algorithm.algorithm;
  if (algorithm !== OIDS.rsaEncryption && algorithm !== OIDS.ecPublicKey) return { algorithm };
  const details = publicKeyFromSpki(AsnConvert.serialize(spki)).asymmetricKeyDetails ?? {};
  return { algorithm, rsaBits: details.modulusLength, rsaExponent: details.publicExponent, curve: details.namedCurve };
}

function describeKey(k: SubjectKey): string {
  if (k.algorithm === OIDS.rsaEncryption) return `RSA-${k.rsaBits} (e=${k.rsaExponent})`;
  if (k.algorithm === OIDS.ecPublicKey) return `EC ${k.curve ?? "with explicit or unknown curve"}`;
  return `key algorithm ${k.algorithm}`;
}

const CURVES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384" };

/** piv-interim's value in either encoding seen in practice (catalogue CERT-09), or undefined when it is neither. */
function pivInterimValue(bytes: Uint8Array): { value: boolean; form: string } | undefined {
  const boolean = (b: Uint8Array, at: number, end: number) => {
    const node = derRead(b.subarray(at, end));
    if (node.tag !== 0x01 || node.end !== end - at || node.value.length !== 1) return undefined;
    return node.value[0] === 0xff ? true : node.value[0] === 0x00 ? false : undefined;
  };
  try {
    const bare = bytes[0] === 0x01 ? boolean(bytes, 0, bytes.length) : undefined;
    if (bare !== undefined) return { value: bare, form: "BOOLEAN (FIPS 201-3)" };
    const seq = derRead(bytes);
    if (seq.tag !== 0x30 || seq.end !== bytes.length) return undefined;
    const inner = boolean(seq.value, 0, seq.value.length);
    return inner === undefined ? undefined : { value: inner, form: "SEQUENCE { BOOLEAN }" };
  } catch {
    return undefined;
  }
}

// ——— the checks ———

function check(id: string, rule: string, title: string, judge: (e: E) => Verdict): Check<E> {
  return { id, rule, title, judge };
}

export const CERTIFICATE_CHECKS: readonly Check<E>[] = [
  check("T-CERT-01-1", "CERT-01", "certificatePolicies is present, non-critical, and asserts id-fpki-common-derived-pivAuth (.40) or -hardware (.41)", (e) => {
    const { x, problems } = required(e, OIDS.certificatePolicies, "certificatePolicies", false);
    if (!x) return fail(problems.join("; "));
    const policies = parseExtension(x, asn1X509.CertificatePolicies).map((p) => p.policyIdentifier);
    const derived: string[] = policies.filter((p) => p === OIDS.commonDerivedPivAuth || p === OIDS.commonDerivedPivAuthHardware);
    if (!derived.length) {
      problems.push(`asserts ${policies.map(policyName).join(", ") || "no policy"}, not a derived PIV Authentication policy (.40 or .41)`);
    }
    // fpkilint ssp-10 permits other policies beside the required one: reported, not failed.
    const others = policies.filter((p) => !derived.includes(p));
    return verdict(problems, `asserts ${derived.map(policyName).join(", ")}${others.length ? `; also ${others.map(policyName).join(", ")}` : ""}`);
  }),
  check(
    "T-CERT-01-2",
    "CERT-01",
    "chain: the derived policy is valid on an RFC 5280 path to the trust anchor (signatures, validity, name chaining, CA constraints, policy)",
    (e) => {
      if (!e.chain) return notApplicable(`path policy check ${NEEDS_CHAIN}`);
      const { path, anchor, validatedAt } = e.chain;
      const when = validatedAt.toISOString();
      if (!path.ok) return fail(`no valid path to "${anchor.subject}" with a derived PIV Authentication policy at ${when}: ${path.reason}: ${path.detail}`);
      return pass(`the derived policy is valid on the path ${path.path.map((c) => `"${c.subject}"`).join(" → ")} at ${when}`);
    },
  ),
  check("T-CERT-02-1", "CERT-02", "keyUsage is present, critical, and digitalSignature only", (e) => {
    const { x, problems } = required(e, OIDS.keyUsage, "keyUsage", true);
    if (!x) return fail(problems.join("; "));
    const flags = parseExtension(x, asn1X509.KeyUsage).toNumber();
    const usages = KEY_USAGE_NAMES.filter((_, i) => flags & (1 << i));
    if (usages.length !== 1 || usages[0] !== "digitalSignature") {
      problems.push(`keyUsage is ${usages.join(", ") || "empty"} (must be digitalSignature only: the key is used solely for authentication)`);
    }
    return verdict(problems, "keyUsage critical, digitalSignature");
  }),
  check(
    "T-CERT-03-1",
    "CERT-03",
    "extKeyUsage, if present, is non-critical, includes id-kp-clientAuth, and no prohibited purpose (serverAuth, emailProtection, …; anyEKU is CERT-03b's)",
    (e) => {
      const x = extension(e, OIDS.extKeyUsage);
      // The derived PIV Authentication worksheet makes extKeyUsage optional (catalogue CERT-03 amendment); CERT-03b reports it.
      if (!x) return pass("extKeyUsage absent (optional in the derived PIV Authentication worksheet; see CERT-03b)");
      const problems = x.critical ? ["extKeyUsage is critical (must be non-critical)"] : [];
      const purposes = [...parseExtension(x, asn1X509.ExtendedKeyUsage)];
      if (!purposes.includes(OIDS.clientAuth)) problems.push("extKeyUsage lacks id-kp-clientAuth (1.3.6.1.5.5.7.3.2)");
      const prohibited = purposes.filter((p) => EKU_PROHIBITED[p]);
      if (prohibited.length) problems.push(`prohibited key purpose(s): ${prohibited.map((p) => `${EKU_PROHIBITED[p]} (${p})`).join(", ")}`);
      const named = purposes.map((p) => (p === OIDS.clientAuth ? "clientAuth" : (EKU_OPTIONAL[p] ?? (p === ANY_EKU ? "anyExtendedKeyUsage" : p))));
      // fpkilint ssp-10 "other": 0 — purposes the profile does not name are optional.
      return verdict(problems, `extKeyUsage non-critical: ${named.join(", ")}`);
    },
  ),
  check("T-CERT-03a-1", "CERT-03a", "extKeyUsage includes id-pkinit-KPClientAuth (1.3.6.1.5.2.3.4)", (e) => {
    const x = extension(e, OIDS.extKeyUsage);
    if (!x) return fail("no extKeyUsage extension, so no id-pkinit-KPClientAuth");
    const purposes = [...parseExtension(x, asn1X509.ExtendedKeyUsage)];
    return purposes.includes(OIDS.pkinitClientAuth)
      ? pass("extKeyUsage includes id-pkinit-KPClientAuth")
      : fail(`extKeyUsage (${purposes.join(", ")}) lacks id-pkinit-KPClientAuth (1.3.6.1.5.2.3.4)`);
  }),
  check("T-CERT-03b-1", "CERT-03b", "extKeyUsage is present and does not include anyExtendedKeyUsage", (e) => {
    const x = extension(e, OIDS.extKeyUsage);
    if (!x) return fail("no extKeyUsage extension (required by the v2.x profile and CP v2.6 §6.1.7 after 2019-06-30)");
    const purposes = [...parseExtension(x, asn1X509.ExtendedKeyUsage)];
    return purposes.includes(ANY_EKU)
      ? fail("extKeyUsage includes anyExtendedKeyUsage (2.5.29.37.0), prohibited by the v2.x profile")
      : pass(`extKeyUsage present, ${purposes.length} purpose(s), no anyExtendedKeyUsage`);
  }),
  check("T-CERT-04-1", "CERT-04", "subjectAltName is present, non-critical, and holds a UUID as a urn:uuid: URI (RFC 4122)", (e) => {
    const { x, problems } = required(e, OIDS.subjectAltName, "subjectAltName", false);
    if (!x) return fail(problems.join("; "));
    const names = parseExtension(x, asn1X509.SubjectAlternativeName);
    const uuids = names.map((n) => n.uniformResourceIdentifier).filter((u): u is string => u !== undefined && /^urn:uuid:/i.test(u));
    if (!uuids.length) problems.push("subjectAltName has no urn:uuid: URI");
    for (const u of uuids.filter((u) => !UUID_URN.test(u))) problems.push(`"${u}" is not an RFC 4122 UUID URN`);
    const fascn = names.some((n) => n.otherName?.typeId === OIDS.pivFascN);
    return verdict(
      problems,
      `${uuids.join(", ")}${fascn ? "; FASC-N present (neither required nor prohibited)" : ""}; ` +
        "that the UUID is new for this certificate (not the card's) needs lifecycle evidence",
    );
  }),
  check(
    "T-CERT-05-1",
    "CERT-05",
    "authorityInfoAccess is present, non-critical; caIssuers has an http URI, in any position (no https/ldaps); OCSP is present, http not https",
    (e) => {
      const { x, problems } = required(e, OIDS.authorityInfoAccess, "authorityInfoAccess", false);
      if (!x) return fail(problems.join("; "));
      const access = parseExtension(x, asn1X509.AuthorityInfoAccessSyntax);
      const uris = (method: string) =>
        access
          .filter((a) => a.accessMethod === method)
          .flatMap((a) => (a.accessLocation.uniformResourceIdentifier ? [a.accessLocation.uniformResourceIdentifier] : []));
      const caIssuers = uris(OIDS.adCaIssuers);
      const ocsp = uris(OIDS.adOcsp);
      const firstHttp = caIssuers.findIndex((u) => scheme(u) === "http");
      if (!access.some((a) => a.accessMethod === OIDS.adCaIssuers)) problems.push("no caIssuers access description");
      else if (firstHttp < 0) problems.push(`no http caIssuers URI (has ${caIssuers.join(", ") || "none"})`);
      for (const u of caIssuers.filter((u) => ["https", "ldaps"].includes(scheme(u)))) problems.push(`caIssuers ${u} is ${scheme(u)} (prohibited)`);
      // The http URI must be present, not first (catalogue CERT-05 amendment: the worksheet does not order them).
      const firstLdap = caIssuers.findIndex((u) => scheme(u) === "ldap");
      const order = firstHttp >= 0 && firstLdap >= 0 && firstLdap < firstHttp ? " (LDAP listed before http: allowed)" : "";
      if (!ocsp.length) problems.push("no id-ad-ocsp URI (OCSP is required for derived PIV Authentication)");
      for (const u of ocsp.filter((u) => scheme(u) !== "http")) problems.push(`OCSP ${u} is not http`);
      return verdict(problems, `caIssuers ${caIssuers.join(", ")}${order}; OCSP ${ocsp.join(", ")}`);
    },
  ),
  check("T-CERT-06-1", "CERT-06", "cRLDistributionPoints is present, non-critical, with an http URI before any LDAP one, and no reasons or cRLIssuer", (e) => {
    const { x, problems } = required(e, OIDS.cRLDistributionPoints, "cRLDistributionPoints", false);
    if (!x) return fail(problems.join("; "));
    const points = parseExtension(x, asn1X509.CRLDistributionPoints);
    if (points.some((p) => p.reasons !== undefined)) problems.push("a distribution point has reasons (must be omitted)");
    if (points.some((p) => p.cRLIssuer !== undefined)) problems.push("a distribution point has cRLIssuer (must be omitted)");
    const uris = points.flatMap((p) =>
      (p.distributionPoint?.fullName ?? []).flatMap((n) => (n.uniformResourceIdentifier ? [n.uniformResourceIdentifier] : [])),
    );
    const firstHttp = uris.findIndex((u) => scheme(u) === "http");
    const firstLdap = uris.findIndex((u) => scheme(u) === "ldap");
    if (firstHttp < 0) problems.push(`no http CRL URI (has ${uris.join(", ") || "none"})`);
    else if (firstLdap >= 0 && firstLdap < firstHttp) problems.push("an LDAP CRL URI comes before the http one");
    return verdict(problems, `CRL ${uris.join(", ")}`);
  }),
  check(
    "T-CERT-07-1",
    "CERT-07",
    "authorityKeyIdentifier is present, non-critical, keyIdentifier form only; subjectKeyIdentifier is present, non-critical",
    (e) => {
      const aki = required(e, OIDS.authorityKeyIdentifier, "authorityKeyIdentifier", false);
      const ski = required(e, OIDS.subjectKeyIdentifier, "subjectKeyIdentifier", false);
      const problems = [...aki.problems, ...ski.problems];
      let seen = "";
      if (aki.x) {
        const value = parseExtension(aki.x, asn1X509.AuthorityKeyIdentifier);
        if (!value.keyIdentifier) problems.push("authorityKeyIdentifier has no keyIdentifier");
        if (value.authorityCertIssuer || value.authorityCertSerialNumber) problems.push("authorityKeyIdentifier uses issuer + serial (prohibited)");
        if (value.keyIdentifier) seen = `AKI ${hex(value.keyIdentifier.buffer)}`;
      }
      if (ski.x) seen += `${seen ? ", " : ""}SKI ${hex(parseExtension(ski.x, asn1X509.SubjectKeyIdentifier).buffer)}`;
      return verdict(problems, seen);
    },
  ),
  check("T-CERT-07-2", "CERT-07", "chain: the authorityKeyIdentifier equals the subjectKeyIdentifier of the CA whose key signed the certificate", (e) => {
    if (!e.chain) return notApplicable(`issuer key match ${NEEDS_CHAIN}`);
    const keyId = authorityKeyId(e);
    if (!keyId) return notApplicable("no AKI keyIdentifier to compare (see T-CERT-07-1)");
    // The issuer is the named CA whose key verifies the signature: a same-named CA of another PKI proves nothing.
    const signer = issuersInChain(e).find((c) => signedBy(e, c));
    if (!signer) return notApplicable(`no "${e.certificate.issuer}" in ${e.chain.label} verifies the signature, so the issuer is unknown`);
    const ski = subjectKeyIdOf(signer);
    if (!ski) return notApplicable(`the issuing CA "${signer.subject}" has no SKI`);
    return ski === keyId
      ? pass(`AKI ${keyId} is the SKI of "${signer.subject}"`)
      : fail(`AKI ${keyId} is not the SKI ${ski} of the signing CA "${signer.subject}"`);
  }),
  check("T-CERT-08-1", "CERT-08", "basicConstraints, if present, has neither cA=TRUE nor pathLenConstraint", (e) => {
    const x = extension(e, OIDS.basicConstraints);
    if (!x) return pass("basicConstraints absent (optional)");
    const bc = parseExtension(x, asn1X509.BasicConstraints);
    const problems: string[] = [];
    if (bc.cA) problems.push("basicConstraints cA=TRUE (prohibited in an end-entity certificate)");
    if (bc.pathLenConstraint !== undefined) problems.push(`basicConstraints has pathLenConstraint ${bc.pathLenConstraint} (prohibited)`);
    return verdict(problems, "basicConstraints cA=FALSE, no pathLenConstraint");
  }),
  check("T-CERT-09-1", "CERT-09", "piv-interim is present, non-critical, and a BOOLEAN (FIPS 201-3) or SEQUENCE { BOOLEAN }", (e) => {
    const x = extension(e, OIDS.pivInterim);
    if (!x) return fail("no piv-interim extension (2.16.840.1.101.3.6.9.1; mandatory in the derived PIV Authentication worksheet)");
    const problems = x.critical ? ["piv-interim is critical (must be non-critical)"] : [];
    const bytes = new Uint8Array(x.extnValue.buffer);
    const flag = pivInterimValue(bytes);
    if (!flag) {
      return fail(
        [...problems, `piv-interim is neither a DER BOOLEAN (FIPS 201-3 NACI-indicator) nor SEQUENCE { interim_indicator BOOLEAN } (${hex(bytes)})`].join("; "),
      );
    }
    return verdict(problems, `piv-interim ${flag.value ? "TRUE (investigation initiated, not adjudicated)" : "FALSE (adjudicated)"}, ${flag.form}`);
  }),
  check(
    "T-CERT-10-1",
    "CERT-10",
    "no prohibited extension (issuerAltName, privateKeyUsagePeriod, SIA, policy mappings/constraints, nameConstraints, inhibitAnyPolicy, ocspNoCheck) and no unlisted critical one",
    (e) => {
      const all = extensionsOf(e);
      const problems: string[] = [];
      for (const x of all) {
        if (EXT_PROHIBITED[x.extnID]) problems.push(`${EXT_PROHIBITED[x.extnID]} (${x.extnID}) is prohibited`);
        else if (x.critical && !EXT_IN_PROFILE.has(x.extnID)) problems.push(`extension ${x.extnID} is critical and not in the profile`);
      }
      if (extension(e, SUBJECT_DIRECTORY_ATTRIBUTES)?.critical) problems.push("subjectDirectoryAttributes is critical (must be non-critical)");
      // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
      const twice = all.map((x) => x.extnID).filter((oid, i, ids) => ids.indexOf(oid) !== i);
      if (twice.length) problems.push(`extension(s) present more than once: ${[...new Set(twice)].join(", ")}`);
      const others = all.filter((x) => !EXT_IN_PROFILE.has(x.extnID) && !EXT_PROHIBITED[x.extnID]).map((x) => x.extnID);
      return verdict(problems, `${all.length} extensions, none prohibited${others.length ? `; other non-critical: ${others.join(", ")}` : ""}`);
    },
  ),
  check(
    "T-CERT-11-1",
    "CERT-11",
    "subject is C=US, O=U.S. Government, OU=…, CN=… (or dc=gov, dc=…, CN=…; or serialNumber=UUID last), in UTF8String or PrintableString",
    (e) => {
      const attributes = e.asn.tbsCertificate.subject.flatMap((rdn) => [...rdn]);
      if (!attributes.length) return fail("the subject is empty");
      const problems: string[] = [];
      for (const a of attributes) {
        // domainComponent is an IA5String by definition (RFC 4519); every other attribute a DirectoryString.
        const ok = a.type === DOMAIN_COMPONENT ? a.value.ia5String !== undefined : a.value.utf8String !== undefined || a.value.printableString !== undefined;
        if (!ok) problems.push(`attribute ${a.type} is not encoded as ${a.type === DOMAIN_COMPONENT ? "IA5String" : "UTF8String or PrintableString"}`);
      }
      const types = attributes.map((a) => a.type);
      const text = (i: number) => attributes[i]?.value.toString();
      const last = types[types.length - 1];
      const middle = types.slice(1, -1);
      if (types[0] === DOMAIN_COMPONENT) {
        const firstNonDc = types.findIndex((t) => t !== DOMAIN_COMPONENT);
        if (text(0)?.toLowerCase() !== "gov") problems.push(`the first dc is "${text(0)}", not "gov"`);
        if (firstNonDc >= 0 && firstNonDc < 2) problems.push("dc=gov must be followed by the organization's dc");
        if (firstNonDc < 0 || last !== AT.CN || !types.slice(firstNonDc, -1).every((t) => t === AT.OU)) {
          problems.push("after the dc components come optional OUs and a CN last");
        }
      } else {
        if (types[0] !== AT.C || text(0) !== "US") problems.push("the subject does not start with C=US");
        if (types[1] !== AT.O || text(1) !== "U.S. Government") problems.push('the second attribute is not O="U.S. Government"');
        if (!middle.slice(1).length || !middle.slice(1).every((t) => t === AT.OU)) problems.push("C and O must be followed by one or more OU");
        if (last !== AT.CN && last !== AT.serialNumber) problems.push("the last attribute must be CN (or serialNumber=UUID, CP v1.24 SSP form)");
      }
      if (last === AT.CN && !text(attributes.length - 1)?.trim()) problems.push("the CN is empty");
      return verdict(problems.length ? [...problems, `subject is "${e.certificate.subject}"`] : [], `subject "${e.certificate.subject}"`);
    },
  ),
  check(
    "T-CERT-12-1",
    "CERT-12",
    "signatureAlgorithm is sha256/384/512WithRSA, RSASSA-PSS with SHA-256, or ecdsa-with-SHA256/384/512, and matches the TBS signature field",
    (e) => {
      const alg = e.asn.signatureAlgorithm;
      const problems: string[] = [];
      let name = SIGNATURE_ALGORITHMS[alg.algorithm];
      if (alg.algorithm === OIDS.rsassaPss) {
        const web = new RsaAlgorithm().toWebAlgorithm(alg) as { hash?: { name?: string } } | null;
        name = `RSASSA-PSS with ${web?.hash?.name ?? "unknown hash"}`;
        if (web?.hash?.name !== "SHA-256") problems.push(`${name}: RSASSA-PSS is permitted with SHA-256 only`);
      } else if (!name) {
        problems.push(`signature algorithm ${alg.algorithm} is not permitted (SHA-1, SHA-224, MD5 and DSA are prohibited)`);
      }
      // RFC 5280 §4.1.1.2: the outer algorithm MUST equal the TBS signature field.
      if (algorithmDer(alg) !== algorithmDer(e.asn.tbsCertificate.signature)) problems.push("signatureAlgorithm differs from the TBS signature field");
      return verdict(problems, name ?? alg.algorithm);
    },
  ),
  check("T-CERT-12-2", "CERT-12", "chain: the signature verifies with the public key of the issuing CA (named by issuer and AKI)", (e) => {
    if (!e.chain) return notApplicable(`signature verification ${NEEDS_CHAIN}`);
    const keyId = authorityKeyId(e);
    const issuer = issuersInChain(e).find((c) => keyId === undefined || subjectKeyIdOf(c) === undefined || subjectKeyIdOf(c) === keyId);
    if (!issuer) return notApplicable(`the issuing CA "${e.certificate.issuer}"${keyId ? ` with key ${keyId}` : ""} is not in ${e.chain.label}`);
    return signedBy(e, issuer)
      ? pass(`the signature verifies with the key of "${issuer.subject}"`)
      : fail(`the signature does not verify with the key of "${issuer.subject}" under a CERT-12 algorithm`);
  }),
  check("T-CERT-13-1", "CERT-13", "the subject key is RSA 2048–4096 with e=65537 (≥3072 when valid past 2030) or EC P-256/P-384", (e) => {
    const key = subjectKey(e);
    const problems: string[] = [];
    if (key.algorithm === OIDS.rsaEncryption) {
      const bits = key.rsaBits ?? 0;
      if (bits < 2048 || bits > 4096) problems.push(`RSA-${bits} is outside 2048–4096 bits`);
      if (key.rsaExponent !== 65537n) problems.push(`RSA public exponent ${key.rsaExponent} (must be 65537)`);
      if (bits < 3072 && e.certificate.notAfter.getTime() > END_OF_2030) problems.push(`RSA-${bits} in a certificate valid after 2030-12-31 (needs ≥3072)`);
    } else if (key.algorithm === OIDS.ecPublicKey) {
      if (!key.curve || !CURVES[key.curve]) problems.push(`${describeKey(key)} (must be P-256 or P-384)`);
    } else {
      problems.push(`${describeKey(key)} (must be rsaEncryption or id-ecPublicKey)`);
    }
    return verdict(problems, key.curve && CURVES[key.curve] ? `EC ${CURVES[key.curve]}` : describeKey(key));
  }),
  check(
    "T-CERT-14-1",
    "CERT-14",
    "version 3; serial positive, at most 20 octets; validity at most 1096 days; UTCTime through 2049, GeneralizedTime from 2050",
    (e) => {
      const tbs = e.asn.tbsCertificate;
      const problems: string[] = [];
      if (tbs.version !== asn1X509.Version.v3) problems.push(`version ${tbs.version + 1} (must be 3)`);
      const serial = new Uint8Array(tbs.serialNumber);
      if (serial.length > 20) problems.push(`serial number is ${serial.length} octets (at most 20)`);
      if (((serial[0] ?? 0) & 0x80) !== 0 || serial.every((b) => b === 0)) problems.push("serial number is not positive");
      const days = validityDays(e);
      if (days > MAX_DERIVED_VALIDITY_DAYS) problems.push(`valid ${days.toFixed(1)} days (at most ${MAX_DERIVED_VALIDITY_DAYS}, 3 years)`);
      for (const [field, time] of [
        ["notBefore", tbs.validity.notBefore],
        ["notAfter", tbs.validity.notAfter],
      ] as const) {
        const year = time.getTime().getUTCFullYear();
        if (year < 2050 && !time.utcTime) problems.push(`${field} (${year}) is GeneralizedTime; UTCTime is required through 2049`);
        if (year >= 2050 && !time.generalTime) problems.push(`${field} (${year}) is UTCTime; GeneralizedTime is required from 2050`);
      }
      return verdict(
        problems,
        `v3, serial ${serial.length} octets, valid ${days.toFixed(days % 1 ? 1 : 0)} days; uniqueness of the serial needs lifecycle evidence`,
      );
    },
  ),
  check(
    "T-DC-KEY-01-1",
    "DC-KEY-01",
    "the key is one SP 800-78-5 allows for PIV Authentication: RSA-2048/3072 (e=65537) or P-256/P-384; no RSA-2048 past 2030",
    (e) => {
      const key = subjectKey(e);
      const bits = key.rsaBits ?? 0;
      const problems: string[] = [];
      if (key.algorithm === OIDS.rsaEncryption) {
        if (bits !== 2048 && bits !== 3072) problems.push(`RSA-${bits} is not a PIV Authentication key size (2048 or 3072)`);
        if (key.rsaExponent !== 65537n) problems.push(`RSA public exponent ${key.rsaExponent} (must be 65537)`);
        if (bits === 2048 && e.certificate.notAfter.getTime() > END_OF_2030) problems.push("RSA-2048 is not allowed for PIV Authentication after 2030");
      } else if (key.algorithm !== OIDS.ecPublicKey || !key.curve || !CURVES[key.curve]) {
        problems.push(`${describeKey(key)} is not a PIV Authentication algorithm (RSA-2048/3072, P-256, P-384)`);
      }
      return verdict(problems, key.curve && CURVES[key.curve] ? `EC ${CURVES[key.curve]}` : describeKey(key));
    },
  ),
  check("T-DC-LIFE-02-1", "DC-LIFE-02", "the certificate is valid at most 3 years (1096 days)", (e) => {
    const days = validityDays(e);
    return days > MAX_DERIVED_VALIDITY_DAYS
      ? fail(`valid ${days.toFixed(1)} days (at most ${MAX_DERIVED_VALIDITY_DAYS})`)
      : pass(`valid ${days.toFixed(days % 1 ? 1 : 0)} days; the key's own 3-year limit across rekeys needs lifecycle evidence`);
  }),
];

/** Judges one certificate (with its chain, if any) against every certificate check. */
export function judgeCertificate(evidence: E, options: { edition: Edition; evaluatedAt: Date }): ConformanceReport {
  return runChecks(CERTIFICATE_CHECKS, evidence, { ...options, evidence: describeCertificateEvidence(evidence) });
}
