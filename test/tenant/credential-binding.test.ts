import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GRAPH_ISSUER } from "../../emulators/derived/index.js";
import { inProcessFetch } from "../../emulators/shared/index.js";
import type { LabStack } from "../../emulators/stack/index.js";
import { enrolWithEntrust, JsonClient } from "../../fleet/clients/index.js";
import { enrolDevice } from "../../fleet/enrol-device.js";
import { SoftwareKeystore } from "../../fleet/keystore/index.js";
import type { VirtualClock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import { type LabDir, openLabCard } from "../../src/lab/index.js";
import { CertificateAuthority, CertificateFacts, exportSpki, generateKeyPair } from "../../src/pki/index.js";
import { STACK_BASE_URL as BASE, type StackLab, stackLab } from "../helpers/stack-lab.js";

// Issue 10 §2: the tenant accepts a derived credential only when its issuer vouches for it — signed by the configured
// issuer's CA, in the issuer's records, issued for this device and this device's user (SP 800-157 DC-ISS-02, DC-LNK-01).
const DM = "/tenant/beta/deviceManagement";
let world: StackLab;
let lab: LabDir;
let clock: VirtualClock;
let stack: LabStack;
let api: JsonClient;

beforeAll(async () => {
  world = await stackLab({ seed: "binding", cards: 4 });
  ({ lab, clock, stack } = world);
  api = new JsonClient(inProcessFetch(stack.handler), BASE);
  await api.post(`${DM}/derivedCredentials`, { displayName: "TEST", issuer: GRAPH_ISSUER.entrust, notificationType: "companyPortal" });
});
afterAll(() => world.remove());

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; type: string | null }> {
  const res = await inProcessFetch(stack.handler)(`${BASE}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {}, type: res.headers.get("content-type") };
}

async function mdmEnrol(cardIndex: number): Promise<string> {
  const email = stack.cardIssuer.card(cardIndex).cardholder.email;
  const device = await api.post<{ id: string }>(`${DM}/managedDevices`, {
    platform: "ios",
    osVersion: "17.5",
    ownership: "corporate",
    userPrincipalName: email,
    cardIndex,
    compliant: true,
  });
  return device.id;
}

function registration(der: Uint8Array): Record<string, string> {
  const cert = CertificateFacts.fromDer(der);
  return {
    issuer: GRAPH_ISSUER.entrust,
    certificate: Buffer.from(der).toString("base64"),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    serialNumber: cert.serialNumber,
  };
}

async function entrustEnrolment(cardIndex: number) {
  const record = stack.cardIssuer.card(cardIndex);
  const card = openLabCard(lab, record.tokenLabel);
  try {
    return await enrolDevice({
      fetch: inProcessFetch(stack.handler),
      baseUrl: BASE,
      issuer: "entrust",
      platform: "ios",
      keystore: new SoftwareKeystore(),
      card,
      pin: record.pin,
      cardIndex,
      email: record.cardholder.email,
    });
  } finally {
    card.close();
  }
}

const credentialState = async (deviceId: string) =>
  (await api.post<{ derivedCredential: { state: string } }>(`/__lab/tenant/managedDevices/${deviceId}/checkIn`, {})).derivedCredential.state;

describe("the tenant ties every derived credential to its issuer, device and user", () => {
  it("refuses a self-signed certificate from no lab CA (403), and the device stays without a credential", async () => {
    const deviceId = await mdmEnrol(1);
    const rogue = await CertificateAuthority.createRoot({
      commonName: "CN=DPCLAB TEST rogue CA",
      notBefore: clock.now(),
      notAfter: new Date(clock.now().getTime() + 365 * 86_400_000),
    });
    const keys = await generateKeyPair("p256");
    const forged = await rogue.issue({
      subject: "CN=DPCLAB TEST forged credential",
      publicKey: await exportSpki(keys.publicKey),
      notBefore: clock.now(),
      notAfter: new Date(clock.now().getTime() + 100 * 86_400_000),
      extensions: [],
    });
    const res = await call("POST", `/__lab/tenant/managedDevices/${deviceId}/derivedCredential`, registration(new Uint8Array(forged.rawData)));
    expect(res.status).toBe(403);
    expect(res.type).toBe("application/problem+json");
    expect(String(res.body.detail)).toMatch(/not signed by entrustDatacard's CA/);
    // The rogue CA's own certificate fails the same way (self-signed, not the issuer's).
    expect(
      (await call("POST", `/__lab/tenant/managedDevices/${deviceId}/derivedCredential`, registration(new Uint8Array(rogue.certificate.rawData)))).status,
    ).toBe(403);
    expect(await credentialState(deviceId)).toBe("none");
  });

  it("refuses one real credential on a second device, of the same user or another (403)", async () => {
    const first = await entrustEnrolment(1);
    expect(first.checkIn.derivedCredential.state).toBe("valid");
    const body = registration(first.certificates.pivAuth);
    const sameUser = await mdmEnrol(1);
    const otherUser = await mdmEnrol(3);
    for (const deviceId of [sameUser, otherUser]) {
      const res = await call("POST", `/__lab/tenant/managedDevices/${deviceId}/derivedCredential`, body);
      expect(res.status).toBe(403);
      expect(String(res.body.detail)).toMatch(/issued for another device/);
      expect(await credentialState(deviceId)).toBe("none");
    }
    expect(await credentialState(first.deviceId)).toBe("valid");
  });

  it("an issuer never issues to another user's device: card 1's kiosk session and card 3's user's device is 403 at the issuer", async () => {
    const othersDevice = await mdmEnrol(3);
    const record = stack.cardIssuer.card(1);
    const card = openLabCard(lab, record.tokenLabel);
    const before = stack.issuers.entrust.issuance.credentials().length;
    try {
      const attempt = enrolWithEntrust({
        client: new JsonClient(inProcessFetch(stack.handler), BASE),
        card,
        pin: record.pin,
        device: { deviceId: othersDevice, platform: "ios", osVersion: "17.5", keystore: new SoftwareKeystore(), cameraAllowed: true, onPremisesNetwork: true },
      });
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DpclabError);
      expect((error as DpclabError).status).toBe(403);
      expect((error as DpclabError).message).toMatch(/enrolled for another user/);
    } finally {
      card.close();
    }
    expect(stack.issuers.entrust.issuance.credentials().length).toBe(before);
    expect(await credentialState(othersDevice)).toBe("none");
  });

  it("refuses a credential its issuer revoked (409), and one from an issuer that is not the tenant's (409)", async () => {
    const enrolment = await entrustEnrolment(2);
    const again = await mdmEnrol(2);
    stack.reportLost(enrolment.deviceId); // DC-TRM-01: revoked at the issuer, retired in the tenant
    const res = await call("POST", `/__lab/tenant/managedDevices/${again}/derivedCredential`, registration(enrolment.certificates.pivAuth));
    expect(res.status).toBe(409);
    expect(String(res.body.detail)).toMatch(/revoked/);
    const wrongIssuer = await call("POST", `/__lab/tenant/managedDevices/${again}/derivedCredential`, {
      ...registration(enrolment.certificates.pivAuth),
      issuer: GRAPH_ISSUER.intercede,
    });
    expect(wrongIssuer.status).toBe(409);
    expect(String(wrongIssuer.body.detail)).toMatch(/issuer mismatch/);
  });
});
