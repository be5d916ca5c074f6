import { ENROL_ACTION, ENTRUST_CREDENTIAL_TYPE, parseEntrustQr } from "../../emulators/entrust/index.js";
import { DpclabError } from "../../src/errors.js";
import { createCsr } from "../../src/pki/index.js";
import type { DeviceKey } from "../keystore/index.js";
import { deviceClient } from "./device-client.js";
import type { EnrolmentInput, EnrolmentResult, EnrolmentStep } from "./enrolment-input.js";
import { kioskLogin } from "./kiosk-login.js";
import { describeDevice } from "./simulated-device.js";

/**
 * The cardholder and their phone going through Entrust (docs/intune.md §2.2 steps 6–9 for iOS, §2.6 steps 3–7 for
 * Android): sign in to IdentityGuard self-service at the kiosk with the PIV Card and PIN, ask for a Mobile Smart
 * Credential, then on the phone "Get QR code", allow the camera, scan, type the numeric password, and install the
 * certificates. Keys are made in the device's keystore (DC-ISS-12); iOS also gets the S/MIME pair (signing key on
 * the device, encryption key from the issuer's escrow, DC-KEY-03).
 */
export interface EnrolWithEntrustOptions extends EnrolmentInput {
  /** Any name the user types at the kiosk (docs/intune.md §2.2 step 6); default "Entrust Derived Cred". */
  identityName?: string;
}

const ACTIVATE_PATH = "/issuers/entrust/mobile/activate";

interface KioskEnrolment {
  id: string;
  password: string;
  expiresAt: string;
  qr: { payload: string };
}

interface Activation {
  credentialId: string;
  certificates: { pivAuth: string; signing?: string; encryption?: string };
  encryptionKeyPkcs8?: string;
  chain: string[];
}

export async function enrolWithEntrust(opts: EnrolWithEntrustOptions): Promise<EnrolmentResult> {
  const { client, card, pin, device } = opts;
  const steps: EnrolmentStep[] = [];
  const report = (step: string, detail: string) => {
    const s = { step, detail };
    steps.push(s);
    opts.onStep?.(s);
  };
  const app = device.platform === "ios" ? "Company Portal" : "Intune app";

  // docs/intune.md §1.7: a device restriction that blocks the camera makes the QR scan, hence enrolment, impossible.
  // It is a fact of the device, known before anyone goes to the kiosk: nothing is sent to the issuer.
  if (!device.cameraAllowed) {
    report("camera", `the camera is blocked on ${device.deviceId} by a device restriction: the QR code cannot be scanned`);
    throw new DpclabError(
      `device ${device.deviceId} cannot scan the Entrust QR code: the camera is blocked by a device restriction (docs/intune.md §1.7)`,
      "camera-blocked",
      403,
    );
  }

  // §2.2 step 6: IdentityGuard self-service at the kiosk, smart-credential sign-in (PKI-AUTH, DC-ISS-04).
  const login = await kioskLogin(client, "entrust", card, pin);
  report("kiosk.sign-in", `signed in to Entrust IdentityGuard self-service as ${login.cardholder} with the PIV Card and PIN`);
  const identityName = opts.identityName ?? "Entrust Derived Cred";
  const enrolment = await client.withBearer(login.sessionId).post<KioskEnrolment>("/issuers/entrust/kiosk/enrolments", {
    action: ENROL_ACTION,
    smartCredentialAppInstalled: true,
    identityName,
    credentialType: ENTRUST_CREDENTIAL_TYPE,
  });
  report("kiosk.qr-code", `enrolled "${identityName}" for an ${ENTRUST_CREDENTIAL_TYPE}: QR code and numeric password shown until ${enrolment.expiresAt}`);
  opts.onSecretShown?.(enrolment.expiresAt);

  // §2.2 steps 7–8 / §2.6 steps 4–5, on the phone.
  report("device.get-qr-code", `${app}: "Get QR code", ${device.platform === "ios" ? "Continue" : "NEXT"}; camera allowed`);
  const qr = parseEntrustQr(enrolment.qr.payload);
  const portal = new URL(qr.portal);
  // The phone talks to the issuer it is configured with, never to a host read from a QR code: only the path is used.
  // (The QR's origin is the lab's configured base URL, which may differ from where this server listens.)
  if (portal.pathname !== ACTIVATE_PATH) {
    throw new DpclabError(`the QR code names ${portal.pathname}, not the IdentityGuard activation ${ACTIVATE_PATH}`, "qr-foreign-portal", 400);
  }
  report("device.scan", `scanned the QR code of enrolment ${qr.enrolmentId} (portal ${portal.origin})`);
  report("device.password", `"Password required": entered the ${enrolment.password.length}-digit password`);

  const alg = opts.alg ?? "p256";
  const pivAuthKey = await device.keystore.generateKey(alg);
  const csr = await csrFor(pivAuthKey);
  let signingCsr: Uint8Array | undefined;
  if (device.platform === "ios") signingCsr = await csrFor(await device.keystore.generateKey(alg));
  report(
    "device.keys",
    `generated the derived PIV Authentication key${signingCsr ? " and the S/MIME signing key" : ""} in the ${device.keystore.kind} keystore`,
  );

  const activation = await deviceClient(client, device).post<Activation>(ACTIVATE_PATH, {
    qrSession: qr.qrSession,
    password: enrolment.password,
    device: describeDevice(device),
    csr: b64(csr),
    ...(signingCsr ? { smime: { signingCsr: b64(signingCsr) } } : {}),
  });
  const certificates = {
    pivAuth: der(activation.certificates.pivAuth),
    ...(activation.certificates.signing ? { signing: der(activation.certificates.signing) } : {}),
    ...(activation.certificates.encryption ? { encryption: der(activation.certificates.encryption) } : {}),
  };
  report(
    "device.install",
    `${device.platform === "ios" ? "finished" : '"Downloading and installing certificates"'}: ${Object.keys(certificates).join(", ")} installed`,
  );
  report("done", device.platform === "ios" ? "Company Portal finished setting up the derived credential" : `"You're all set!"`);
  return {
    certificates,
    ...(activation.encryptionKeyPkcs8 ? { encryptionKeyPkcs8: der(activation.encryptionKeyPkcs8) } : {}),
    chain: activation.chain.map(der),
    credentialId: activation.credentialId,
    steps,
  };
}

function csrFor(key: DeviceKey): Promise<Uint8Array> {
  return createCsr({ subject: "", publicKey: key.publicKey, alg: key.alg, sign: (tbs) => key.sign(tbs) });
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

function der(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}
