import type { Edition, Rule } from "./rule.js";

/**
 * Every row of the requirement catalogue docs/sp800-157.md (§1 SP 800-157 requirements, §2 Derived
 * PIV Authentication certificate profile), in its order. `source` and `confidence` are the reference's columns verbatim
 * (test/conformance/catalogue.test.ts compares them with the file).
 *
 * Edition tags follow the row's sources: "r1" = both drafts (r1-ipd, r1-fpd); "ipd"/"fpd" alone = that draft; a row
 * that names the 2014 text, 157-2014 or CP v1.24 (the 2015 CP that added the derived OIDs for it) includes 2014.
 * Rows that rest on documents binding every edition alike (FIPS 201-3, FPKI Common Policy v2.6, the fpkilint profile,
 * SP 800-78) carry all three: a derived credential issued today answers to them whichever SP 800-157 text it follows.
 */
const ALL: readonly Edition[] = ["2014", "r1-ipd", "r1-fpd"];
/*
 * Beyond the reference: rules with `refines` (CERT-03a, CERT-03b) are dpclab's own, each with the worksheet it comes
 * from as its `source`; rows judged differently from the reference's wording say so in `amendments`, with the source.
 * "The worksheet" is the FPKI SSP certificate profile's Worksheet 11, Derived PIV Authentication (v1.8; v1.9 agrees
 * where cited), as GSA's fpkilint encodes it (profiles/common-ssp/1.8|1.9/ssp-11-derived-piv-auth.json: 2 required,
 * 0 optional, 1 prohibited); "LINT 2.2 ssp-10" is the v2.2 Worksheet 10 the reference otherwise follows.
 */
const R1: readonly Edition[] = ["r1-ipd", "r1-fpd"];

export const CATALOGUE: readonly Rule[] = [
  // ——— §1.1 General & issuance ———
  {
    id: "DC-GEN-01",
    requirement: "The issuer documents its process for every lifecycle activity: issuance, maintenance and invalidation.",
    section: "1.1",
    source: "r1 §2",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "documentation",
  },
  {
    id: "DC-GEN-02",
    requirement: "The issuer's reliability is established by accreditation as a derived PIV credential issuer (SP 800-79).",
    section: "1.1",
    source: "r1 §2; FIPS201-3 A.1",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "documentation",
  },
  {
    id: "DC-ISS-01",
    requirement:
      "Only the home agency of the PIV identity account issues derived credentials (fpd: or a third party it authorizes that can reach the account).",
    section: "1.1",
    source: "ipd/fpd §2.2",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "transcript",
  },
  {
    id: "DC-ISS-02",
    requirement: "Derived credentials go only to devices or authenticators the home agency approved (blanket or individually), under a documented policy.",
    section: "1.1",
    source: "r1 §2.2",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "transcript",
  },
  {
    id: "DC-ISS-03",
    requirement:
      "Issuance may be remote or in person; under the CP the software (LOA-3) credential may be remote, the -hardware (LOA-4) one in person or, per CP v2.6, supervised remote.",
    section: "1.1",
    source: "r1 §2.2; CP1.24 §3.2.3.3; CP2.6 §3.2.3.1",
    confidence: "V (r1,CP) C (2014)",
    editions: ALL,
    strength: "may",
    evidence: "transcript",
  },
  {
    id: "DC-ISS-04",
    requirement:
      "The applicant authenticates with a valid PIV Card by PKI-AUTH (path validation, not expired or revoked, PIN, challenge signed by key 9A) and proves current PIV eligibility.",
    section: "1.1",
    source: "ipd §2.2, §3.3; fpd §2.2; FIPS201-3 §2.10.1",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "transcript",
  },
  {
    id: "DC-ISS-05",
    requirement:
      "The RA/CA verifies the request comes from an authorized agency employee, runs PKI-AUTH and keeps a copy of the applicant's PIV Authentication certificate.",
    section: "1.1",
    source: "CP2.6 §3.2.3.1; CP1.24 §3.2.3.3",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "transcript",
  },
  {
    id: "DC-ISS-06",
    requirement:
      "Seven days after issuance the issuer re-checks the revocation status of the PIV Authentication certificate used (fpd: on loss or compromise, review the credentials bound within about the past seven days).",
    section: "1.1",
    source: "CP2.6 §3.2.3.1; fpd §2.4",
    confidence: 'V; U(2014 "shall")',
    editions: ALL,
    // CP v2.6 says "should"; the reported 2014 "shall" is unverified (docs/sp800-157.md §6 open point 1).
    strength: "should",
    evidence: "transcript",
  },
  {
    id: "DC-ISS-07",
    requirement:
      "AAL3 issuance (ipd, CP -hardware): a biometric sample is verified against the PIV Card or enrollment record at every issuance transaction and retained; fpd instead issues AAL3 credentials only to devices known to be the cardholder's.",
    section: "1.1",
    source: "ipd §2.2; fpd §2.2; CP2.6 §3.2.3.1",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "transcript",
  },
  {
    id: "DC-ISS-08",
    requirement: "Each new derived credential is recorded in the PIV identity account.",
    section: "1.1",
    source: "r1 §2.2",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "transcript",
  },
  {
    id: "DC-ISS-09",
    requirement:
      "The cardholder is promptly notified of the binding (ipd: by independent means an attacker cannot interfere with; fpd: at an address in the identity account).",
    section: "1.1",
    source: "r1 §2.2; FIPS201-3 §2.10.1",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "transcript",
  },
  {
    id: "DC-ISS-10",
    requirement: "A derived credential meets SP 800-63B AAL2 or AAL3 and is phishing-resistant; it is deemed IAL3.",
    section: "1.1",
    source: "r1 §2.2, §3.1.1",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "transcript",
  },
  {
    id: "DC-ISS-11",
    requirement: "Several derived credentials may be bound to one PIV Card; the issuer may cap how many are active.",
    section: "1.1",
    source: "r1 §2.2",
    confidence: "V",
    editions: R1,
    strength: "may",
    evidence: "transcript",
  },
  {
    id: "DC-ISS-12",
    requirement: "AAL3 PKI credential: the key pair is generated in the device, which sends a CSR; the CA returns the certificate and keeps a copy.",
    section: "1.1",
    source: "r1 §2.2.1",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "transcript",
  },
  {
    id: "DC-ISS-13",
    requirement:
      "AAL2-only: the CA may generate key and certificate and send them over an authenticated protected channel, then promptly delete its copy of the key; activation data travels separately and receipt is acknowledged.",
    section: "1.1",
    source: "r1 §2.2.1; CP2.6 §6.1.2",
    confidence: "V",
    editions: ALL,
    strength: "may",
    evidence: "transcript",
  },
  {
    id: "DC-ISS-14",
    requirement:
      "The private key is usable only after activation (secret or biometric), enforced by strong access control or encryption under a key derived from the secret.",
    section: "1.1",
    source: "r1 §2.2.1",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "token",
  },
  {
    id: "DC-ISS-15",
    requirement:
      "fpd: a derived credential may be issued without a PIV Card after FIPS 201 §2.8 proofing and account creation, in person or supervised remote; all needed credentials should be issued at once.",
    section: "1.1",
    source: "fpd §2.2.3",
    confidence: "V",
    editions: ["r1-fpd"],
    strength: "may",
    evidence: "transcript",
  },

  // ——— §1.2 Binding / linkage to the PIV Card ———
  {
    id: "DC-LNK-01",
    requirement:
      "Binding happens through a PIV-authenticated endpoint, a direct PIV Card connection or 63B external-authenticator binding, and always involves PKI-AUTH.",
    section: "1.2",
    source: "ipd §3.3; fpd §2.2",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "lifecycle",
  },
  {
    id: "DC-LNK-02",
    requirement: "The issuer continuously monitors the PIV identity account for termination.",
    section: "1.2",
    source: "r1 §2.4",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "lifecycle",
  },
  {
    id: "DC-LNK-03",
    requirement: "The issuer does not rely solely on revocation of the PIV Authentication certificate to learn of card termination.",
    section: "1.2",
    source: "ipd §2.4",
    confidence: "V; C(2014)",
    editions: ["2014", "r1-ipd"],
    strength: "shall",
    evidence: "lifecycle",
  },
  {
    id: "DC-LNK-04",
    requirement:
      "Derived credentials survive PIV Card reissuance, loss or damage; card termination alone does not require invalidating them unless the identity account is terminated.",
    section: "1.2",
    source: "r1 §2.3; fpd §2.4",
    confidence: "V",
    editions: R1,
    strength: "may",
    evidence: "lifecycle",
  },
  {
    id: "DC-LNK-05",
    requirement: "Open question: a 2014 periodic card-status check interval beyond the 7-day recheck was not found.",
    section: "1.2",
    source: "—",
    confidence: "U",
    editions: ["2014"],
    strength: "informative",
    evidence: "lifecycle",
  },

  // ——— §1.3 Maintenance ———
  {
    id: "DC-MNT-01",
    requirement:
      "Rekey and modification happen remotely or in person as the CP allows; remotely only over mutually authenticated sessions between validated modules.",
    section: "1.3",
    source: "r1 §2.3.1",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "transcript",
  },
  {
    id: "DC-MNT-02",
    requirement: "When subscriber information in the certificate changes (e.g. the name), a new certificate is issued and the old one invalidated.",
    section: "1.3",
    source: "r1 §2.3.1",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "transcript",
  },
  {
    id: "DC-MNT-03",
    requirement: "At rekey the issuer verifies the subscriber is still PIV-eligible (card not terminated).",
    section: "1.3",
    source: "CP2.6 §3.3.1; CP1.24",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "transcript",
  },
  {
    id: "DC-MNT-04",
    requirement: "-hardware rekey: mutual authentication with the module holding the current key if the new key stays there; otherwise initial registration.",
    section: "1.3",
    source: "CP2.6 §3.3.1",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "transcript",
  },
  {
    id: "DC-MNT-05",
    requirement: "Identity is re-established in person or supervised remote at least every 12 years (CP v1.24: 9).",
    section: "1.3",
    source: "CP2.6 §3.3.1",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "lifecycle",
  },
  {
    id: "DC-MNT-06",
    requirement:
      "Subscriber certificates are not renewed on the same key (except CA-compromise recovery); rekey means a new key and serial, never a reused certificate.",
    section: "1.3",
    source: "CP2.6 §4.6.1, §4.7",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "transcript",
  },
  {
    id: "DC-MNT-07",
    requirement: "Activation factors are updated and retry counters reset per r1 §3.1.4 (PKI) or §3.2.3 (non-PKI).",
    section: "1.3",
    source: "r1 §2.3",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "transcript",
  },

  // ——— §1.4 Termination / invalidation ———
  {
    id: "DC-TRM-01",
    requirement: "A lost, stolen, damaged or compromised derived credential is invalidated: its key collected and destroyed, or its certificate revoked.",
    section: "1.4",
    source: "r1 §2.1, §2.4",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "lifecycle",
  },
  {
    id: "DC-TRM-02",
    requirement: "When the identity account is terminated (loss of eligibility) every derived credential bound to it is invalidated.",
    section: "1.4",
    source: "r1 §2.4; FIPS201-3 §2.10.2",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "lifecycle",
  },
  {
    id: "DC-TRM-03",
    requirement:
      "The certificate is revoked in every case except a collected and zeroized non-exportable hardware key (then revocation is only recommended); a key that cannot be zeroized means the CA is told and revokes.",
    section: "1.4",
    source: "r1 §2.4.1; FIPS201-3 §2.10.2",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "lifecycle",
  },
  {
    id: "DC-TRM-04",
    requirement:
      "Invalidation follows the holder's request, reported loss or suspected compromise, suspected fraud or ineligibility; the invalidated credential is no longer accepted and the issuer tries to notify the subscriber.",
    section: "1.4",
    source: "FIPS201-3 §2.10.2",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "lifecycle",
  },
  {
    id: "DC-TRM-05",
    requirement:
      "2014: the certificate is revoked or the token zeroized/destroyed when the binding is no longer valid or the credential no longer needed (device transferred, subscriber ineligible, credential not required).",
    section: "1.4",
    source: "157-2014 §2.3 via Intercede MyID docs",
    confidence: "C",
    editions: ["2014"],
    strength: "shall",
    evidence: "lifecycle",
  },
  {
    id: "DC-TRM-06",
    requirement:
      "Timing: no derived-credential deadline found; bounds are card termination within 18 h, revocation before the next CRL, CRLs every ≤18 h with nextUpdate ≤48 h, published ≤4 h after generation, OCSP required.",
    section: "1.4",
    source: "as cited",
    confidence: "V; U(DPC deadline)",
    editions: ALL,
    strength: "shall",
    evidence: "lifecycle",
  },
  {
    id: "DC-TRM-07",
    requirement: "fpd: non-voluntary invalidation follows the OPM Credentialing Standards; a non-PKI authenticator is removed from the account.",
    section: "1.4",
    source: "fpd §2.4, §2.4.2",
    confidence: "V",
    editions: ["r1-fpd"],
    strength: "shall",
    evidence: "lifecycle",
  },

  // ——— §1.5 Token / authenticator types & crypto modules ———
  {
    id: "DC-TOK-01",
    requirement: "A PKI derived credential is a multi-factor, phishing-resistant cryptographic authenticator: a device at AAL3, a device or software at AAL2.",
    section: "1.5",
    source: "ipd/fpd §3.1.3",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "token",
  },
  {
    id: "DC-TOK-02",
    requirement:
      "-hardware/AAL3: the key is generated and kept non-exportable in a FIPS 140 Level 2+ hardware module with Level 3 physical security; no key backup.",
    section: "1.5",
    source: "r1 §3.1.2; CP2.6 §6.2.1, §6.2.4",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "token",
  },
  {
    id: "DC-TOK-03",
    requirement:
      "derived-pivAuth/AAL2: FIPS 140 Level 1+; a key generated off the device travels over an authenticated protected channel; backup optional, under the subscriber's control.",
    section: "1.5",
    source: "r1 §3.1.2; CP2.6 §6.2.4",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "token",
  },
  {
    id: "DC-TOK-04",
    requirement:
      "Removable or wireless hardware tokens implement the Derived PIV Application with all SP 800-73 Part 2 commands and a default-selected application after reset.",
    section: "1.5",
    source: "r1 App B.1, B.2",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "token",
  },
  {
    id: "DC-TOK-05",
    requirement: "2014 taxonomy of removable (SD, UICC, USB) and embedded (hardware or software) tokens; r1 removed these physical details.",
    section: "1.5",
    source: "r1 change log",
    confidence: "C",
    editions: ["2014"],
    strength: "informative",
    evidence: "token",
  },
  {
    id: "DC-TOK-06",
    requirement:
      "Authenticating with a PKI derived credential checks that its certificate is valid, unexpired and unrevoked; non-PKI credentials go only to verifiers the home agency authorized.",
    section: "1.5",
    source: "r1 §3.1, §3.2",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "transcript",
  },

  // ——— §1.6 Activation data ———
  {
    id: "DC-ACT-01",
    requirement:
      "The activation secret follows SP 800-63B: at least 6 characters (numeric allowed), a blocklist of at least 10 common values, disabled after 10 failed tries; software authenticators decrypt the key with it.",
    section: "1.6",
    source: "r1 §3.1.4; 63B-ipd",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "token",
  },
  {
    id: "DC-ACT-02",
    requirement: "ipd: unlocking the device is not activation; a separate entry is required (the same secret may be reused).",
    section: "1.6",
    source: "ipd §3.1.4",
    confidence: "V",
    editions: ["r1-ipd"],
    strength: "shall",
    evidence: "token",
  },
  {
    id: "DC-ACT-03",
    requirement: "Changing the activation secret or biometric requires the current secret.",
    section: "1.6",
    source: "r1 §3.1.4",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "token",
  },
  {
    id: "DC-ACT-04",
    requirement:
      "A forgotten or blocked secret is reset with a PUK (ipd: shall; fpd: may, via the home IdMS); without one the certificates are revoked or keys destroyed (fpd: the credential is invalidated).",
    section: "1.6",
    source: "ipd/fpd §3.1.4",
    confidence: "V",
    editions: R1,
    strength: "shall",
    strengthByEdition: { "r1-fpd": "may" },
    evidence: "token",
  },
  {
    id: "DC-ACT-05",
    requirement: "Derived PIV Application secret: 6 to 8 bytes of 0x30-39, 0x41-5A, 0x61-7A, padded with 0xFF to 8; the application enforces the minimum of 6.",
    section: "1.6",
    source: "r1 App B.2.1",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "token",
  },
  {
    id: "DC-ACT-06",
    requirement: "CP: PINs and passphrases are at least 6 characters, not displayed on entry, with strength at least FIPS 140 Level 2 authentication.",
    section: "1.6",
    source: "CP2.6 §6.2.8, §6.4.1",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "token",
  },
  {
    id: "DC-ACT-07",
    requirement: "Reference (PIV Card): numeric PIN of at least 6 digits, at most 10 consecutive retries.",
    section: "1.6",
    source: "FIPS201-3 §4.3.1, §2.9.3",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "token",
  },

  // ——— §1.7 Keys & lifetime ———
  {
    id: "DC-KEY-01",
    requirement:
      "The derived PIV Authentication key uses the algorithms and sizes of a PIV Authentication key (SP 800-78-5): RSA-2048/3072 or ECDSA P-256/P-384 through 2030, RSA-3072 or P-256/P-384 from 2031.",
    section: "1.7",
    source: "r1 §3.1.2",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "certificate",
  },
  {
    id: "DC-KEY-02",
    requirement:
      "The card's digital signature key cannot be copied: the device gets a new key and certificate under id-fpki-common-policy, -hardware or -High.",
    section: "1.7",
    source: "r1 App A (informative)",
    confidence: "V",
    editions: R1,
    strength: "informative",
    evidence: "transcript",
  },
  {
    id: "DC-KEY-03",
    requirement:
      "A copy of the card's key management key (and retired ones) may be loaded if its CP allows; key recovery is encouraged; human key management keys are escrowed, signature keys never archived.",
    section: "1.7",
    source: "r1 App A; CP2.6 §6.2.3, §6.2.5",
    confidence: "V",
    editions: ALL,
    strength: "may",
    evidence: "transcript",
  },
  {
    id: "DC-KEY-04",
    requirement: "At most 20 retired key management keys; the Key History object is mandatory if any are present.",
    section: "1.7",
    source: "r1 App B.1.2",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "token",
  },
  {
    id: "DC-KEY-05",
    requirement:
      "The Security Object is mandatory when Discovery, Key History or Pairing Code is present; signed by the content-signing key with the issuer certificate in tag 0xBB; covers every unsigned object; at least 3000 bytes of capacity.",
    section: "1.7",
    source: "r1 App B.1.2",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "token",
  },
  {
    id: "DC-KEY-06",
    requirement: "Discovery object PIN usage policy byte 1 is 0x40, 0x48 or 0x4C; Global PIN and OCC are unused.",
    section: "1.7",
    source: "r1 App B.1.2",
    confidence: "V",
    editions: R1,
    strength: "shall",
    evidence: "token",
  },
  {
    id: "DC-LIFE-01",
    requirement: "The derived certificate's expiry follows the CP and need not align with the PIV Card or its PIV Authentication certificate.",
    section: "1.7",
    source: "r1 §3.1.1",
    confidence: "V",
    editions: R1,
    strength: "may",
    evidence: "lifecycle",
  },
  {
    id: "DC-LIFE-02",
    requirement: "A subscriber authentication certificate and its key live at most 3 years (fpkilint v2.2: at most 1096 days).",
    section: "1.7",
    source: "CP2.6 §6.3.2; LINT",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
  },
  {
    id: "DC-LIFE-03",
    requirement: "The content-signing certificate (9 years; key 3 years) outlives the subscriber certificates on the credential.",
    section: "1.7",
    source: "CP2.6 §6.3.2",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "token",
  },

  // ——— §2 Derived PIV Authentication certificate profile (fpkilint common-ssp 2.2 ssp-10 unless noted) ———
  {
    id: "CERT-01",
    requirement:
      "certificatePolicies: present, non-critical, asserting id-fpki-common-derived-pivAuth (2.16.840.1.101.3.2.1.3.40, AAL2) or id-fpki-common-derived-pivAuth-hardware (.41, AAL3).",
    section: "2",
    source: "CP2.6 §1.2; r1 §3.1.1",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
  },
  {
    id: "CERT-02",
    requirement: "keyUsage: present, critical, digitalSignature only.",
    section: "2",
    source: "CP2.6 §6.1.7; LINT; WS15",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
  },
  {
    id: "CERT-03",
    requirement:
      "extKeyUsage, when present (its absence is CERT-03b): non-critical, with id-kp-clientAuth; pkinit-KPClientAuth, smartcardLogon, secureShellClient and IPsec optional; serverAuth, codeSigning, emailProtection, timeStamping, OCSPSigning, PIV cardAuth, content signing, pkinit-KDC, document signing and EFS prohibited (anyExtendedKeyUsage: CERT-03b).",
    section: "2",
    source: "LINT 1.8→2.2; CP2.6 §6.1.7",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
    amendments: [
      {
        change:
          "An absent extKeyUsage and anyExtendedKeyUsage do not fail this row: the derived PIV Authentication worksheet makes the extension optional and does not prohibit anyExtendedKeyUsage; both are reported by the should-rule CERT-03b.",
        source: "SSP 1.8 Worksheet 11 (fpkilint common-ssp/1.8/ssp-11-derived-piv-auth.json) (eku present 0, oid_any_eku 0)",
      },
    ],
  },
  {
    id: "CERT-03a",
    requirement: "extKeyUsage should include id-pkinit-KPClientAuth (1.3.6.1.5.2.3.4), beside id-kp-clientAuth.",
    section: "2",
    source:
      'SSP 1.8 Worksheet 11 (fpkilint common-ssp/1.8/ssp-11-derived-piv-auth.json), extKeyUsage: "should include id-pkinit-KPClientAuth" (as issue 11 quotes it; fpkilint: oid_pkinit_KPClientAuth 2 there and in SSP 1.9 Worksheet 11, 0 in LINT 2.2)',
    confidence: "V",
    editions: ALL,
    strength: "should",
    evidence: "certificate",
    refines: "CERT-03",
  },
  {
    id: "CERT-03b",
    requirement:
      "extKeyUsage should be present, and should not include anyExtendedKeyUsage (2.5.29.37.0): required and prohibited respectively in the v2.x profile and CP v2.6 (EKU mandatory after 2019-06-30), optional in the derived PIV Authentication worksheet.",
    section: "2",
    source:
      "LINT 2.2 ssp-10 (eku present 2, oid_any_eku 1); CP2.6 §6.1.7; SSP 1.8 Worksheet 11 (fpkilint common-ssp/1.8/ssp-11-derived-piv-auth.json) (eku present 0, oid_any_eku 0)",
    confidence: "V",
    editions: ALL,
    strength: "should",
    evidence: "certificate",
    refines: "CERT-03",
  },
  {
    id: "CERT-04",
    requirement:
      "subjectAltName: present, non-critical, with a UUID as a urn:uuid: URI, unique per certificate (not the card's CHUID GUID); other names allowed, FASC-N neither required nor prohibited.",
    section: "2",
    source: "CP2.6 §3.1.1.2; CP1.24 §3.1.1; LINT",
    confidence: "V; U(FASC-N ban)",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
  },
  {
    id: "CERT-05",
    requirement:
      "authorityInfoAccess: present, non-critical; caIssuers with an http URI, present in any position (https and ldaps prohibited); id-ad-ocsp required, http not https.",
    section: "2",
    source: "LINT; WS15",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
    amendments: [
      {
        change:
          "An ldap caIssuers URI listed before the http one no longer fails: the http URI must be present, not first (a real XTec certificate failed on that alone). LINT 2.2 orders http first (ca_issuers_http_before_ldap 2); the worksheet does not.",
        source:
          "SSP 1.8 Worksheet 11 (fpkilint common-ssp/1.8/ssp-11-derived-piv-auth.json) and SSP 1.9 Worksheet 11 (common-ssp/1.9/ssp-11) (ca_issuers_http 2, ca_issuers_http_before_ldap 0)",
      },
    ],
  },
  {
    id: "CERT-06",
    requirement: "cRLDistributionPoints: present, non-critical, at least one http URI (before any LDAP) to a DER CRL; no reasons, no cRLIssuer.",
    section: "2",
    source: "LINT; WS15",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
  },
  {
    id: "CERT-07",
    requirement: "authorityKeyIdentifier: present, non-critical, keyIdentifier form (issuer + serial prohibited); subjectKeyIdentifier: present, non-critical.",
    section: "2",
    source: "LINT",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
  },
  {
    id: "CERT-08",
    requirement: "basicConstraints: optional; cA=TRUE and pathLenConstraint prohibited.",
    section: "2",
    source: "LINT",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
  },
  {
    id: "CERT-09",
    requirement:
      "piv-interim (id-piv-NACI, 2.16.840.1.101.3.6.9.1): present and non-critical (mandatory in SSP 1.8/1.9 and WS15; optional in profile v2.x), a BOOLEAN (FIPS 201-3) or SEQUENCE { BOOLEAN }; TRUE = investigation initiated, FALSE = adjudicated.",
    section: "2",
    source: "LINT; WS15",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
    amendments: [
      {
        change: "Required, no longer optional: the derived PIV Authentication worksheet makes it mandatory (and prohibits it critical).",
        source:
          "SSP 1.8 Worksheet 11 (fpkilint common-ssp/1.8/ssp-11-derived-piv-auth.json) and SSP 1.9 Worksheet 11 (common-ssp/1.9/ssp-11) (piv_naci present 2, is_critical 1); docs/sp800-157.md §2 CERT-09 (SSP 1.8/1.9 & WS15 mandatory)",
      },
      {
        change:
          "Both encodings seen in practice are accepted: the bare BOOLEAN of FIPS 201-3 (and GSA's test cards) and SEQUENCE { interim_indicator BOOLEAN }. dpclab's issuers write the FIPS 201-3 form.",
        source:
          "FIPS 201-3 Appendix B.2: PIV-Cert-Extensions { 2 16 840 1 101 3 6 10 1 } (the ASN.1 module's identifier, not the extension's), id-piv-NACI ::= { 2 16 840 1 101 3 6 9 1 }, NACI-indicator ::= BOOLEAN",
      },
    ],
  },
  {
    id: "CERT-10",
    requirement:
      "No issuerAltName, privateKeyUsagePeriod, subjectInfoAccess, policyMappings, policyConstraints, nameConstraints, inhibitAnyPolicy, ocspNoCheck, nor any other critical extension; subjectDirectoryAttributes optional, non-critical.",
    section: "2",
    source: "LINT",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
  },
  {
    id: "CERT-11",
    requirement:
      "Subject DN: non-empty, C=US, O=U.S. Government, OU=<department>[, OU=<agency>], CN=<name> (or dc=gov, dc=<org>…; CP v1.24 SSP: serialNumber=UUID last), in UTF8String or PrintableString.",
    section: "2",
    source: "CP2.6 §3.1.1.1; CP1.24 §3.1.1; LINT",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
  },
  {
    id: "CERT-12",
    requirement:
      "signatureAlgorithm: sha256/384/512WithRSAEncryption, RSASSA-PSS with SHA-256, or ecdsa-with-SHA256/384/512; SHA-1, SHA-224, MD5 and DSA prohibited.",
    section: "2",
    source: "CP2.6 §7.1.3; LINT",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
  },
  {
    id: "CERT-13",
    requirement:
      "subjectPublicKeyInfo: RSA 2048–4096 bits with e=65537 (at least 3072 if the certificate expires after 2030-12-31), or id-ecPublicKey on P-256 or P-384.",
    section: "2",
    source: "CP2.6 §6.1.5, §7.1.3; 78-5",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
  },
  {
    id: "CERT-14",
    requirement:
      "Version 3; serial positive, unique, at most 20 octets; validity at most 3 years (1096 days); UTCTime through 2049, GeneralizedTime from 2050.",
    section: "2",
    source: "LINT; WS15",
    confidence: "V",
    editions: ALL,
    strength: "shall",
    evidence: "certificate",
  },
];

const byId = new Map(CATALOGUE.map((r) => [r.id, r]));

export function ruleById(id: string): Rule | undefined {
  return byId.get(id);
}
