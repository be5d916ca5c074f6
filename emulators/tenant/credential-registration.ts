import { DpclabError } from "../../src/errors.js";
import { CertificateFacts } from "../../src/pki/index.js";
import type { IssuedCredentialLookup } from "../derived/index.js";
import type { GraphIssuer } from "./derived-credential-settings.js";
import { parseIssuer } from "./derived-credential-settings.js";
import { asObject, bad, base64, instant, onlyKnown, str } from "./input.js";
import type { ManagedDevice } from "./managed-device.js";

/** A derived credential a device reported, parsed and checked against its own certificate. */
export interface ReportedCredential {
  issuer: GraphIssuer;
  /** Base64 DER, as sent. */
  certificate: string;
  facts: CertificateFacts;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
}

const FIELDS = ["issuer", "certificate", "notBefore", "notAfter", "serialNumber"] as const;

/** Parses `POST …/managedDevices/{id}/derivedCredential`: the stated serial and dates must be the certificate's own. */
export function parseReportedCredential(body: unknown): ReportedCredential {
  const input = asObject(body, "derivedCredential");
  onlyKnown(input, FIELDS, "derivedCredential");
  const issuer = parseIssuer(input.issuer);
  const der = base64(input, "certificate");
  let facts: CertificateFacts;
  try {
    facts = CertificateFacts.fromDer(der);
  } catch {
    throw bad(`"certificate" is not a base64 DER X.509 certificate`, "invalid-certificate");
  }
  const notBefore = instant(input, "notBefore");
  const notAfter = instant(input, "notAfter");
  const serial = str(input, "serialNumber", { required: true, max: 64 }) as string;
  if (!/^[0-9A-Fa-f]{1,40}$/.test(serial)) throw bad(`"serialNumber" must be hex (got "${serial}")`);
  const serialNumber = serial.toLowerCase();
  if (
    serialNumber !== facts.serialNumber.toLowerCase() ||
    notBefore.getTime() !== facts.notBefore.getTime() ||
    notAfter.getTime() !== facts.notAfter.getTime()
  ) {
    throw bad('"serialNumber", "notBefore" and "notAfter" must be those of "certificate"', "certificate-mismatch");
  }
  if (notAfter.getTime() <= notBefore.getTime()) throw bad(`"notAfter" must be after "notBefore"`);
  return { issuer, certificate: input.certificate as string, facts, serialNumber, notBefore, notAfter };
}

/**
 * The tenant accepts a reported credential only when its issuer vouches for it (SP 800-157 DC-ISS-02, DC-LNK-01;
 * docs/intune.md §1.1: the issuer delivers the credential, Intune learns of it from the issuer):
 * - the certificate is signed by the configured issuer's CA (a certificate from anywhere else is not a credential);
 * - the issuer's record of that serial holds the same certificate, still active;
 * - it was issued for this managed device and for this device's user — so one credential cannot be registered on a
 *   second device, and one cardholder's kiosk session cannot furnish another user's device.
 * Throws a DpclabError (403/409) naming what failed; changes nothing.
 */
export function verifyWithIssuer(reported: ReportedCredential, device: ManagedDevice, link: IssuedCredentialLookup | undefined): void {
  const { facts, serialNumber } = reported;
  if (!link) {
    throw new DpclabError(
      `this tenant is not connected to ${reported.issuer}, so it cannot confirm credential ${serialNumber} with its issuer`,
      "issuer-not-connected",
      409,
    );
  }
  const ca = link.caCertificate;
  const untrusted = () =>
    new DpclabError(
      `credential ${serialNumber} is not signed by ${reported.issuer}'s CA ("${ca.subject}"): the tenant accepts only credentials its issuer issued`,
      "credential-untrusted",
      403,
    );
  if (facts.issuerHex !== ca.subjectHex) throw untrusted();
  // The issuer's own record of these exact bytes proves its CA signed them: the signature is checked only to say why
  // a certificate the issuer does not know is refused (a registration is on every renewal's path).
  const record = link.issuedCredential(serialNumber);
  if (!record || record.certificate !== reported.certificate) {
    if (!facts.isSignedBy(ca)) throw untrusted();
    throw new DpclabError(`${reported.issuer} has no record of issuing credential ${serialNumber}`, "credential-unknown-to-issuer", 403);
  }
  if (record.status !== "active") {
    throw new DpclabError(`${reported.issuer} says credential ${serialNumber} is ${record.status}`, "credential-not-active", 409);
  }
  if (record.deviceId !== device.id) {
    throw new DpclabError(
      `credential ${serialNumber} was issued for another device, not for device ${device.id}: a derived credential is bound to the device it was issued to`,
      "credential-of-another-device",
      403,
    );
  }
  if (record.userPrincipalName.toLowerCase() !== device.userPrincipalName.toLowerCase()) {
    throw new DpclabError(
      `credential ${serialNumber} was issued to another user, not to ${device.userPrincipalName}, the user of device ${device.id}`,
      "credential-of-another-user",
      403,
    );
  }
}
