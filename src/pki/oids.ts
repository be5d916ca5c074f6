/**
 * Named object identifiers. Policy OIDs from the FPKI Common Policy CP v2.6 §1.2 (reference CERT-01);
 * PIV OIDs from FIPS 201-3 / SP 800-73-4 and the FPKI PIV certificate profiles (fpkilint common-ssp 2.2).
 */
export const OIDS = {
  // Certificate policies (id-fpki-common-*, 2.16.840.1.101.3.2.1.3.x)
  commonPolicy: "2.16.840.1.101.3.2.1.3.6",
  commonHardware: "2.16.840.1.101.3.2.1.3.7",
  commonAuthentication: "2.16.840.1.101.3.2.1.3.13",
  /** Alias of commonAuthentication: the policy a PIV Authentication (9A) certificate asserts. */
  pivAuthentication: "2.16.840.1.101.3.2.1.3.13",
  commonHigh: "2.16.840.1.101.3.2.1.3.16",
  commonCardAuth: "2.16.840.1.101.3.2.1.3.17",
  commonPivContentSigning: "2.16.840.1.101.3.2.1.3.39",
  commonDerivedPivAuth: "2.16.840.1.101.3.2.1.3.40",
  commonDerivedPivAuthHardware: "2.16.840.1.101.3.2.1.3.41",
  anyPolicy: "2.5.29.32.0",

  // PIV-specific names and extensions (FIPS 201-3 §4.2.2; fpkilint "other_name_piv_fasc_n", "piv_naci")
  pivFascN: "2.16.840.1.101.3.6.6",
  /** Alias of pivFascN. */
  fascn: "2.16.840.1.101.3.6.6",
  pivContentSigning: "2.16.840.1.101.3.6.7",
  pivCardAuth: "2.16.840.1.101.3.6.8",
  pivInterim: "2.16.840.1.101.3.6.9.1",

  // Extended key usages
  clientAuth: "1.3.6.1.5.5.7.3.2",
  emailProtection: "1.3.6.1.5.5.7.3.4",
  ocspSigning: "1.3.6.1.5.5.7.3.9",
  smartcardLogon: "1.3.6.1.4.1.311.20.2.2",
  pkinitClientAuth: "1.3.6.1.5.2.3.4",

  // X.509 extensions (RFC 5280 §4.2)
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  crlNumber: "2.5.29.20",
  crlReason: "2.5.29.21",
  cRLDistributionPoints: "2.5.29.31",
  certificatePolicies: "2.5.29.32",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  subjectDirectoryAttributes: "2.5.29.9",
  nameConstraints: "2.5.29.30",
  policyMappings: "2.5.29.33",
  policyConstraints: "2.5.29.36",
  inhibitAnyPolicy: "2.5.29.54",
  subjectInfoAccess: "1.3.6.1.5.5.7.1.11",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",

  // Algorithms path validation refuses by name (no DSA in CERT-12; PKITS 4.1.4, 4.1.5)
  dsa: "1.2.840.10040.4.1",
  dsaWithSHA1: "1.2.840.10040.4.3",
  dsaWithSHA224: "2.16.840.1.101.3.4.3.1",
  dsaWithSHA256: "2.16.840.1.101.3.4.3.2",

  // OCSP (RFC 6960 §4.2.1, §4.4.1)
  ocspBasic: "1.3.6.1.5.5.7.48.1.1",
  ocspNonce: "1.3.6.1.5.5.7.48.1.2",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",

  // CMS (RFC 5652)
  cmsData: "1.2.840.113549.1.7.1",
  cmsSignedData: "1.2.840.113549.1.7.2",

  // Signature algorithms (CERT-12)
  sha256WithRSAEncryption: "1.2.840.113549.1.1.11",
  sha384WithRSAEncryption: "1.2.840.113549.1.1.12",
  sha512WithRSAEncryption: "1.2.840.113549.1.1.13",
  rsassaPss: "1.2.840.113549.1.1.10",
  ecdsaWithSHA256: "1.2.840.10045.4.3.2",
  ecdsaWithSHA384: "1.2.840.10045.4.3.3",
  ecdsaWithSHA512: "1.2.840.10045.4.3.4",

  // Public keys (RFC 5480, RFC 8017)
  ecPublicKey: "1.2.840.10045.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  p256: "1.2.840.10045.3.1.7",
  p384: "1.3.132.0.34",

  // CRL and CRL-entry extensions (RFC 5280 §5.2, §5.3), OCSP extensions (RFC 6960 §4.4): revocation
  issuerAltName: "2.5.29.18",
  deltaCrlIndicator: "2.5.29.27",
  issuingDistributionPoint: "2.5.29.28",
  certificateIssuer: "2.5.29.29",
  freshestCrl: "2.5.29.46",
  invalidityDate: "2.5.29.24",
  holdInstructionCode: "2.5.29.23",
  ocspNoCheck: "1.3.6.1.5.5.7.48.1.5",
  ocspCrlId: "1.3.6.1.5.5.7.48.1.3",
  ocspArchiveCutoff: "1.3.6.1.5.5.7.48.1.6",
  ocspServiceLocator: "1.3.6.1.5.5.7.48.1.7",
  ocspExtendedRevoke: "1.3.6.1.5.5.7.48.1.9",

  // Access descriptions (RFC 5280 §4.2.2.1)
  adOcsp: "1.3.6.1.5.5.7.48.1",
  adCaIssuers: "1.3.6.1.5.5.7.48.2",
} as const;

/** Short names for the policy OIDs, for messages and reports. */
export const POLICY_NAMES: Readonly<Record<string, string>> = {
  [OIDS.commonPolicy]: "id-fpki-common-policy",
  [OIDS.commonHardware]: "id-fpki-common-hardware",
  [OIDS.commonAuthentication]: "id-fpki-common-authentication",
  [OIDS.commonHigh]: "id-fpki-common-High",
  [OIDS.commonCardAuth]: "id-fpki-common-cardAuth",
  [OIDS.commonPivContentSigning]: "id-fpki-common-piv-contentSigning",
  [OIDS.commonDerivedPivAuth]: "id-fpki-common-derived-pivAuth",
  [OIDS.commonDerivedPivAuthHardware]: "id-fpki-common-derived-pivAuth-hardware",
  [OIDS.anyPolicy]: "anyPolicy",
};
