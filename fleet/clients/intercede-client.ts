import type { DeliveredCredential, MobileCredentialRequestView, RekeyPoll } from "../../emulators/intercede/index.js";
import { parseQrPayload } from "../../emulators/intercede/index.js";
import { DpclabError } from "../../src/errors.js";
import { createCsr } from "../../src/pki/index.js";
import type { DeviceKey } from "../keystore/index.js";
import { deviceClient } from "./device-client.js";
import type { EnrolmentInput, EnrolmentResult, EnrolmentStep } from "./enrolment-input.js";
import type { JsonClient } from "./http-json.js";
import { kioskLogin } from "./kiosk-login.js";
import { describeDevice, type SimulatedDevice } from "./simulated-device.js";

/**
 * The cardholder and the phone going through Intercede MyID (docs/intune.md §2.3 iOS, §2.7 Android): sign in at the
 * computer or kiosk with the PIV Card (PKI-AUTH), "request your ID" → "activate with a mobile credential" → QR code;
 * on the phone "Get QR code" → camera permission → scan → certificates. No password step. Then the Identity Agent's
 * automatic rekey before expiry (docs/anchors.md §5), authenticated with the current derived key (DC-MNT-01).
 */
const MYID_PATH = "/issuers/intercede";

/** What MyID installs: the credential, when the Identity Agent should rekey it, and the device keys it certifies. */
export interface IntercedeCredential extends EnrolmentResult {
  notAfter: string;
  /** When the Identity Agent should start polling for the rekey. */
  rekeyDueAt: string;
  /** The device keys the certificates certify (they stay in the device keystore); pass `keys.pivAuth` to rekeyWithIntercede. */
  keys: { pivAuth: DeviceKey; signing?: DeviceKey };
}

export async function enrolWithIntercede(input: EnrolmentInput): Promise<IntercedeCredential> {
  const { client, card, pin, device } = input;
  const steps: EnrolmentStep[] = [];
  const step = (name: string, detail: string) => {
    const s = { step: name, detail };
    steps.push(s);
    input.onStep?.(s);
  };

  // At the computer or self-service kiosk (§2.3 step 6).
  step("kiosk.open-myid", "open MyID at the computer or self-service kiosk");
  const session = await kioskLogin(client, "intercede", card, pin);
  step("kiosk.signed-in", `signed in with the PIV Card as ${session.cardholder} (PKI-AUTH)`);
  const kiosk = client.withBearer(session.sessionId);
  const request = await kiosk.post<MobileCredentialRequestView & { qr: { payload: string; svg: string } }>("/issuers/intercede/kiosk/requests", {
    profile: "mobile-credential",
  });
  step("kiosk.request-your-id", 'chose "request your ID", profile "activate with a mobile credential"');
  step("kiosk.qr-shown", `QR code shown (no password), valid until ${request.expiresAt}`);
  input.onSecretShown?.(request.expiresAt);

  // On the phone (§2.3 steps 7–8, §2.7).
  step(
    "phone.get-qr-code",
    `${device.platform === "ios" ? "Company Portal" : "Intune app"}: "Get QR code", ${device.platform === "ios" ? "Continue" : "NEXT"}`,
  );
  if (!device.cameraAllowed) {
    step("phone.camera-blocked", "the camera is blocked by a device restriction: the QR code cannot be scanned (docs/intune.md §4)");
    throw new DpclabError("the device's camera is blocked by a device restriction, so the MyID QR code cannot be scanned", "camera-blocked", 403);
  }
  step("phone.camera-allowed", "Use Camera > OK");
  const qr = parseQrPayload(request.qr.payload);
  step("phone.qr-scanned", `scanned the MyID QR code for ${qr.url}; no password step`);

  const alg = input.alg ?? "p256";
  const pivAuth = await device.keystore.generateKey(alg);
  const signing = device.platform === "ios" ? await device.keystore.generateKey(alg) : undefined;
  step(
    "phone.keys-generated",
    `generated the derived PIV Authentication key${signing ? " and the S/MIME signing key" : ""} (${alg}) in the ${device.keystore.kind} keystore`,
  );
  const body = {
    qrSession: qr["qr-session"],
    device: describeDevice(device),
    csr: b64(await csrFor(pivAuth)),
    ...(signing ? { smimeSigningCsr: b64(await csrFor(signing)) } : {}),
  };
  // The agent talks to the MyID it is configured with, never to a host read from a QR code: only the path is used.
  const myidPath = new URL(qr.url).pathname.replace(/\/+$/, "");
  if (myidPath !== MYID_PATH) throw new DpclabError(`the QR code names ${myidPath}, not MyID at ${MYID_PATH}`, "qr-foreign-myid", 400);
  const delivered = await deviceClient(client, device).post<DeliveredCredential>(`${MYID_PATH}/device/activations`, body);
  step("phone.certificates-installed", `credential ${delivered.credentialId} installed, valid until ${delivered.notAfter}; rekey due ${delivered.rekeyDueAt}`);
  return credentialOf(delivered, { pivAuth, ...(signing ? { signing } : {}) }, steps);
}

export interface RekeyWithIntercedeInput {
  client: JsonClient;
  device: SimulatedDevice;
  /** The credential to rekey and its current derived PIV Authentication key (the proof, DC-MNT-01). */
  credential: { credentialId: string; key: DeviceKey };
  onStep?: (step: EnrolmentStep) => void;
}

/**
 * One Identity Agent rekey cycle: poll; not due → `{ due: false, dueAt }`; due → sign the challenge with the current
 * key, send a CSR for a new key (DC-MNT-06), get the new credential.
 */
export async function rekeyWithIntercede(
  input: RekeyWithIntercedeInput,
): Promise<{ due: false; dueAt: string; steps: EnrolmentStep[] } | ({ due: true } & IntercedeCredential)> {
  const { client, device, credential } = input;
  const steps: EnrolmentStep[] = [];
  const step = (name: string, detail: string) => {
    const s = { step: name, detail };
    steps.push(s);
    input.onStep?.(s);
  };
  const agent = deviceClient(client, device);
  const path = `/issuers/intercede/device/credentials/${encodeURIComponent(credential.credentialId)}/rekey`;
  const poll = await agent.get<RekeyPoll>(path);
  if (!poll.due) {
    step("agent.rekey-not-due", `no rekey requested yet; MyID requests it from ${poll.dueAt}`);
    return { due: false, dueAt: poll.dueAt, steps };
  }
  step("agent.rekey-requested", `MyID requests a rekey (due since ${poll.dueAt}, expires ${poll.notAfter})`);
  const proof = await credential.key.sign(new Uint8Array(Buffer.from(poll.challenge, "base64")));
  step("agent.proof-signed", "signed the rekey challenge with the current derived key (no new PKI-AUTH)");
  const pivAuth = await device.keystore.generateKey(credential.key.alg);
  const signing = poll.smime ? await device.keystore.generateKey(credential.key.alg) : undefined;
  step("agent.new-keys", `generated a new derived key${signing ? " and a new S/MIME signing key" : ""} in the ${device.keystore.kind} keystore`);
  const delivered = await agent.post<DeliveredCredential>(path, {
    rekeyId: poll.rekeyId,
    signature: b64(proof),
    device: describeDevice(device),
    csr: b64(await csrFor(pivAuth)),
    ...(signing ? { smimeSigningCsr: b64(await csrFor(signing)) } : {}),
  });
  step("agent.rekeyed", `credential ${delivered.credentialId} replaces ${credential.credentialId}, valid until ${delivered.notAfter}`);
  return { due: true, ...credentialOf(delivered, { pivAuth, ...(signing ? { signing } : {}) }, steps) };
}

function csrFor(key: DeviceKey): Promise<Uint8Array> {
  // Empty subject: the CA names the holder from the PIV identity account.
  return createCsr({ subject: "", publicKey: key.publicKey, alg: key.alg, sign: (tbs) => key.sign(tbs) });
}

function credentialOf(d: DeliveredCredential, keys: IntercedeCredential["keys"], steps: EnrolmentStep[]): IntercedeCredential {
  const bytes = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
  return {
    certificates: {
      pivAuth: bytes(d.certificates.pivAuth),
      ...(d.certificates.signing ? { signing: bytes(d.certificates.signing) } : {}),
      ...(d.certificates.encryption ? { encryption: bytes(d.certificates.encryption) } : {}),
    },
    ...(d.encryptionKeyPkcs8 ? { encryptionKeyPkcs8: bytes(d.encryptionKeyPkcs8) } : {}),
    chain: d.chain.map(bytes),
    credentialId: d.credentialId,
    notAfter: d.notAfter,
    rekeyDueAt: d.rekeyDueAt,
    keys,
    steps,
  };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}
