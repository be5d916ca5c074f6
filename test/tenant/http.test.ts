import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, serve } from "../../emulators/shared/index.js";
import { Tenant, tenantHandler } from "../../emulators/tenant/index.js";
import { addIssuer, checkIn, DM, enrol, expectProblem, group, lab, ok, profile, registerCredential } from "./helpers.js";

describe("tenant HTTP: bad input is 4xx problem+json and changes nothing", () => {
  it("refuses a wrong content type (415), invalid JSON (400), non-objects and unknown properties (400)", async () => {
    const l = lab();
    const handler = tenantHandler(l.tenant);
    const f = (init: RequestInit) => handler(new Request(`http://t${DM}/derivedCredentials`, { method: "POST", ...init }));
    const problem = async (res: Response, status: number, detail?: RegExp) =>
      expectProblem({ status: res.status, body: (await res.json()) as Record<string, unknown>, type: res.headers.get("content-type") }, status, detail);
    await problem(await f({ body: "{}", headers: { "content-type": "text/plain" } }), 415, /application\/json/);
    await problem(await f({ body: "{}" }), 415);
    await problem(await f({ body: "{nope", headers: { "content-type": "application/json" } }), 400, /invalid JSON/);
    await problem(await f({ body: "[1]", headers: { "content-type": "application/json; charset=utf-8" } }), 400, /object/);
    expectProblem(await l.call("POST", `${DM}/derivedCredentials`, { displayName: "x", issuer: "intercede", colour: "blue" }), 400, /"colour"/);
    expectProblem(
      await l.call("POST", `${DM}/derivedCredentials`, { "@odata.type": "#microsoft.graph.user", displayName: "x", issuer: "intercede" }),
      400,
      /@odata.type/,
    );
    expectProblem(await l.call("PUT", "/tenant/beta/identity/conditionalAccess/policies", { blockNonCompliantEmail: "yes" }), 400);
    expectProblem(await l.call("PUT", "/tenant/beta/identity/conditionalAccess/policies", { blockNonCompliantEmail: true, grant: 1 }), 400, /"grant"/);
    expectProblem(await l.call("POST", "/tenant/beta/groups", { displayName: "" }), 400);
    expectProblem(await l.call("POST", `/tenant/beta/groups/${await group(l)}/members`, { deviceId: "nope" }), 400, /no managed device/);
    expectProblem(await l.call("POST", `/__lab/tenant/managedDevices/${await enrol(l)}/checkIn`, { force: true }), 400, /no parameters/);
    expect((await ok(l.call("GET", `${DM}/derivedCredentials`))).value).toEqual([]);
    expect(await ok(l.call("GET", "/tenant/beta/identity/conditionalAccess/policies"))).toEqual({ blockNonCompliantEmail: false });
  });

  it("answers unknown resources with 404 and wrong methods with 405", async () => {
    const l = lab();
    expectProblem(await l.call("GET", `${DM}/derivedCredentials/nope`), 404);
    expectProblem(await l.call("GET", `${DM}/managedDevices/nope`), 404);
    expectProblem(await l.call("POST", `/__lab/tenant/managedDevices/nope/checkIn`), 404);
    expectProblem(await l.call("GET", "/tenant/beta/groups/nope"), 404);
    expectProblem(await l.call("GET", "/tenant/nothing"), 404);
    expectProblem(await l.call("PUT", `${DM}/derivedCredentials`, {}), 405);
    expectProblem(await l.call("DELETE", "/tenant/lints"), 405);
  });

  it("persists: toJSON() restores an equivalent tenant", async () => {
    const l = lab();
    await addIssuer(l);
    const device = await enrol(l);
    await profile(l, "iosDerivedCredentialAuthenticationConfiguration", {}, [await group(l, device)]);
    await checkIn(l, device);
    await registerCredential(l, device);
    const state = JSON.parse(JSON.stringify(l.tenant));
    const copy = new Tenant(l.clock, {}, state);
    expect(copy.toJSON()).toEqual(l.tenant.toJSON());
    expect(copy.checkIn(device).derivedCredential.state).toBe("valid");
    expect(copy.outbox()).toEqual(l.tenant.outbox());
    // The restored copy is independent of the saved object.
    copy.createGroup({ displayName: "only in the copy" });
    expect(l.tenant.listGroups()).toHaveLength(1);
  });
});

describe("tenant over a real socket", () => {
  let server: RunningServer;
  beforeAll(async () => {
    const { tenant } = lab();
    server = await serve(tenantHandler(tenant));
  });
  afterAll(async () => server?.close());

  it("runs enrol → issuer → policy → check-in over loopback HTTP", async () => {
    const l = lab({}, ((path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init)) as typeof fetch);
    await addIssuer(l, "purebred");
    const device = await enrol(l, "android");
    await profile(l, "androidDeviceOwnerDerivedCredentialAuthenticationConfiguration", {}, [await group(l, device)]);
    const res = await checkIn(l, device);
    expect(res.derivedCredential).toEqual({ required: true, state: "none" });
    expect(res.notifications.map((n) => [n.kind, n.recipient])).toEqual([["enrolment", "intuneApp"]]);
    expectProblem(await l.call("POST", `${DM}/derivedCredentials`, { displayName: "x", issuer: "xTec" }), 400, /xTec/);
    const raw = await fetch(`${server.url}${DM}/managedDevices`, { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    expect(raw.status).toBe(400);
    expect(raw.headers.get("content-type")).toBe("application/problem+json");
  });
});
