import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GRAPH_ISSUER, type IssuerName } from "../../emulators/derived/index.js";
import { CardIssuer, createCards } from "../../emulators/piv-ca/index.js";
import { inProcessFetch } from "../../emulators/shared/index.js";
import { createLabStack, type LabStack } from "../../emulators/stack/index.js";
import { enrolWithEntrust, JsonClient } from "../../fleet/clients/index.js";
import { enrolDevice } from "../../fleet/enrol-device.js";
import { SoftwareKeystore } from "../../fleet/keystore/index.js";
import { VirtualClock } from "../../src/clock.js";
import type { DpclabError } from "../../src/errors.js";
import { LabDir, openLabCard } from "../../src/lab/index.js";
import { tempDir } from "../helpers/cli.js";

// The whole lab under one origin, in-process: tenant + three issuers + PKI + admin, driven the way a phone would.
const dir = tempDir();
const lab = new LabDir(join(dir.path, "lab"));
const clock = new VirtualClock(new Date("2026-03-01T00:00:00Z"));
let stack: LabStack;
let api: JsonClient;

beforeAll(async () => {
  const issuer = await CardIssuer.create(
    lab,
    { version: 1, alg: "p256", seed: "stack", baseUrl: "http://127.0.0.1:7800", createdAt: clock.now().toISOString() },
    clock,
  );
  await createCards(lab, issuer, { count: 4, seed: "stack", clock });
  stack = await createLabStack(lab, { clock });
  api = new JsonClient(inProcessFetch(stack.handler), "http://127.0.0.1:7800");
});
afterAll(() => dir.remove());

async function useIssuer(issuer: IssuerName): Promise<string> {
  const { value } = await api.get<{ value: { id: string }[] }>("/tenant/beta/deviceManagement/derivedCredentials");
  for (const s of value) await api.delete(`/tenant/beta/deviceManagement/derivedCredentials/${s.id}`);
  const created = await api.post<{ id: string }>("/tenant/beta/deviceManagement/derivedCredentials", {
    displayName: "TEST",
    issuer: GRAPH_ISSUER[issuer],
    notificationType: "companyPortal",
  });
  return created.id;
}

function enrol(issuer: IssuerName, cardIndex: number, platform: "ios" | "android") {
  const cards = stack.cardIssuer.cards();
  const record = cards[cardIndex]!;
  const card = openLabCard(lab, record.tokenLabel);
  const agentRecord = cards[0]!;
  const agent = issuer === "purebred" ? { card: openLabCard(lab, agentRecord.tokenLabel), pin: agentRecord.pin } : undefined;
  return enrolDevice({
    fetch: inProcessFetch(stack.handler),
    baseUrl: "http://127.0.0.1:7800",
    issuer,
    platform,
    keystore: new SoftwareKeystore(),
    card,
    pin: record.pin,
    cardIndex,
    email: record.cardholder.email,
    agent,
  }).finally(() => {
    card.close();
    agent?.card.close();
  });
}

describe("the lab stack", () => {
  for (const issuer of ["purebred", "entrust", "intercede"] as const) {
    for (const platform of ["ios", "android"] as const) {
      it(`${issuer} on ${platform}: enrol, register with the tenant, check in with a valid credential`, async () => {
        await useIssuer(issuer);
        const r = await enrol(issuer, 1, platform);
        expect(r.checkIn.derivedCredential.state).toBe("valid");
        expect(Boolean(r.certificates.signing)).toBe(platform === "ios");
        const status = await api.get<{ certificates: { ca: string; status: string }[] }>(
          `/__admin/certificates/${new (await import("../../src/x509.js")).X509Certificate(r.certificates.pivAuth.slice()).serialNumber}`,
        );
        expect(status.certificates[0]).toMatchObject({ ca: `${issuer}-ca`, status: "good" });
      });
    }
  }

  it("an issuer deleted mid-enrolment: the credential is refused by the tenant and the user must enrol again", async () => {
    const settingsId = await useIssuer("entrust");
    const records = stack.cardIssuer.cards();
    const record = records[2]!;
    const tenant = api;
    const managed = await tenant.post<{ id: string }>("/tenant/beta/deviceManagement/managedDevices", {
      platform: "android",
      osVersion: "14",
      ownership: "fullyManaged",
      userPrincipalName: record.cardholder.email,
      compliant: true,
    });
    const card = openLabCard(lab, record.tokenLabel);
    let result: Awaited<ReturnType<typeof enrolWithEntrust>>;
    try {
      result = await enrolWithEntrust({
        client: new JsonClient(inProcessFetch(stack.handler), "http://127.0.0.1:7800"),
        card,
        pin: record.pin,
        device: { deviceId: managed.id, platform: "android", osVersion: "14", keystore: new SoftwareKeystore(), cameraAllowed: true, onPremisesNetwork: true },
      });
    } finally {
      card.close();
    }
    await tenant.delete(`/tenant/beta/deviceManagement/derivedCredentials/${settingsId}`);
    const { X509Certificate } = await import("../../src/x509.js");
    const cert = new X509Certificate(result.certificates.pivAuth.slice());
    const refused = await tenant
      .post(`/__lab/tenant/managedDevices/${managed.id}/derivedCredential`, {
        issuer: "entrustDatacard",
        certificate: Buffer.from(result.certificates.pivAuth).toString("base64"),
        notBefore: cert.notBefore.toISOString(),
        notAfter: cert.notAfter.toISOString(),
        serialNumber: cert.serialNumber,
      })
      .then(
        () => undefined,
        (e: DpclabError) => e,
      );
    expect(refused?.status).toBeGreaterThanOrEqual(400);
    expect(refused?.status).toBeLessThan(500);
    const checkIn = await tenant.post<{ derivedCredential: { state: string } }>(`/__lab/tenant/managedDevices/${managed.id}/checkIn`, {});
    expect(checkIn.derivedCredential.state).not.toBe("valid");
  });

  it("a blocked PIV card cannot sign in at any kiosk: nothing is issued", async () => {
    await useIssuer("intercede");
    const record = stack.cardIssuer.cards()[3]!;
    const card = openLabCard(lab, record.tokenLabel);
    try {
      const wrong = record.pin === "000000" ? "111111" : "000000";
      for (let i = 0; i < 10; i++) expect(() => card.verifyPin(wrong)).toThrow(/tr(y|ies) left|blocked/);
    } finally {
      card.close();
    }
    const before = stack.issuers.intercede.issuance.credentials().length;
    const error = await enrol("intercede", 3, "ios").then(
      () => undefined,
      (e: DpclabError) => e,
    );
    expect(error?.code).toBe("card-blocked");
    expect(stack.issuers.intercede.issuance.credentials().length).toBe(before);
  });

  it("a device reported lost after its user unenrolled it: its credential is still revoked (DC-TRM-01); an unknown device is 404 and changes nothing", async () => {
    await useIssuer("entrust");
    const r = await enrol("entrust", 2, "ios");
    const serial = new (await import("../../src/x509.js")).X509Certificate(r.certificates.pivAuth.slice()).serialNumber;
    await api.post(`/tenant/beta/deviceManagement/managedDevices/${r.deviceId}/retire`, {});
    const lost = await api.post<{ revoked: { issuer: string; serialNumber: string }[] }>(`/__admin/devices/${r.deviceId}/lost`, {});
    expect(lost.revoked).toEqual([{ issuer: "entrust", serialNumber: serial.toLowerCase() }]);
    const status = await api.get<{ certificates: { status: string }[] }>(`/__admin/certificates/${serial}`);
    expect(status.certificates[0]?.status).toBe("revoked");
    // Reported again: known to the issuer, nothing left to revoke.
    expect((await api.post<{ revoked: unknown[] }>(`/__admin/devices/${r.deviceId}/lost`, {})).revoked).toEqual([]);
    const before = stack.issuers.entrust.issuance.credentials().map((c) => c.status);
    const unknown = await inProcessFetch(stack.handler)(`http://127.0.0.1:7800/__admin/devices/00000000-0000-4000-8000-00000000ffff/lost`, { method: "POST" });
    expect(unknown.status).toBe(404);
    expect(stack.issuers.entrust.issuance.credentials().map((c) => c.status)).toEqual(before);
  });

  it("the admin clock moves the whole stack and runs the issuers' due checks", async () => {
    const before = await api.get<{ now: string }>("/__admin/clock");
    const after = await api.post<{ now: string }>("/__admin/clock/advance", { by: "8d" });
    expect(new Date(after.now).getTime() - new Date(before.now).getTime()).toBe(8 * 86_400_000);
    expect(stack.issuers.entrust.issuance.credentials().every((c) => c.recheckDoneAt !== undefined)).toBe(true);
  });
});
