import { randomUUID } from "node:crypto";
import type { X509Certificate } from "../../src/x509.js";

/**
 * The two configuration profiles of the iOS Purebred flow (docs/intune.md §2.1), as Apple XML property lists
 * (.mobileconfig, content type application/x-apple-aspen-config):
 * - the **pre-enrolment configuration profile** (step 7): the lab's TEST root as a trusted root (§1.7 "trusted root
 *   certificate profile is required") and the registration it belongs to;
 * - the **credential configuration profile** (step 9), whose custom payload is the "Purebred Credential Package" that
 *   the Files browser shows under "Purebred Key Chain" (step 11): the certificates and the escrowed S/MIME
 *   key-management key (PKCS#8, DC-KEY-03).
 * Every identifier and display name says TEST: these are not DoD profiles.
 */
export const MOBILECONFIG_CONTENT_TYPE = "application/x-apple-aspen-config";
export const PAYLOAD_PREFIX = "mil.disa.purebred.test";
/** PayloadType of the custom payload that carries the Purebred Credential Package. */
export const CREDENTIAL_PACKAGE_PAYLOAD = `${PAYLOAD_PREFIX}.credential-package`;
/** PayloadType of the custom payload that names the registration in the pre-enrolment profile. */
export const REGISTRATION_PAYLOAD = `${PAYLOAD_PREFIX}.registration`;

export type PlistValue = string | number | boolean | Uint8Array | PlistValue[] | { [key: string]: PlistValue };

export function toPlist(root: PlistValue): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    value(root, ""),
    "</plist>",
    "",
  ].join("\n");
}

function value(v: PlistValue, indent: string): string {
  if (typeof v === "string") return `${indent}<string>${escapeXml(v)}</string>`;
  if (typeof v === "boolean") return `${indent}<${v}/>`;
  if (typeof v === "number") return Number.isInteger(v) ? `${indent}<integer>${v}</integer>` : `${indent}<real>${v}</real>`;
  if (v instanceof Uint8Array) return `${indent}<data>${Buffer.from(v).toString("base64")}</data>`;
  const inner = `${indent}  `;
  if (Array.isArray(v)) return v.length ? `${indent}<array>\n${v.map((x) => value(x, inner)).join("\n")}\n${indent}</array>` : `${indent}<array/>`;
  const entries = Object.entries(v).map(([k, x]) => `${inner}<key>${escapeXml(k)}</key>\n${value(x, inner)}`);
  return entries.length ? `${indent}<dict>\n${entries.join("\n")}\n${indent}</dict>` : `${indent}<dict/>`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function profile(identifier: string, displayName: string, description: string, content: PlistValue[]): string {
  return toPlist({
    PayloadType: "Configuration",
    PayloadVersion: 1,
    PayloadIdentifier: identifier,
    PayloadUUID: randomUUID().toUpperCase(),
    PayloadDisplayName: displayName,
    PayloadDescription: description,
    PayloadOrganization: "DPCLAB TEST",
    PayloadRemovalDisallowed: false,
    PayloadContent: content,
  });
}

function certificatePayload(type: "com.apple.security.root" | "com.apple.security.pkcs1", id: string, name: string, der: Uint8Array): PlistValue {
  return {
    PayloadType: type,
    PayloadVersion: 1,
    PayloadIdentifier: `${PAYLOAD_PREFIX}.${id}`,
    PayloadUUID: randomUUID().toUpperCase(),
    PayloadDisplayName: name,
    PayloadCertificateFileName: `${name}.cer`,
    PayloadContent: der,
  };
}

const der = (c: X509Certificate) => new Uint8Array(c.rawData);

/** §2.1 step 7: installed before the one-time passcodes are exchanged. */
export function preEnrolmentProfile(input: { registrationId: string; deviceId: string; enrolmentUrl: string; trustAnchor: X509Certificate }): string {
  return profile(
    `${PAYLOAD_PREFIX}.pre-enrolment.${input.registrationId}`,
    "TEST Purebred pre-enrollment (DPCLAB TEST — not a DoD profile)",
    "Emulated DISA Purebred pre-enrollment configuration profile (docs/intune.md §2.1 step 7). TEST ONLY.",
    [
      certificatePayload("com.apple.security.root", "trust-anchor", "DPCLAB TEST Root", der(input.trustAnchor)),
      {
        PayloadType: REGISTRATION_PAYLOAD,
        PayloadVersion: 1,
        PayloadIdentifier: `${PAYLOAD_PREFIX}.registration.${input.registrationId}`,
        PayloadUUID: randomUUID().toUpperCase(),
        PayloadDisplayName: "TEST Purebred registration",
        RegistrationId: input.registrationId,
        DeviceId: input.deviceId,
        EnrolmentURL: input.enrolmentUrl,
      },
    ],
  );
}

export interface CredentialPackage {
  credentialId: string;
  certificates: { pivAuth: Uint8Array; signing?: Uint8Array; encryption?: Uint8Array };
  encryptionKeyPkcs8?: Uint8Array;
  issuerCa: X509Certificate;
  trustAnchor: X509Certificate;
}

/** §2.1 step 9 (and the Purebred Credential Package of step 11). */
export function credentialProfile(p: CredentialPackage): string {
  const { pivAuth, signing, encryption } = p.certificates;
  const leaves: PlistValue[] = [certificatePayload("com.apple.security.pkcs1", "piv-auth", "TEST Derived PIV Authentication", pivAuth)];
  if (signing) leaves.push(certificatePayload("com.apple.security.pkcs1", "signing", "TEST Derived Digital Signature", signing));
  if (encryption) leaves.push(certificatePayload("com.apple.security.pkcs1", "encryption", "TEST Derived Key Management", encryption));
  const packagePayload: Record<string, PlistValue> = {
    PayloadType: CREDENTIAL_PACKAGE_PAYLOAD,
    PayloadVersion: 1,
    PayloadIdentifier: `${PAYLOAD_PREFIX}.credential-package.${p.credentialId}`,
    PayloadUUID: randomUUID().toUpperCase(),
    PayloadDisplayName: "Purebred Credential Package (TEST)",
    KeyChain: "Purebred Key Chain",
    CredentialId: p.credentialId,
  };
  if (p.encryptionKeyPkcs8) packagePayload.EncryptionKeyPKCS8 = p.encryptionKeyPkcs8;
  return profile(
    `${PAYLOAD_PREFIX}.credential.${p.credentialId}`,
    "TEST Purebred credential (DPCLAB TEST — not a DoD credential)",
    "Emulated DISA Purebred credential configuration profile (docs/intune.md §2.1 step 9). TEST ONLY.",
    [
      certificatePayload("com.apple.security.root", "trust-anchor", "DPCLAB TEST Root", der(p.trustAnchor)),
      certificatePayload("com.apple.security.pkcs1", "issuer-ca", "DPCLAB TEST Purebred Derived PIV CA", der(p.issuerCa)),
      ...leaves,
      packagePayload,
    ],
  );
}
