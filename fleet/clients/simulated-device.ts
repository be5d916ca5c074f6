import type { DeviceDescriptor, Platform } from "../../emulators/derived/index.js";
import type { Keystore } from "../keystore/index.js";

/**
 * A simulated phone as the issuer workflows see it: platform and OS version, its keystore, whether the camera may
 * scan a QR code (a device restriction can block it, docs/intune.md §1.7), and whether it can reach the issuer over the
 * on-premises network (Purebred needs corporate Wi-Fi or a VPN, docs/intune.md §1.8).
 */
export interface SimulatedDevice {
  deviceId: string;
  platform: Platform;
  osVersion: string;
  keystore: Keystore;
  cameraAllowed: boolean;
  onPremisesNetwork: boolean;
}

export function describeDevice(device: SimulatedDevice): DeviceDescriptor {
  return { deviceId: device.deviceId, platform: device.platform, osVersion: device.osVersion, keystore: device.keystore.kind };
}
