import { GRAPH_ISSUER, type IssuerName, type Platform } from "../emulators/derived/index.js";
import { LAB_TENANT } from "../emulators/tenant/index.js";
import type { PivCard } from "../src/piv/index.js";
import { CertificateFacts } from "../src/pki/index.js";
import { type EnrolmentStep, JsonClient, type SimulatedDevice } from "./clients/index.js";
import { issuerWorkflow } from "./issuers/index.js";
import type { Keystore } from "./keystore/index.js";

export type { EnrolmentStep };

export interface DeviceEnrolment {
  deviceId: string;
  issuer: IssuerName;
  certificates: { pivAuth: Uint8Array; signing?: Uint8Array; encryption?: Uint8Array };
  encryptionKeyPkcs8?: Uint8Array;
  chain: Uint8Array[];
  credentialId: string;
  checkIn: { policies: unknown[]; derivedCredential: { state: string } };
}

export interface EnrolDeviceOptions {
  fetch: typeof fetch;
  baseUrl: string;
  issuer: IssuerName;
  platform: Platform;
  keystore: Keystore;
  card: PivCard;
  pin: string;
  cardIndex: number;
  email: string;
  /** Purebred's registration agent (card + PIN). */
  agent?: { card: PivCard; pin: string };
  cameraAllowed?: boolean;
  onPremisesNetwork?: boolean;
  onStep?: (step: EnrolmentStep) => void;
}

/**
 * One user's phone from MDM enrolment to a working derived credential, as docs/intune.md §2 tells it: the device enrols
 * in the tenant (Company Portal on iOS, the Intune app on Android), runs the issuer's workflow with the user's PIV
 * card at the kiosk, hands the credential to the tenant, and checks in for the policies that use it.
 */
export async function enrolDevice(opts: EnrolDeviceOptions): Promise<DeviceEnrolment> {
  const step = (s: string, detail: string) => opts.onStep?.({ step: s, detail });
  const tenant = new JsonClient(opts.fetch, opts.baseUrl);
  const ios = opts.platform === "ios";
  const managed = await tenant.post<{ id: string }>("/tenant/beta/deviceManagement/managedDevices", {
    platform: opts.platform,
    osVersion: ios ? "17.5" : "14",
    ownership: ios ? "corporate" : "fullyManaged",
    userPrincipalName: opts.email,
    cardIndex: opts.cardIndex,
    compliant: true,
  });
  step("mdm-enrol", `${ios ? "Company Portal" : "Intune app"}: device ${managed.id} enrolled in the tenant`);
  const device: SimulatedDevice = {
    deviceId: managed.id,
    platform: opts.platform,
    osVersion: ios ? "17.5" : "14",
    keystore: opts.keystore,
    cameraAllowed: opts.cameraAllowed ?? true,
    onPremisesNetwork: opts.onPremisesNetwork ?? true,
  };
  const result = await issuerWorkflow(opts.issuer).enrol({
    client: new JsonClient(opts.fetch, opts.baseUrl),
    card: opts.card,
    pin: opts.pin,
    device,
    ...(opts.agent ? { agent: opts.agent } : {}),
    onStep: (s) => step(s.step, s.detail),
  });
  const cert = CertificateFacts.fromDer(result.certificates.pivAuth);
  await tenant.post(`${LAB_TENANT}/managedDevices/${managed.id}/derivedCredential`, {
    issuer: GRAPH_ISSUER[opts.issuer],
    certificate: Buffer.from(result.certificates.pivAuth).toString("base64"),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    serialNumber: cert.serialNumber,
  });
  step("register-credential", `the tenant accepted derived credential ${cert.serialNumber} from ${GRAPH_ISSUER[opts.issuer]}`);
  const checkIn = await tenant.post<DeviceEnrolment["checkIn"]>(`${LAB_TENANT}/managedDevices/${managed.id}/checkIn`, {});
  step(
    "check-in",
    `derived credential ${checkIn.derivedCredential.state}; ${checkIn.policies.length} polic${checkIn.policies.length === 1 ? "y" : "ies"} to apply`,
  );
  return { deviceId: managed.id, issuer: opts.issuer, ...result, checkIn };
}
