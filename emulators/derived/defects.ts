import { DpclabError } from "../../src/errors.js";
import { type IssueRequest, OIDS } from "../../src/pki/index.js";
import { AuthorityInfoAccessExtension, CertificatePolicyExtension, type Extension } from "../../src/x509.js";
import type { IssuerName } from "./types.js";

/**
 * Defect knobs: each turns one faithful behaviour of the emulated issuers into a known non-conformance, so that the
 * conformance suite (`dpclab conform --issuer X --defect NAME`) can be shown to fail when it should (issue 5 §4).
 * A defect is never on unless asked for: every option defaults to no defects, and `dpclab serve` exposes none.
 *
 * `rules` are the catalogue rows (docs/sp800-157.md) the non-conformance breaks: what the suite must report as
 * failing when the knob is on, and nothing else.
 */
export const DEFECTS = {
  "skip-status-check": {
    summary: "PKI-AUTH at the kiosk skips the revocation check of the PIV Authentication certificate",
    rules: ["DC-ISS-04"],
    issuers: ["purebred", "entrust", "intercede"],
  },
  "wrong-policy-oid": {
    summary: "the derived certificate asserts id-fpki-common-authentication (the card's PIV Auth policy) instead of a derived one",
    rules: ["CERT-01"],
    issuers: ["purebred", "entrust", "intercede"],
  },
  "reuse-card-uuid": {
    summary: "the derived certificate's SAN carries the PIV Card's UUID instead of a fresh one",
    rules: ["CERT-04"],
    issuers: ["purebred", "entrust", "intercede"],
  },
  "four-year-validity": {
    summary: "derived certificates are valid four years",
    rules: ["CERT-14", "DC-LIFE-02"],
    issuers: ["purebred", "entrust", "intercede"],
  },
  "no-eku": {
    // The worksheet makes extKeyUsage optional (CERT-03 passes); the should-rules CERT-03a/b report it (exit 3).
    summary: "derived certificates carry no extKeyUsage",
    rules: ["CERT-03a", "CERT-03b"],
    issuers: ["purebred", "entrust", "intercede"],
  },
  "https-aia": {
    summary: "the caIssuers URI of the AIA is https",
    rules: ["CERT-05"],
    issuers: ["purebred", "entrust", "intercede"],
  },
  "no-ocsp": {
    summary: "the AIA names no OCSP responder (caIssuers only)",
    rules: ["CERT-05", "DC-TRM-06"],
    issuers: ["purebred", "entrust", "intercede"],
  },
  "same-key-on-renewal": {
    summary: "a renewal or rekey CSR carrying a key certified before is accepted (the DC-MNT-06 new-key check is skipped)",
    rules: ["DC-MNT-06"],
    issuers: ["purebred", "entrust", "intercede"],
  },
  "no-seven-day-recheck": {
    summary: "the seven-day recheck of the applicant's PIV Authentication certificate never runs",
    rules: ["DC-ISS-06"],
    issuers: ["purebred", "entrust", "intercede"],
  },
  "no-revocation-on-termination": {
    summary: "a terminated PIV identity account leaves its derived credentials valid",
    rules: ["DC-LNK-02", "DC-TRM-02", "DC-TRM-03"],
    issuers: ["purebred", "entrust", "intercede"],
  },
  "reusable-otp": {
    summary: "Purebred one-time passcodes can be redeemed again (a used OTP-1 reopens the registration)",
    rules: ["DC-LNK-01"],
    issuers: ["purebred"],
  },
  "non-expiring-qr": {
    summary: "QR codes (and the Entrust password) never expire",
    rules: ["DC-LNK-01"],
    issuers: ["entrust", "intercede"],
  },
} as const satisfies Record<string, { summary: string; rules: readonly string[]; issuers: readonly IssuerName[] }>;

export type DefectName = keyof typeof DEFECTS;
export type Defects = ReadonlySet<DefectName>;

export const DEFECT_NAMES = Object.keys(DEFECTS) as DefectName[];
/** Faithful: the default everywhere. */
export const NO_DEFECTS: Defects = new Set<DefectName>();

export function isDefectName(name: string): name is DefectName {
  return Object.hasOwn(DEFECTS, name);
}

/** A defect by name, for one issuer; an unknown name, or one that does not apply to that issuer, is a usage error. */
export function parseDefect(name: string, issuer: IssuerName): DefectName {
  if (!isDefectName(name)) throw new DpclabError(`unknown defect "${name}" (choose one of ${DEFECT_NAMES.join(", ")})`, "usage");
  const applies: readonly IssuerName[] = DEFECTS[name].issuers;
  if (!applies.includes(issuer)) {
    throw new DpclabError(`defect "${name}" does not apply to ${issuer} (it is a defect of ${applies.join(" and ")})`, "usage");
  }
  return name;
}

/** The commonest mistake: the PIV Card's own PIV Authentication policy on a derived certificate. */
const WRONG_POLICY = new CertificatePolicyExtension([OIDS.commonAuthentication], false);
const FOUR_YEARS_MS = 4 * 365 * 86_400_000;

/**
 * The certificate-content knobs, applied to the faithful derived PIV Authentication request just before it is signed.
 * `publication` is the issuing CA's (its AIA would otherwise be stamped by the CA as http caIssuers + http OCSP).
 */
export function withCertificateDefects(
  request: IssueRequest,
  defects: Defects,
  publication: { caIssuersUrl: string; ocspUrl: string } | undefined,
): IssueRequest {
  if (defects.size === 0) return request;
  let extensions = request.extensions;
  let notAfter = request.notAfter;
  // DEFECT wrong-policy-oid — breaks CERT-01: id-fpki-common-authentication (.13) instead of derived-pivAuth (.40/.41).
  if (defects.has("wrong-policy-oid")) {
    extensions = extensions.map((e) => (e.type === OIDS.certificatePolicies ? WRONG_POLICY : e));
  }
  // DEFECT no-eku — breaks CERT-03a/CERT-03b (should): extKeyUsage (clientAuth, pkinit) is left out.
  if (defects.has("no-eku")) extensions = extensions.filter((e) => e.type !== OIDS.extKeyUsage);
  // DEFECT https-aia — breaks CERT-05: caIssuers over https (prohibited); OCSP stays http.
  if (defects.has("https-aia") && publication) {
    extensions = [...extensions, aia({ caIssuers: publication.caIssuersUrl.replace(/^http:/i, "https:"), ocsp: publication.ocspUrl })];
  }
  // DEFECT no-ocsp — breaks CERT-05 (id-ad-ocsp required) and DC-TRM-06 (OCSP required): caIssuers only.
  if (defects.has("no-ocsp") && publication) {
    const caIssuers = defects.has("https-aia") ? publication.caIssuersUrl.replace(/^http:/i, "https:") : publication.caIssuersUrl;
    extensions = [...extensions.filter((e) => e.type !== OIDS.authorityInfoAccess), aia({ caIssuers })];
  }
  // DEFECT four-year-validity — breaks CERT-14 and DC-LIFE-02 (at most 1096 days): notAfter four years out.
  if (defects.has("four-year-validity")) notAfter = new Date(request.notBefore.getTime() + FOUR_YEARS_MS);
  return { ...request, extensions, notAfter };
}

function aia(uris: { caIssuers: string; ocsp?: string }): Extension {
  return new AuthorityInfoAccessExtension({ caIssuers: uris.caIssuers, ...(uris.ocsp ? { ocsp: uris.ocsp } : {}) });
}
