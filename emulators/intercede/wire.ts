import { DpclabError } from "../../src/errors.js";
import type { DeviceDescriptor } from "../derived/types.js";

/** Body field readers for the MyID routes: every bad field is a 400 problem naming it, checked before any state changes. */

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_B64 = 24 * 1024;

export function requiredString(body: Record<string, unknown>, name: string, max = 256): string {
  const v = body[name];
  if (typeof v !== "string" || v.length === 0 || v.length > max)
    throw new DpclabError(`"${name}" must be a string of 1..${max} characters`, "bad-request", 400);
  return v;
}

/** A base64 (standard alphabet) field as bytes. */
export function base64Field(body: Record<string, unknown>, name: string, opts: { optional?: boolean } = {}): Uint8Array | undefined {
  const v = body[name];
  if (v === undefined && opts.optional) return undefined;
  if (typeof v !== "string" || v.length === 0 || v.length > MAX_B64 || v.length % 4 !== 0 || !B64.test(v)) {
    throw new DpclabError(`"${name}" must be base64 (standard alphabet, padded)`, "bad-request", 400);
  }
  return new Uint8Array(Buffer.from(v, "base64"));
}

/** The DeviceDescriptor the Identity Agent sends (the core re-checks it; this only gives early, named 400s). */
export function deviceField(body: Record<string, unknown>): DeviceDescriptor {
  const d = body.device as Partial<Record<string, unknown>> | undefined;
  const bad = (why: string) => new DpclabError(`"device" ${why}`, "bad-device", 400);
  if (typeof d !== "object" || d === null || Array.isArray(d)) throw bad("must be an object { deviceId, platform, osVersion, keystore }");
  const unknown = Object.keys(d).filter((k) => !["deviceId", "platform", "osVersion", "keystore"].includes(k));
  if (unknown.length) throw bad(`has unknown properties: ${unknown.join(", ")}`);
  if (typeof d.deviceId !== "string" || !/^[\x21-\x7e]{1,128}$/.test(d.deviceId)) throw bad("deviceId must be 1..128 printable characters");
  if (d.platform !== "ios" && d.platform !== "android") throw bad('platform must be "ios" or "android"');
  if (d.keystore !== "software" && d.keystore !== "hardware") throw bad('keystore must be "software" or "hardware"');
  if (typeof d.osVersion !== "string" || d.osVersion.length === 0 || d.osVersion.length > 32) throw bad("osVersion must be a short string");
  return { deviceId: d.deviceId, platform: d.platform, osVersion: d.osVersion, keystore: d.keystore };
}

export function b64(bytes: Uint8Array | ArrayBuffer): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("base64");
}
