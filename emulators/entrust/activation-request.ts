import { DpclabError } from "../../src/errors.js";
import { verifyCsr } from "../../src/pki/index.js";
import type { DeviceDescriptor } from "../derived/index.js";
import { type NetworkZone, networkZone, readDevice, readJsonObject } from "../shared/index.js";

/**
 * The phone's activation request after "Password required" (docs/intune.md §2.2 step 8, §2.6 step 5): the scanned QR
 * session, the typed password, the device, and CSR(s) made in the device's keystore (DC-ISS-12). iOS may add the
 * S/MIME signing CSR; the key-management certificate is made and escrowed by the issuance core (DC-KEY-03).
 * Everything is validated here, before any enrolment state or attempt counter changes; a bad body never counts as
 * a password guess.
 */
export interface ActivationRequest {
  qrSession: string;
  password: string;
  device: DeviceDescriptor;
  csr: Uint8Array;
  smime?: { signingCsr: Uint8Array };
  networkZone?: NetworkZone;
}

const QR_SESSION = /^[A-Za-z0-9_-]{16,64}$/;
const PASSWORD = /^\d{6,12}$/;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_CSR_BASE64 = 22 * 1024;

export async function readActivationRequest(req: Request): Promise<ActivationRequest> {
  const zone = networkZone(req);
  const body = await readJsonObject(req, ["qrSession", "password", "device", "csr", "smime"]);
  if (typeof body.qrSession !== "string" || !QR_SESSION.test(body.qrSession)) {
    throw new DpclabError("qrSession must be the session secret read from the QR code", "bad-secret", 400);
  }
  if (typeof body.password !== "string" || !PASSWORD.test(body.password)) {
    throw new DpclabError("password must be the digits shown under the QR code", "bad-secret", 400);
  }
  const device = readDevice(body.device);
  const csr = readCsr(body.csr, "csr");
  let smime: ActivationRequest["smime"];
  if (body.smime !== undefined) {
    const s = body.smime as Record<string, unknown>;
    if (typeof s !== "object" || s === null || Array.isArray(s) || Object.keys(s).some((k) => k !== "signingCsr")) {
      throw new DpclabError("smime must be { signingCsr }", "bad-smime", 400);
    }
    // docs/intune.md §2.6: the Android flow installs the PIV Authentication credential only.
    if (device.platform !== "ios") throw new DpclabError("S/MIME certificates are issued to iOS devices only", "smime-ios-only", 400);
    smime = { signingCsr: readCsr(s.signingCsr, "smime.signingCsr") };
  }
  return { qrSession: body.qrSession, password: body.password, device, csr, ...(smime ? { smime } : {}), ...(zone ? { networkZone: zone } : {}) };
}

/** Base64 DER PKCS#10, with its proof of possession checked now (DC-ISS-12), so a bad CSR costs no password attempt. */
function readCsr(value: unknown, what: string): Uint8Array {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_CSR_BASE64 || !B64.test(value)) {
    throw new DpclabError(`${what} must be a base64 DER PKCS#10 request`, "bad-csr", 400);
  }
  const der = new Uint8Array(Buffer.from(value, "base64"));
  verifyCsr(der);
  return der;
}
