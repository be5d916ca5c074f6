import { verify as nodeVerify, randomBytes } from "node:crypto";
import type { Clock } from "../clock.js";
import { derExpect } from "../der.js";
import { DpclabError } from "../errors.js";
import { CertificateFacts, type CertificateInput, hashFor, OIDS, type PathFailureReason, type RevocationChecker, validatePath } from "../pki/index.js";
import type { PivCard } from "./card.js";

/**
 * PKI-AUTH, FIPS 201-3 §6.2.3.1: the authentication mechanism a derived-credential issuer runs at the kiosk
 * (DC-ISS-04, DC-LNK-01). Read the PIV Authentication certificate (9A), validate its path to a trusted root
 * (RFC 5280, with revocation: OCSP, CRL fallback), verify the PIN, have the card sign a fresh random challenge
 * with the 9A key, and verify that signature with the certificate's public key.
 */
export type PkiAuthStepName = "read-certificate" | "validate-path" | "verify-pin" | "challenge-response";

export interface PkiAuthStep {
  step: PkiAuthStepName;
  ok: boolean;
  detail: string;
}

export type PkiAuthFailureReason =
  | "no-certificate"
  | "bad-certificate"
  | PathFailureReason
  | "pin-incorrect"
  | "card-blocked"
  | "card-error"
  | "challenge-signature-invalid";

export type PkiAuthResult =
  | { ok: true; certificate: CertificateFacts; subject: string; fascn?: string; cardUuid?: string; steps: PkiAuthStep[] }
  | { ok: false; reason: PkiAuthFailureReason; detail: string; certificate?: CertificateFacts; steps: PkiAuthStep[] };

export interface PkiAuthOptions {
  card: PivCard;
  pin: string;
  trustAnchors: readonly CertificateInput[];
  intermediates: readonly CertificateInput[];
  revocation?: RevocationChecker;
  clock: Clock;
  /** Called as each step ends, so a CLI can print them as they happen. */
  onStep?: (step: PkiAuthStep) => void;
}

/** The PIV Authentication policy (id-fpki-common-authentication) the 9A certificate must assert. */
const PIV_AUTH_POLICIES = [OIDS.pivAuthentication];

/**
 * The verifier's half of PKI-AUTH, as a kiosk runs it over HTTP: the kiosk handed out `challenge`, the client's card
 * signed it with the 9A key after the PIN; this validates the certificate's path (RFC 5280, revocation included) and
 * the signature over the challenge with the certificate's key.
 */
export interface PkiAuthResponse {
  /** The 9A certificate: DER (cheapest), CertificateFacts or X509Certificate. */
  certificate: CertificateInput;
  challenge: Uint8Array;
  /** ECDSA as raw r||s (PKCS#11, WebCrypto) or DER ECDSA-Sig-Value; RSA PKCS#1 v1.5 over SHA-256. */
  signature: Uint8Array;
  trustAnchors: readonly CertificateInput[];
  intermediates: readonly CertificateInput[];
  revocation?: RevocationChecker;
  clock: Clock;
  /** Policies the certificate must assert (any one); default id-fpki-common-authentication (.13). */
  requiredPolicyOids?: string[];
}

export type PkiAuthVerification =
  | { ok: true; certificate: CertificateFacts; fascn?: string; cardUuid?: string; revocationSource?: "ocsp" | "crl" }
  | { ok: false; reason: PkiAuthFailureReason; detail: string };

export type PivAuthPathResult =
  | { ok: true; anchorSubject: string; revocationSource?: "ocsp" | "crl" }
  | { ok: false; reason: PkiAuthFailureReason; detail: string };

/** Smallest challenge a verifier accepts: a fresh random one is 32 bytes. */
const MIN_CHALLENGE_BYTES = 16;

export async function verifyPkiAuthResponse(input: PkiAuthResponse): Promise<PkiAuthVerification> {
  if (!(input.challenge instanceof Uint8Array) || input.challenge.length < MIN_CHALLENGE_BYTES) {
    return { ok: false, reason: "challenge-signature-invalid", detail: `the challenge must be at least ${MIN_CHALLENGE_BYTES} bytes` };
  }
  let certificate: CertificateFacts;
  try {
    certificate = CertificateFacts.of(input.certificate);
  } catch (error) {
    return { ok: false, reason: "bad-certificate", detail: message(error) };
  }
  const path = await validatePivAuthPath({ ...input, certificate });
  if (!path.ok) return path;
  if (!verifyChallengeSignature(certificate, input.challenge, input.signature)) {
    return {
      ok: false,
      reason: "challenge-signature-invalid",
      detail: "the card's signature over the challenge does not verify with the certificate's key",
    };
  }
  return {
    ok: true,
    certificate,
    ...cardIdentifiers(certificate),
    ...(path.revocationSource ? { revocationSource: path.revocationSource } : {}),
  };
}

/** Path validation of a PIV Authentication certificate at the clock's time (FIPS 201-3 §6.2.3.1 step 2). */
export async function validatePivAuthPath(
  input: Pick<PkiAuthResponse, "certificate" | "trustAnchors" | "intermediates" | "revocation" | "clock" | "requiredPolicyOids">,
): Promise<PivAuthPathResult> {
  const path = await validatePath({
    leaf: input.certificate,
    intermediates: input.intermediates,
    trustAnchors: input.trustAnchors,
    at: input.clock.now(),
    requiredPolicyOids: input.requiredPolicyOids ?? PIV_AUTH_POLICIES,
    leafKeyUsage: ["digitalSignature"],
    revocation: input.revocation,
  });
  if (!path.ok) return path;
  const anchorSubject = path.path[path.path.length - 1]?.subject ?? ""; // the anchor's facts are cached: rendered once
  return { ok: true, anchorSubject, ...(path.revocation.checked ? { revocationSource: path.revocation.source } : {}) };
}

/** Verifies the 9A signature over a challenge with the certificate's public key; false for anything malformed. */
export function verifyChallengeSignature(certificate: CertificateInput, challenge: Uint8Array, signature: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length === 0) return false;
  try {
    const facts = CertificateFacts.of(certificate);
    // Keys PIV does not use are tried with the SHA-256 pairing (the verifier decides, the policy is path validation's).
    const alg = facts.keyAlgorithm ?? (facts.publicKeyCurve ? "p256" : "rsa2048");
    const key = facts.publicKey;
    const hash = hashFor(alg).replace("-", "").toLowerCase();
    if (alg === "p256" || alg === "p384") {
      // PKCS#11 CKM_ECDSA and WebCrypto give raw r||s; X.509-style clients give DER.
      const size = alg === "p256" ? 32 : 48;
      if (signature.length === 2 * size && nodeVerify(hash, challenge, { key, dsaEncoding: "ieee-p1363" }, signature)) return true;
      return signature[0] === 0x30 && nodeVerify(hash, challenge, { key, dsaEncoding: "der" }, signature);
    }
    return nodeVerify(hash, challenge, key, signature);
  } catch {
    return false;
  }
}

export async function pkiAuth(opts: PkiAuthOptions): Promise<PkiAuthResult> {
  const steps: PkiAuthStep[] = [];
  const note = (step: PkiAuthStepName, ok: boolean, detail: string) => {
    const s = { step, ok, detail };
    steps.push(s);
    opts.onStep?.(s);
  };
  const fail = (step: PkiAuthStepName, reason: PkiAuthFailureReason, detail: string, certificate?: CertificateFacts): PkiAuthResult => {
    note(step, false, detail);
    return { ok: false, reason, detail, certificate, steps };
  };

  // 1. Read the PIV Authentication certificate: a free read, no PIN (73-4: container 0101 "Always").
  let certificate: CertificateFacts;
  try {
    const der = opts.card.readCertificate("9A");
    if (!der) return fail("read-certificate", "no-certificate", "the card has no PIV Authentication certificate");
    certificate = CertificateFacts.fromDer(der);
  } catch (error) {
    return fail("read-certificate", cardReason(error, "bad-certificate"), message(error));
  }
  note("read-certificate", true, `${certificate.subject} (serial ${certificate.serialNumber})`);

  // 2. Path validation to the trusted root, at the clock's time, with revocation checking — before the PIN.
  const path = await validatePivAuthPath({ ...opts, certificate });
  if (!path.ok) return fail("validate-path", path.reason, path.detail, certificate);
  note("validate-path", true, `chains to ${path.anchorSubject}${path.revocationSource ? `; status good by ${path.revocationSource.toUpperCase()}` : ""}`);

  // 3. The cardholder proves possession of the card with the PIN (the card enforces the retry counter).
  try {
    opts.card.verifyPin(opts.pin);
  } catch (error) {
    return fail("verify-pin", cardReason(error, "card-error"), message(error), certificate);
  }
  note("verify-pin", true, "PIN accepted");

  // 4. Challenge-response with the 9A key: a fresh random challenge, signed on the card, verified off it (the verifier's half).
  const challenge = randomBytes(32);
  let signature: Uint8Array;
  try {
    signature = opts.card.sign("9A", challenge);
  } catch (error) {
    return fail("challenge-response", cardReason(error, "card-error"), message(error), certificate);
  }
  if (!verifyChallengeSignature(certificate, challenge, signature))
    return fail(
      "challenge-response",
      "challenge-signature-invalid",
      "the card's signature over the challenge does not verify with the certificate's key",
      certificate,
    );
  note("challenge-response", true, "the card signed a fresh 32-byte challenge with the PIV Authentication key");

  const ids = cardIdentifiers(certificate);
  return { ok: true, certificate, subject: certificate.subject, ...ids, steps };
}

function cardReason(error: unknown, fallback: PkiAuthFailureReason): PkiAuthFailureReason {
  if (error instanceof DpclabError && (error.code === "pin-incorrect" || error.code === "card-blocked")) return error.code;
  return fallback;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The FASC-N (hex) and card UUID from the SAN of a PIV Authentication certificate (FIPS 201-3 §4.2.2.1). */
export function cardIdentifiers(cert: CertificateInput): { fascn?: string; cardUuid?: string } {
  const san = CertificateFacts.of(cert).subjectAltName;
  const out: { fascn?: string; cardUuid?: string } = {};
  if (!san) return out;
  for (const uri of san.uris) if (uri.startsWith("urn:uuid:")) out.cardUuid = uri.slice("urn:uuid:".length);
  for (const other of san.otherNames) {
    // otherName 2.16.840.1.101.3.6.6 carries the FASC-N as an OCTET STRING of 25 bytes.
    if (other.typeId !== OIDS.fascn) continue;
    try {
      const octets = derExpect(other.value, 0, other.value.length, 0x04, "FASC-N");
      out.fascn = Buffer.from(other.value.subarray(octets.body, octets.end)).toString("hex");
    } catch {
      // not an OCTET STRING: no FASC-N
    }
  }
  return out;
}
