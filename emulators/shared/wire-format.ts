import { DpclabError } from "../../src/errors.js";

/**
 * Field readers for the issuers' JSON wire format: every bad field is a 400 problem naming it, checked before any
 * state changes. One rule per field, one message, one status, whichever issuer reads it.
 */

export type Platform = "ios" | "android";

/**
 * Where the device keeps the derived key: a software keystore gives an id-fpki-common-derived-pivAuth (.40)
 * credential, a hardware-backed one (FIPS 140 L2+, key non-exportable) a -hardware (.41) one (CERT-01, DC-TOK-02/03).
 */
export type KeystoreKind = "software" | "hardware";

/** What an issuer is told about the device it issues to (DC-ISS-02: only to approved devices). */
export interface DeviceDescriptor {
  deviceId: string;
  platform: Platform;
  osVersion: string;
  keystore: KeystoreKind;
}

/**
 * The id a phone reports to an issuer: 1..128 printable ASCII characters. (Not the tenant's managed-device id, a
 * GUID the tenant makes: emulators/admin names that one MANAGED_DEVICE_ID.)
 */
const ISSUER_DEVICE_ID = /^[\x21-\x7e]{1,128}$/;
const DEVICE_FIELDS = ["deviceId", "platform", "osVersion", "keystore"];
const MAX_OS_VERSION = 32;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_B64 = 24 * 1024;

function badDevice(message: string): DpclabError {
  return new DpclabError(message, "bad-device", 400);
}

export function readDeviceId(value: unknown, name = "deviceId"): string {
  if (typeof value !== "string" || !ISSUER_DEVICE_ID.test(value)) throw badDevice(`"${name}" must be 1..128 printable characters`);
  return value;
}

export function readPlatform(value: unknown, name = "platform"): Platform {
  if (value !== "ios" && value !== "android") throw badDevice(`"${name}" must be "ios" or "android"`);
  return value;
}

export function readKeystoreKind(value: unknown, name = "keystore"): KeystoreKind {
  if (value !== "software" && value !== "hardware") throw badDevice(`"${name}" must be "software" or "hardware"`);
  return value;
}

export function readOsVersion(value: unknown, name = "osVersion"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_OS_VERSION) throw badDevice(`"${name}" must be 1..${MAX_OS_VERSION} characters`);
  return value;
}

/** The DeviceDescriptor a phone sends, exactly { deviceId, platform, osVersion, keystore }. */
export function readDevice(value: unknown, name = "device"): DeviceDescriptor {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw badDevice(`"${name}" must be an object { ${DEVICE_FIELDS.join(", ")} }`);
  const d = value as Record<string, unknown>;
  const unknown = Object.keys(d).filter((k) => !DEVICE_FIELDS.includes(k));
  if (unknown.length) throw badDevice(`"${name}" has unknown properties: ${unknown.join(", ")}`);
  return {
    deviceId: readDeviceId(d.deviceId, `${name}.deviceId`),
    platform: readPlatform(d.platform, `${name}.platform`),
    osVersion: readOsVersion(d.osVersion, `${name}.osVersion`),
    keystore: readKeystoreKind(d.keystore, `${name}.keystore`),
  };
}

export function requiredString(body: Record<string, unknown>, name: string, max = 256): string {
  const v = body[name];
  if (typeof v !== "string" || v.length === 0 || v.length > max)
    throw new DpclabError(`"${name}" must be a string of 1..${max} characters`, "bad-request", 400);
  return v;
}

/** A base64 (standard alphabet, padded) field as bytes. */
export function base64Field(body: Record<string, unknown>, name: string, opts: { optional?: boolean } = {}): Uint8Array | undefined {
  const v = body[name];
  if (v === undefined && opts.optional) return undefined;
  if (typeof v !== "string" || v.length === 0 || v.length > MAX_B64 || v.length % 4 !== 0 || !B64.test(v)) {
    throw new DpclabError(`"${name}" must be base64 (standard alphabet, padded)`, "bad-request", 400);
  }
  return new Uint8Array(Buffer.from(v, "base64"));
}

export function b64(bytes: Uint8Array | ArrayBuffer): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("base64");
}
