import type { IssuerName, Platform } from "../emulators/derived/index.js";
import { type CheckInResult, LAB_TENANT } from "../emulators/tenant/index.js";
import { RecordingKeystore } from "../fleet/agent/index.js";
import { JsonClient, kioskLogin, type SimulatedDevice } from "../fleet/clients/index.js";
import { issuerWorkflow as workflowOf } from "../fleet/issuers/index.js";
import { type DeviceKey, SoftwareKeystore } from "../fleet/keystore/index.js";
import { DpclabError } from "../src/errors.js";
import type { PivCard } from "../src/piv/index.js";
import { CertificateFacts } from "../src/pki/index.js";
import { X509Certificate } from "../src/x509.js";
import { graphIssuer, type Outcome } from "./model.js";
import { BASE_URL, type CapturedRequest, DM, type HeldCredential, type RealDevice, type Step, type World } from "./world.js";

/**
 * What a simulated phone and its user do against the real stack (docs/intune.md §2), as small steps the commands and the
 * races compose: MDM enrolment, check-in, the issuer's workflow with the PIV Card at the kiosk, registration of the
 * credential with the tenant, the Intercede Identity Agent's rekey. Each takes an optional `step` so that a race can
 * interleave it with another flow between HTTP requests.
 */

/** The result of an attempt: the value, or the DpclabError code it was refused with. Anything else is a bug and propagates. */
export type Attempt<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

export async function attempt<T>(f: () => Promise<T> | T): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (error) {
    if (error instanceof DpclabError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}

/** Compares an attempt with the model's prediction; a mismatch fails the run with both sides. */
export function expectOutcome(w: World, what: string, predicted: Outcome, actual: Attempt<unknown>): void {
  w.count(actual.ok ? "ok" : actual.code);
  const same = predicted.ok ? actual.ok : !actual.ok && actual.code === predicted.code;
  if (!same) {
    const got = actual.ok ? "success" : `refusal "${actual.code}" (${actual.message})`;
    throw new Error(`${what}: the model predicted ${predicted.ok ? "success" : `refusal "${predicted.code}"`}, the stack answered ${got}`);
  }
  if (!predicted.ok && predicted.deviation) w.finding(predicted.deviation, `${what}: refused "${predicted.code}"`);
}

const OS_VERSION: Record<Platform, string> = { ios: "17.5", android: "14" };

/** The managed device enrols in the tenant (Company Portal / Intune app) and the admin puts it in the scenario group. */
export async function mdmEnrol(w: World, modelIndex: number, platform: Platform, cardIndex: number, step?: Step): Promise<RealDevice> {
  const api = w.api({ device: modelIndex, ...(step ? { step } : {}) });
  const ios = platform === "ios";
  const managed = await api.post<{ id: string }>(`${DM}/managedDevices`, {
    platform,
    osVersion: OS_VERSION[platform],
    ownership: ios ? "corporate" : "fullyManaged",
    userPrincipalName: w.record(cardIndex).cardholder.email,
    cardIndex,
    compliant: true,
  });
  await api.post(`/tenant/beta/groups/${w.groupId}/members`, { deviceId: managed.id });
  // Exportable: a scenario may hand the keys to real relying parties' clients (scenarios/relying-parties.ts). TEST keys.
  const device: RealDevice = {
    index: modelIndex,
    tenantId: managed.id,
    platform,
    keystore: new RecordingKeystore(new SoftwareKeystore({ exportable: true })),
    history: [],
  };
  w.devices[modelIndex] = device;
  return device;
}

export function checkIn(w: World, d: RealDevice, step?: Step): Promise<CheckInResult> {
  return w.api({ device: d.index, ...(step ? { step } : {}) }).post<CheckInResult>(`${LAB_TENANT}/managedDevices/${d.tenantId}/checkIn`, {});
}

/** The device's own view of its restrictions: a deployed device restriction that blocks the camera (docs/intune.md §1.7). */
export function cameraAllowedBy(result: CheckInResult): boolean {
  return !result.policies.some((p) => p.settings.cameraBlocked === true);
}

/** Requests that carry a one-time secret or a single-use challenge: presented again, each must be refused. */
const SECRET_REQUESTS =
  /^\/issuers\/(entrust|intercede|purebred)\/kiosk\/login$|^\/issuers\/entrust\/mobile\/activate$|^\/issuers\/intercede\/device\/activations$|^\/issuers\/intercede\/device\/credentials\/[^/]+\/rekey$|^\/issuers\/purebred\/registrations\/[^/]+\/(otp1|confirm|credentials)$/;

export interface WorkflowInput {
  device: RealDevice;
  issuer: IssuerName;
  cardIndex: number;
  cameraAllowed: boolean;
  onPremisesNetwork: boolean;
  /** The user first types a wrong PIN at the kiosk (the card counts it), then the right one. */
  typo?: boolean;
  step?: Step;
  /** Filled with the one-time-secret requests of the flow. */
  captured: CapturedRequest[];
}

export interface Delivered {
  issuer: IssuerName;
  credentialId: string;
  certificates: { pivAuth: Uint8Array; signing?: Uint8Array; encryption?: Uint8Array };
  chain: Uint8Array[];
  key?: HeldCredential["key"];
  signingKey?: HeldCredential["key"];
}

/** The issuer's workflow end to end (docs/intune.md §2.1–§2.7) with the cardholder's PIV Card at the kiosk. */
export async function issuerWorkflow(w: World, input: WorkflowInput): Promise<Delivered> {
  const { device, issuer, cardIndex } = input;
  const fetch = w.fetch({ device: device.index, ...(input.step ? { step: input.step } : {}), capture: { match: SECRET_REQUESTS, into: input.captured } });
  const record = w.record(cardIndex);
  const workflow = workflowOf(issuer);
  const card = input.typo ? withTypo(w.card(cardIndex)) : w.card(cardIndex);
  const simulated: SimulatedDevice = {
    deviceId: device.tenantId,
    platform: device.platform,
    osVersion: OS_VERSION[device.platform],
    keystore: device.keystore,
    cameraAllowed: input.cameraAllowed,
    onPremisesNetwork: input.onPremisesNetwork,
  };
  const agentRecord = workflow.needsAgent ? w.record(0) : undefined; // card 0's holder is the registration agent
  const agent = agentRecord && { card: w.card(agentRecord.index), pin: agentRecord.pin };
  const r = await workflow.enrol({ client: new JsonClient(fetch, BASE_URL), card, pin: record.pin, device: simulated, ...(agent ? { agent } : {}) });
  return { issuer, credentialId: r.credentialId, certificates: r.certificates, chain: r.chain, ...keysOf(r.keys ?? recordedKeys(device, r.certificates)) };
}

/** The issuer's own rekey, e.g. the Identity Agent's (docs/anchors.md §5): "not-due", or the new credential. */
export async function rekeyFlow(w: World, device: RealDevice, held: HeldCredential, captured: CapturedRequest[], step?: Step): Promise<Delivered | "not-due"> {
  const { rekey } = workflowOf(held.issuer);
  if (!held.key || !rekey) throw new Error(`device ${device.index} holds no credential its issuer rekeys (${held.issuer})`);
  const fetch = w.fetch({ device: device.index, ...(step ? { step } : {}), capture: { match: SECRET_REQUESTS, into: captured } });
  const r = await rekey({
    client: new JsonClient(fetch, BASE_URL),
    device: {
      deviceId: device.tenantId,
      platform: device.platform,
      osVersion: OS_VERSION[device.platform],
      keystore: device.keystore,
      cameraAllowed: true,
      onPremisesNetwork: true,
    },
    credential: { credentialId: held.credentialId, key: held.key },
  });
  if (!r.due) return "not-due";
  return {
    issuer: held.issuer,
    credentialId: r.credentialId,
    certificates: r.certificates,
    chain: r.chain,
    ...keysOf(r.keys ?? recordedKeys(device, r.certificates)),
  };
}

/** The device hands its credential to the tenant (the Company Portal / Intune app import, docs/intune.md §2). */
export async function register(w: World, device: RealDevice, held: HeldCredential, step?: Step): Promise<void> {
  await w.api({ device: device.index, ...(step ? { step } : {}) }).post(`${LAB_TENANT}/managedDevices/${device.tenantId}/derivedCredential`, {
    issuer: graphIssuer(held.issuer),
    certificate: Buffer.from(held.pivAuth).toString("base64"),
    notBefore: held.notBefore.toISOString(),
    notAfter: held.notAfter.toISOString(),
    serialNumber: held.serialNumber,
  });
}

/** What the device keeps of a delivered credential. */
export function hold(model: number, d: Delivered): HeldCredential {
  const cert = new X509Certificate(d.certificates.pivAuth.slice());
  return {
    model,
    issuer: d.issuer,
    credentialId: d.credentialId,
    serialNumber: cert.serialNumber.toLowerCase(),
    pivAuth: d.certificates.pivAuth,
    ...(d.certificates.signing ? { signing: d.certificates.signing } : {}),
    ...(d.certificates.encryption ? { encryption: d.certificates.encryption } : {}),
    chain: d.chain,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    ...(d.key ? { key: d.key } : {}),
    ...(d.signingKey ? { signingKey: d.signingKey } : {}),
  };
}

/** The keys the device's keystore made for these certificates (the issuers other than Intercede do not hand them back). */
function recordedKeys(device: RealDevice, certificates: Delivered["certificates"]): { pivAuth: DeviceKey; signing?: DeviceKey } | undefined {
  const spki = (der: Uint8Array) => CertificateFacts.fromDer(der).spki;
  const [pivAuth, signing] = device.keystore.take(spki(certificates.pivAuth), ...(certificates.signing ? [spki(certificates.signing)] : []));
  return pivAuth ? { pivAuth, ...(signing ? { signing } : {}) } : undefined;
}

/** The device keys a workflow made: PIV Authentication (Intercede's rekey proof) and S/MIME signing (relying parties). */
function keysOf(keys: { pivAuth: DeviceKey; signing?: DeviceKey } | undefined): Pick<Delivered, "key" | "signingKey"> {
  return { ...(keys?.pivAuth ? { key: keys.pivAuth } : {}), ...(keys?.signing ? { signingKey: keys.signing } : {}) };
}

/** A user's mistyped PIN at a kiosk: the card counts the try (docs/intune.md §2: "enter the smart card PIN"). */
export async function mistypePin(w: World, issuer: IssuerName, cardIndex: number): Promise<void> {
  const pin = w.record(cardIndex).pin;
  await kioskLogin(w.api(), issuer, w.card(cardIndex), mistyped(pin));
}

export function mistyped(pin: string): string {
  const last = Number(pin.at(-1) ?? "0");
  return `${pin.slice(0, -1)}${(last + 1) % 10}`;
}

/** Lockout bookkeeping of the issuers (5 dead secrets in 15 minutes lock a device out): replays stay below it. */
const REPLAY_WINDOW_MS = 15 * 60_000;
const REPLAYS_PER_WINDOW = 3;

/**
 * Presents every captured one-time secret again (docs/intune.md §1.7, §2: time-limited one-time passcodes; FIPS 201-3
 * §6.2.3.1 fresh challenge): each must be refused with a 4xx, and none may mint a credential.
 */
export async function replaySecrets(w: World, device: RealDevice, captured: CapturedRequest[]): Promise<void> {
  const now = w.clock.now().getTime();
  for (const req of captured) {
    const path = new URL(req.url).pathname;
    const counted = /\/(mobile\/activate|device\/activations)$/.test(path);
    const key = `${path.split("/")[2]}:${device.tenantId}`;
    if (counted) {
      const recent = (w.replayFailures.get(key) ?? []).filter((t) => now - t < REPLAY_WINDOW_MS);
      if (recent.length >= REPLAYS_PER_WINDOW) continue; // another replay would lock the device out of its next real enrolment
      w.replayFailures.set(key, [...recent, now]);
    }
    const minted = mintedCount(w);
    const res = await w.fetch({ device: device.index })(req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
    });
    const text = await res.text();
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { code?: string }).code;
    } catch {
      code = undefined;
    }
    w.replays.push({ label: `${req.method} ${path}`, status: res.status, ...(code ? { code } : {}) });
    if (mintedCount(w) !== minted) w.replays.push({ label: `${req.method} ${path} minted a credential`, status: 0 });
  }
}

export function mintedCount(w: World): number {
  let n = 0;
  for (const issuer of Object.values(w.stack.issuers)) n += issuer.issuance.credentials().length;
  return n;
}

/** The card as the kiosk sees it when the user first mistypes the PIN (fleet/agent/user-slips.ts does the same). */
function withTypo(card: PivCard): PivCard {
  let typed = false;
  return new Proxy(card, {
    get: (target, prop) => {
      if (prop === "verifyPin")
        return (pin: string) => {
          if (!typed) {
            typed = true;
            try {
              target.verifyPin(mistyped(pin));
            } catch (error) {
              if (!(error instanceof DpclabError) || error.code !== "pin-incorrect") throw error;
            }
          }
          target.verifyPin(pin);
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
