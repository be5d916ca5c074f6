import { expect } from "vitest";
import type { IssuedCredentialFacts, IssuedCredentialLookup } from "../../emulators/derived/index.js";
import { inProcessFetch } from "../../emulators/shared/index.js";
import { Tenant, type TenantOptions, tenantHandler } from "../../emulators/tenant/index.js";
import { DAY_MS, VirtualClock } from "../../src/clock.js";
import { CertificateAuthority, CertificateFacts, exportSpki, generateKeyPair } from "../../src/pki/index.js";

export const START = new Date("2026-01-01T00:00:00Z");
export const DM = "/tenant/beta/deviceManagement";
export type Json = Record<string, unknown>;

export interface Lab {
  clock: VirtualClock;
  tenant: Tenant;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json; type: string | null }>;
}

/**
 * The issuer the unit-test tenants are connected to: a TEST CA and its book of credentials by serial. The real
 * issuers stand behind the tenant in test/tenant/credential-binding.test.ts; here the tenant's own rules are tested.
 */
export const testIssuer = {
  records: new Map<string, IssuedCredentialFacts>(),
  link: {
    get caCertificate(): CertificateFacts {
      if (!root) throw new Error("the test issuer's CA is made by credentialBody() first");
      return CertificateFacts.of(root.certificate);
    },
    issuedCredential: (serial: string) => testIssuer.records.get(serial.toLowerCase()),
  } satisfies IssuedCredentialLookup,
};

/** A fresh tenant reached in-process through its HTTP handler, connected to the test issuer. */
export function lab(options: TenantOptions = {}, fetchImpl?: typeof fetch): Lab {
  const clock = new VirtualClock(START);
  const tenant = new Tenant(clock, { issuerLink: () => testIssuer.link, ...options });
  const f = fetchImpl ?? inProcessFetch(tenantHandler(tenant));
  return {
    clock,
    tenant,
    async call(method, path, body) {
      const init: RequestInit = { method };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers = { "content-type": "application/json" };
      }
      const res = await f(path, init);
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, type: res.headers.get("content-type") };
    },
  };
}

/** Asserts a problem+json answer and returns its detail. */
export function expectProblem(res: { status: number; body: Json; type: string | null }, status: number, detail?: RegExp): string {
  expect(res.status).toBe(status);
  expect(res.type).toBe("application/problem+json");
  expect(res.body.status).toBe(status);
  expect(typeof res.body.title).toBe("string");
  const text = String(res.body.detail);
  if (detail) expect(text).toMatch(detail);
  return text;
}

export async function ok(res: Promise<{ status: number; body: Json; type: string | null }>, status = 200): Promise<Json> {
  const r = await res;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function addIssuer(l: Lab, issuer = "entrustDatacard", extra: Json = {}): Promise<Json> {
  return ok(l.call("POST", `${DM}/derivedCredentials`, { displayName: "TEST issuer", issuer, notificationType: "companyPortal", ...extra }), 201);
}

export async function enrol(l: Lab, platform: "ios" | "android" = "ios", extra: Json = {}): Promise<string> {
  const body =
    platform === "ios"
      ? { platform, osVersion: "17.4", ownership: "corporate", userPrincipalName: "alice@test.example", compliant: true }
      : { platform, osVersion: "14", ownership: "fullyManaged", userPrincipalName: "bob@test.example", compliant: true };
  return String((await ok(l.call("POST", `${DM}/managedDevices`, { ...body, ...extra }), 201)).id);
}

export async function group(l: Lab, ...deviceIds: string[]): Promise<string> {
  const id = String((await ok(l.call("POST", "/tenant/beta/groups", { displayName: "TEST group" }), 201)).id);
  for (const deviceId of deviceIds) await ok(l.call("POST", `/tenant/beta/groups/${id}/members`, { deviceId }));
  return id;
}

export async function profile(l: Lab, type: string, props: Json = {}, groupIds: string[] = []): Promise<string> {
  const id = String(
    (await ok(l.call("POST", `${DM}/deviceConfigurations`, { "@odata.type": `#microsoft.graph.${type}`, displayName: type, ...props }), 201)).id,
  );
  if (groupIds.length > 0) await assign(l, id, groupIds);
  return id;
}

export async function assign(l: Lab, profileId: string, groupIds: string[]): Promise<Json> {
  return ok(l.call("POST", `${DM}/deviceConfigurations/${profileId}/assign`, { assignments: groupIds.map((groupId) => ({ target: { groupId } })) }));
}

export async function checkIn(l: Lab, deviceId: string): Promise<CheckIn> {
  return (await ok(l.call("POST", `/__lab/tenant/managedDevices/${deviceId}/checkIn`))) as unknown as CheckIn;
}

export interface CheckIn {
  policies: { id: string; type: string; version: number; deployment: number; usesDerivedCredential: boolean; needsEdit: boolean; settings: Json }[];
  derivedCredential: { required: boolean; state: string; renewalDueAt?: string };
  notifications: { channel: string; kind: string; delivered: boolean; reason?: string; message: string; recipient: string }[];
}

let root: CertificateAuthority | undefined;
async function testRoot(): Promise<CertificateAuthority> {
  root ??= await CertificateAuthority.createRoot({
    commonName: "DPCLAB TEST Tenant Root CA",
    notBefore: START,
    notAfter: new Date(START.getTime() + 3650 * DAY_MS),
  });
  return root;
}

/** A real DER certificate (a TEST root), base64: for trusted-root profiles. */
export async function testCertificate(): Promise<string> {
  return Buffer.from((await testRoot()).certificate.rawData).toString("base64");
}

/**
 * The body registering a derived credential: a real certificate with these dates; serial and dates are its own. With
 * `issuedFor`, the test issuer records it as issued to that device and user (what the tenant confirms).
 */
export async function credentialBody(
  issuer: string,
  notBefore: Date,
  notAfter: Date,
  issuedFor?: { deviceId: string; userPrincipalName: string },
): Promise<Json> {
  const ca = await testRoot();
  const keys = await generateKeyPair("p256");
  const cert = await ca.issue({
    subject: "CN=DPCLAB TEST derived credential",
    publicKey: await exportSpki(keys.publicKey),
    notBefore,
    notAfter,
    extensions: [],
  });
  const certificate = Buffer.from(cert.rawData).toString("base64");
  if (issuedFor) testIssuer.records.set(cert.serialNumber.toLowerCase(), { ...issuedFor, status: "active", certificate });
  return {
    issuer,
    certificate,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    serialNumber: cert.serialNumber,
  };
}

/** Registers a derived credential valid for `days` from now on the device. */
export async function registerCredential(l: Lab, deviceId: string, issuer = "entrustDatacard", days = 100): Promise<Json> {
  const now = l.clock.now();
  const issuedFor = { deviceId, userPrincipalName: l.tenant.getDevice(deviceId).userPrincipalName };
  const body = await credentialBody(issuer, now, new Date(now.getTime() + days * DAY_MS), issuedFor);
  return ok(l.call("POST", `/__lab/tenant/managedDevices/${deviceId}/derivedCredential`, body), 201);
}
