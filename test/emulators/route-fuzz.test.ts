import { request as httpRequest } from "node:http";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_FAULTS, requireAdminToken } from "../../emulators/admin/index.js";
import { GRAPH_ISSUER } from "../../emulators/derived/index.js";
import { ENROL_ACTION, ENTRUST_CREDENTIAL_TYPE } from "../../emulators/entrust/entrust-emulator.js";
import { CardIssuer, createCards } from "../../emulators/piv-ca/index.js";
import { isForbiddenMethod } from "../../emulators/shared/buffered-request.js";
import { inProcessFetch, type RunningServer, serve } from "../../emulators/shared/index.js";
import { createLabStack, type LabStack } from "../../emulators/stack/index.js";
import { JsonClient, kioskLogin } from "../../fleet/clients/index.js";
import { enrolDevice } from "../../fleet/enrol-device.js";
import { SoftwareKeystore } from "../../fleet/keystore/index.js";
import { VirtualClock } from "../../src/clock.js";
import { LabDir, openLabCard } from "../../src/lab/index.js";
import { tempDir } from "../helpers/cli.js";
import { propertySeed } from "../helpers/fast-check-seed.js";
import { describeRequest, type HostileRequest, hostileRequest, initOf, type RealIds } from "./hostile-requests.js";
import { stackSnapshot } from "./stack-snapshot.js";

// docs/architecture.md: bad input never produces a 5xx, a crash, or lost state; errors are problem+json (issue 10). Over the
// whole lab stack, in-process and over a real socket: never a 5xx; every 4xx is problem+json with title, status and
// detail; a refused request leaves everything a client can observe as it was; and the lab still works afterwards.

const BASE = "http://127.0.0.1:7800";
const DM = "/tenant/beta/deviceManagement";
const dir = tempDir();
const lab = new LabDir(join(dir.path, "lab"));
const clock = new VirtualClock(new Date("2026-03-01T00:00:00Z"));
const { params } = propertySeed("route-fuzz");
/** DPCLAB_FUZZ_RUNS=N searches longer (the default keeps the suite short). */
const RUNS = Number(process.env.DPCLAB_FUZZ_RUNS) || 600;
/** Answers seen, by status: printed, to show the run reached past the lookups (2xx) and not only 404s. */
const seen = new Map<number, number>();
let stack: LabStack;
let ids: RealIds;

beforeAll(async () => {
  const issuer = await CardIssuer.create(lab, { version: 1, alg: "p256", seed: "route-fuzz", baseUrl: BASE, createdAt: clock.now().toISOString() }, clock);
  await createCards(lab, issuer, { count: 2, seed: "route-fuzz", clock });
  stack = await createLabStack(lab, { clock });
  // A lived-in lab: an issuer, a device with a credential (Intercede, so rekey routes have one), a group, a profile.
  const f = inProcessFetch(stack.handler, BASE);
  const api = new JsonClient(f, BASE);
  const settings = await api.post<{ id: string }>(`${DM}/derivedCredentials`, {
    displayName: "TEST",
    issuer: GRAPH_ISSUER.intercede,
    notificationType: "companyPortal",
  });
  const record = stack.cardIssuer.cards()[1]!;
  const card = openLabCard(lab, record.tokenLabel);
  const enrolment = await enrolDevice({
    fetch: f,
    baseUrl: BASE,
    issuer: "intercede",
    platform: "android",
    keystore: new SoftwareKeystore(),
    card,
    pin: record.pin,
    cardIndex: 1,
    email: record.cardholder.email,
  }).finally(() => card.close());
  const group = await api.post<{ id: string }>("/tenant/beta/groups", { displayName: "TEST group" });
  await api.post(`/tenant/beta/groups/${group.id}/members`, { deviceId: enrolment.deviceId });
  const profile = await api.post<{ id: string }>(`${DM}/deviceConfigurations`, {
    "@odata.type": "#microsoft.graph.iosEnterpriseWiFiConfiguration",
    displayName: "TEST Wi-Fi",
    ssid: "TEST",
    eapType: "peap",
    authenticationMethod: "derivedCredential",
  });
  await api.post(`${DM}/deviceConfigurations/${profile.id}/assign`, { assignments: [{ target: { groupId: group.id } }] });
  // Signed in at each kiosk (card 1; card 0, the Purebred agent, at Purebred), with something made there.
  const sessions: string[] = [];
  const other: RealIds = {};
  for (const [issuerName, index] of [
    ["entrust", 1],
    ["intercede", 1],
    ["purebred", 0],
  ] as const) {
    const r = stack.cardIssuer.cards()[index]!;
    const c = openLabCard(lab, r.tokenLabel);
    try {
      sessions.push((await kioskLogin(api, issuerName, c, r.pin)).sessionId);
    } finally {
      c.close();
    }
  }
  const kiosk = (i: number) => api.withBearer(sessions[i]!);
  other.entrustEnrolment = (
    await kiosk(0)
      .post<{ id: string }>("/issuers/entrust/kiosk/enrolments", {
        action: ENROL_ACTION,
        smartCredentialAppInstalled: true,
        identityName: "TEST",
        credentialType: ENTRUST_CREDENTIAL_TYPE,
      })
      .catch(() => ({ id: undefined }))
  ).id;
  other.intercedeRequest = (
    await kiosk(1)
      .post<{ id: string }>("/issuers/intercede/kiosk/requests", { profile: "mobile-credential" })
      .catch(() => ({ id: undefined }))
  ).id;
  const { X509Certificate } = await import("../../src/x509.js");
  ids = {
    settings: settings.id,
    device: enrolment.deviceId,
    credential: enrolment.credentialId,
    group: group.id,
    profile: profile.id,
    serial: new X509Certificate(enrolment.certificates.pivAuth.slice()).serialNumber,
    ca: "intercede-ca",
    crl: "piv-ca.crl",
    p7c: "root.p7c",
    ...other,
    sessions,
  };
  console.log(`[route-fuzz] real ids: ${JSON.stringify(ids)}`);
}, 120_000);
afterAll(() => dir.remove());

/** Sends `r`, then holds the answer to the rules; `fetchRefuses`: a Fetch client cannot even send it (TRACE). */
async function holds(r: HostileRequest, send: (r: HostileRequest) => Promise<{ status: number; type: string | null; text: string }>): Promise<void> {
  const what = describeRequest(r);
  const before = stackSnapshot(stack);
  const res = await send(r);
  seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
  expect(res.status, `${what} → ${res.status} ${res.text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.type, `${what} → ${res.status} without problem+json`).toBe("application/problem+json");
    if (r.method.toUpperCase() !== "HEAD") {
      const problem = JSON.parse(res.text) as Record<string, unknown>;
      expect(typeof problem.title, `${what}: title`).toBe("string");
      expect(problem.status, `${what}: status member`).toBe(res.status);
      expect(typeof problem.detail, `${what}: detail`).toBe("string");
    }
    const after = stackSnapshot(stack);
    if (after !== before) throw new Error(`${what} was refused (${res.status}) yet changed the lab: ${firstDifference(before, after)}`);
  } else if (JSON.stringify(stack.faults.knobs) !== JSON.stringify(NO_FAULTS)) {
    stack.faults.set({ ...NO_FAULTS }); // an accepted PUT /__admin/faults would inject 503s (5xx by design) into the next requests
  }
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `before …${a.slice(Math.max(0, i - 120), i + 120)}… after …${b.slice(Math.max(0, i - 120), i + 120)}…`;
}

const inProcess = async (r: HostileRequest) => {
  const f = inProcessFetch(stack.handler, BASE);
  const res = await f(r.path, initOf(r));
  return { status: res.status, type: res.headers.get("content-type"), text: r.method.toUpperCase() === "HEAD" ? "" : await res.text() };
};

/** Over node:http, which (unlike fetch) sends any method, TRACE included. */
function overSocket(server: RunningServer) {
  return (r: HostileRequest) =>
    new Promise<{ status: number; type: string | null; text: string }>((done, fail) => {
      const init = initOf(r);
      const headers: Record<string, string> = {};
      for (const [k, v] of new Headers(init.headers)) headers[k] = v;
      // node:http sends the target as given: what a URL would percent-encode is encoded here (a raw space is no target).
      const target = r.path.replace(/#.*$/, "").replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c));
      const req = httpRequest(`${server.url}${target}`, { method: r.method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => done({ status: res.statusCode ?? 0, type: res.headers["content-type"] ?? null, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", fail);
      });
      req.on("error", fail);
      req.end(typeof init.body === "string" ? init.body : undefined);
    });
}

/** After the run the lab still does its job: a device enrols in the tenant, the kiosk hands out a challenge. */
async function stillWorks(): Promise<void> {
  const api = new JsonClient(inProcessFetch(stack.handler, BASE), BASE);
  const device = await api.post<{ id: string }>(`${DM}/managedDevices`, {
    platform: "ios",
    osVersion: "17.5",
    ownership: "corporate",
    userPrincipalName: stack.cardIssuer.cards()[0]!.cardholder.email,
    compliant: true,
  });
  expect(device.id).toMatch(/^[0-9a-f-]{36}$/);
  const challenge = await api.post<{ challengeId?: string }>("/issuers/entrust/kiosk/challenge", {});
  expect(challenge).toBeTypeOf("object");
  expect(Object.prototype).not.toHaveProperty("polluted");
}

describe("every route of the lab stack under hostile requests", () => {
  it("in-process: no 5xx, problem+json refusals that change nothing, and the lab works afterwards", async () => {
    await fc.assert(
      fc.asyncProperty(hostileRequest(ids), async (r) => {
        if (isForbiddenMethod(r.method)) {
          // Fetch itself refuses TRACE, TRACK and CONNECT: an in-process client cannot send them (the socket run does).
          const before = stackSnapshot(stack);
          await expect(inProcess(r)).rejects.toThrow(TypeError);
          expect(stackSnapshot(stack)).toBe(before);
          return;
        }
        await holds(r, inProcess);
      }),
      params(RUNS),
    );
    console.log(
      `[route-fuzz] in-process answers by status: ${[...seen]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}×${n}`)
        .join(" ")}`,
    );
    seen.clear();
    await stillWorks();
  });

  it("over a real socket (node:http), /__admin behind a token: the same, TRACE included", async () => {
    // As `dpclab serve --host 0.0.0.0` mounts it: /__admin behind a token, which some requests carry.
    const token = "route-fuzz-admin-token-0123456789";
    const server = await serve(requireAdminToken(stack.handler, token));
    const withToken = { ...ids, sessions: [...(ids.sessions ?? []), token] };
    try {
      const send = overSocket(server);
      await fc.assert(
        fc.asyncProperty(hostileRequest(withToken), fc.constantFrom(undefined, "TRACE", "TRACK"), async (r, method) =>
          holds(method ? { ...r, method } : r, send),
        ),
        params(Math.ceil(RUNS / 4)),
      );
    } finally {
      await server.close();
    }
    await stillWorks();
  });
});
