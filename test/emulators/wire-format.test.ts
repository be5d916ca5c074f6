import { describe, expect, it } from "vitest";
import { readDevice, readDeviceId, readKeystoreKind, readOsVersion } from "../../emulators/shared/index.js";
import { DpclabError } from "../../src/errors.js";

// The issuers' one device-descriptor parser: every bad field is 400 bad-device, with a message naming the field.

const GOOD = { deviceId: "00000000-0000-4000-8000-000000000001", platform: "ios", osVersion: "17.5", keystore: "software" };

function refusal(f: () => unknown): { status: number; code: string; message: string } {
  try {
    f();
  } catch (error) {
    if (error instanceof DpclabError) return { status: error.status, code: error.code, message: error.message };
    throw error;
  }
  throw new Error("accepted");
}

describe("device descriptor wire format", () => {
  it("reads exactly { deviceId, platform, osVersion, keystore }", () => {
    expect(readDevice(GOOD)).toEqual(GOOD);
  });

  it.each([
    ["not an object", "phone", '"device" must be an object { deviceId, platform, osVersion, keystore }'],
    ["an array", [GOOD], '"device" must be an object { deviceId, platform, osVersion, keystore }'],
    ["an unknown property", { ...GOOD, imei: "1" }, '"device" has unknown properties: imei'],
    ["an empty deviceId", { ...GOOD, deviceId: "" }, '"device.deviceId" must be 1..128 printable characters'],
    ["a deviceId with a space", { ...GOOD, deviceId: "a b" }, '"device.deviceId" must be 1..128 printable characters'],
    ["a 129-character deviceId", { ...GOOD, deviceId: "x".repeat(129) }, '"device.deviceId" must be 1..128 printable characters'],
    ["another platform", { ...GOOD, platform: "windows" }, '"device.platform" must be "ios" or "android"'],
    ["another keystore", { ...GOOD, keystore: "tee" }, '"device.keystore" must be "software" or "hardware"'],
    ["an empty osVersion", { ...GOOD, osVersion: "" }, '"device.osVersion" must be 1..32 characters'],
    ["a numeric osVersion", { ...GOOD, osVersion: 14 }, '"device.osVersion" must be 1..32 characters'],
  ])("refuses %s: 400 bad-device", (_what, value, message) => {
    expect(refusal(() => readDevice(value))).toEqual({ status: 400, code: "bad-device", message });
  });

  it("names a top-level field as the body names it", () => {
    expect(refusal(() => readDeviceId(42)).message).toBe('"deviceId" must be 1..128 printable characters');
    expect(refusal(() => readKeystoreKind("cloud")).message).toBe('"keystore" must be "software" or "hardware"');
    expect(refusal(() => readOsVersion("x".repeat(33))).message).toBe('"osVersion" must be 1..32 characters');
  });
});
