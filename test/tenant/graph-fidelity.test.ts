import { describe, expect, it } from "vitest";
import { inProcessFetch } from "../../emulators/shared/index.js";
import { tenantHandler } from "../../emulators/tenant/index.js";
import { addIssuer, checkIn, DM, enrol, expectProblem, group, type Json, lab, ok, profile } from "./helpers.js";

// docs/intune.md §6: what a client written against Microsoft Graph sends works, or gets a clear 400 problem+json.
const LAB = "/__lab/tenant";
const WIFI = { ssid: "TEST", eapType: "peap", authenticationMethod: "derivedCredential" };

describe("syncDevice (docs/intune.md §6.1)", () => {
  it("answers 204, marks the device's check-in due (pending syncDevice), and the next check-in completes it", async () => {
    const l = lab();
    const device = await enrol(l);
    const res = await l.call("POST", `${DM}/managedDevices/${device}/syncDevice`);
    expect(res.status).toBe(204);
    const started = l.clock.now().toISOString();
    const pending = await ok(l.call("GET", `${DM}/managedDevices/${device}`));
    expect(pending.deviceActionResults).toEqual([{ actionName: "syncDevice", actionState: "pending", startDateTime: started, lastUpdatedDateTime: started }]);
    l.clock.advance(60_000);
    await checkIn(l, device);
    const done = await ok(l.call("GET", `${DM}/managedDevices/${device}?$select=deviceActionResults,lastSyncDateTime`));
    expect(done).toEqual({
      deviceActionResults: [{ actionName: "syncDevice", actionState: "done", startDateTime: started, lastUpdatedDateTime: l.clock.now().toISOString() }],
      lastSyncDateTime: l.clock.now().toISOString(),
    });
    // A second sync replaces the entry (one per action); an empty {} body is tolerated, parameters are not.
    expect((await l.call("POST", `${DM}/managedDevices/${device}/syncDevice`, {})).status).toBe(204);
    expect(((await ok(l.call("GET", `${DM}/managedDevices/${device}`))).deviceActionResults as Json[]).map((a) => a.actionState)).toEqual(["pending"]);
    const before = JSON.stringify(l.tenant.toJSON());
    expectProblem(await l.call("POST", `${DM}/managedDevices/${device}/syncDevice`, { force: true }), 400, /no parameters/);
    expectProblem(await l.call("POST", `${DM}/managedDevices/nope/syncDevice`), 404);
    expectProblem(await l.call("GET", `${DM}/managedDevices/${device}/syncDevice`), 405);
    expect(JSON.stringify(l.tenant.toJSON())).toBe(before);
    expectProblem(await l.call("PATCH", `${DM}/managedDevices/${device}`, { deviceActionResults: [] }), 400, /read-only/);
  });
});

describe("the lab-only endpoints (docs/intune.md §6.4)", () => {
  it("serves check-in and credential registration under /__lab/tenant; the old Graph-looking paths are 404 naming the new ones", async () => {
    const l = lab();
    const device = await enrol(l);
    expect((await ok(l.call("POST", `${LAB}/managedDevices/${device}/checkIn`))).deviceId).toBe(device);
    const old = expectProblem(await l.call("POST", `${DM}/managedDevices/${device}/checkIn`), 404, /not a Microsoft Graph action/);
    expect(old).toContain(`POST ${LAB}/managedDevices/{id}/checkIn`);
    expect(expectProblem(await l.call("POST", `${DM}/managedDevices/${device}/derivedCredential`, {}), 404)).toContain(
      `${LAB}/managedDevices/{id}/derivedCredential`,
    );
  });
});

describe("the derivedCredentialSettings navigation property (docs/intune.md §6.2)", () => {
  it("links a profile that uses the derived credential to the tenant's settings, by itself or by @odata.bind and $ref", async () => {
    const l = lab();
    const settings = await addIssuer(l);
    const settingsId = String(settings.id);
    const implicit = await profile(l, "iosEnterpriseWiFiConfiguration", WIFI);
    const nav = await ok(l.call("GET", `${DM}/deviceConfigurations/${implicit}/derivedCredentialSettings`));
    expect(nav).toMatchObject({ "@odata.type": "#microsoft.graph.deviceManagementDerivedCredentialSettings", id: settingsId, issuer: "entrustDatacard" });
    expect(await ok(l.call("GET", `${DM}/deviceConfigurations/${implicit}/derivedCredentialSettings?$select=issuer`))).toEqual({
      "@odata.type": "#microsoft.graph.deviceManagementDerivedCredentialSettings",
      issuer: "entrustDatacard",
    });
    expect(await ok(l.call("GET", `${DM}/deviceConfigurations/${implicit}/derivedCredentialSettings/$ref`))).toEqual({
      "@odata.id": `${DM}/derivedCredentials/${settingsId}`,
    });
    // The navigation property is not an inline property of the profile.
    expect(await ok(l.call("GET", `${DM}/deviceConfigurations/${implicit}`))).not.toHaveProperty("derivedCredentialSettings");

    // @odata.bind on create, with Graph's absolute URL: a certificate Wi-Fi profile linked explicitly.
    const bound = String(
      (
        await ok(
          l.call("POST", `${DM}/deviceConfigurations`, {
            "@odata.type": "#microsoft.graph.iosEnterpriseWiFiConfiguration",
            displayName: "bound",
            ssid: "x",
            eapType: "eapTls",
            authenticationMethod: "certificate",
            "derivedCredentialSettings@odata.bind": `https://graph.microsoft.com/beta/deviceManagement/derivedCredentials/${settingsId}`,
          }),
          201,
        )
      ).id,
    );
    expect((await ok(l.call("GET", `${DM}/deviceConfigurations/${bound}/derivedCredentialSettings`))).id).toBe(settingsId);
    // DELETE $ref unlinks a profile that does not use it; one that does is refused (409), unchanged.
    expect((await l.call("DELETE", `${DM}/deviceConfigurations/${bound}/derivedCredentialSettings/$ref`)).status).toBe(204);
    expectProblem(await l.call("GET", `${DM}/deviceConfigurations/${bound}/derivedCredentialSettings`), 404, /not linked/);
    expectProblem(await l.call("DELETE", `${DM}/deviceConfigurations/${implicit}/derivedCredentialSettings/$ref`), 409, /uses "Derived credential"/);
    // PUT $ref links it again (a relative reference is accepted).
    const put = await l.call("PUT", `${DM}/deviceConfigurations/${bound}/derivedCredentialSettings/$ref`, {
      "@odata.id": `${DM}/derivedCredentials/${settingsId}`,
    });
    expect(put.status).toBe(204);
    expect((await ok(l.call("GET", `${DM}/deviceConfigurations/${bound}/derivedCredentialSettings`))).id).toBe(settingsId);
  });

  it("refuses references to settings the tenant does not have and types without the property (400), changing nothing", async () => {
    const l = lab();
    const settingsId = String((await addIssuer(l)).id);
    const wifi = await profile(l, "iosEnterpriseWiFiConfiguration", WIFI);
    const root = await profile(l, "iosGeneralDeviceConfiguration", { cameraBlocked: false });
    const before = JSON.stringify(l.tenant.toJSON());
    const ref = (body: unknown, p = wifi) => l.call("PUT", `${DM}/deviceConfigurations/${p}/derivedCredentialSettings/$ref`, body);
    expectProblem(await ref({ "@odata.id": `${DM}/derivedCredentials/nope` }), 400, /does not have/);
    expectProblem(await ref({ "@odata.id": "https://graph.microsoft.com/beta/users/x" }), 400, /derivedCredentials\/\{id\}/);
    expectProblem(await ref({ "@odata.id": 7 }), 400);
    expectProblem(await ref({ "@odata.id": `${DM}/derivedCredentials/${settingsId}`, extra: 1 }), 400, /"extra"/);
    expectProblem(await ref({ "@odata.id": `${DM}/derivedCredentials/${settingsId}` }, root), 400, /no navigation property/);
    expectProblem(await l.call("GET", `${DM}/deviceConfigurations/${root}/derivedCredentialSettings`), 400, /no navigation property/);
    expectProblem(
      await l.call("POST", `${DM}/deviceConfigurations`, {
        "@odata.type": "#microsoft.graph.iosEnterpriseWiFiConfiguration",
        displayName: "x",
        ...WIFI,
        "derivedCredentialSettings@odata.bind": `${DM}/derivedCredentials/__proto__`,
      }),
      400,
      /does not have/,
    );
    expectProblem(
      await l.call("PATCH", `${DM}/deviceConfigurations/${root}`, { "derivedCredentialSettings@odata.bind": `${DM}/derivedCredentials/${settingsId}` }),
      400,
      /no navigation property/,
    );
    expect(JSON.stringify(l.tenant.toJSON())).toBe(before);
  });

  it("deleting the issuer clears the links; the edit §1.3 asks for links the profile to the new issuer", async () => {
    const l = lab();
    const first = String((await addIssuer(l)).id);
    const wifi = await profile(l, "iosEnterpriseWiFiConfiguration", WIFI);
    expect((await l.call("DELETE", `${DM}/derivedCredentials/${first}`)).status).toBe(204);
    expectProblem(await l.call("GET", `${DM}/deviceConfigurations/${wifi}/derivedCredentialSettings`), 404);
    const second = String((await addIssuer(l, "intercede")).id);
    expectProblem(await l.call("GET", `${DM}/deviceConfigurations/${wifi}/derivedCredentialSettings`), 404);
    await ok(l.call("PATCH", `${DM}/deviceConfigurations/${wifi}`, { description: "edited after the issuer change" }));
    expect(await ok(l.call("GET", `${DM}/deviceConfigurations/${wifi}/derivedCredentialSettings?$select=id,issuer`))).toMatchObject({
      id: second,
      issuer: "intercede",
    });
  });
});

describe("OData query options (docs/intune.md §6.3)", () => {
  async function devices(n: number) {
    const l = lab();
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(await enrol(l, i % 2 ? "android" : "ios"));
    return { l, ids };
  }

  it("pages 25 devices with $top=10 through @odata.nextLink until there is none", async () => {
    const { l, ids } = await devices(25);
    const seen: string[] = [];
    const sizes: number[] = [];
    let next: string | undefined = `${DM}/managedDevices?$top=10&$select=id,platform`;
    while (next) {
      const body: Json = await ok(l.call("GET", next));
      const value = body.value as Json[];
      sizes.push(value.length);
      for (const d of value) {
        expect(Object.keys(d).sort()).toEqual(["id", "platform"]);
        seen.push(String(d.id));
      }
      next = body["@odata.nextLink"] as string | undefined;
      if (next) expect(next).toMatch(/\$top=10/);
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(seen).toEqual(ids);
    // Without $top the collection is one page, as before; the $ prefix is optional on beta (top=, select=).
    expect(((await ok(l.call("GET", `${DM}/managedDevices`))).value as Json[]).length).toBe(25);
    const bare = await ok(l.call("GET", `${DM}/managedDevices?top=20&select=id`));
    expect((bare.value as Json[]).length).toBe(20);
    expect(bare["@odata.nextLink"]).toBeTypeOf("string");
  });

  it("keeps paging right when an item of a later page is deleted between pages", async () => {
    const { l, ids } = await devices(5);
    const first = await ok(l.call("GET", `${DM}/managedDevices?$top=2`));
    expect((first.value as Json[]).map((d) => d.id)).toEqual(ids.slice(0, 2));
    l.tenant.retireDevice(ids[2] as string);
    const second = await ok(l.call("GET", String(first["@odata.nextLink"])));
    expect((second.value as Json[]).map((d) => d.id)).toEqual(ids.slice(3, 5));
    expect(second).not.toHaveProperty("@odata.nextLink");
  });

  it("builds an absolute nextLink on the lab's base URL, never the request's host", async () => {
    const { l } = await devices(3);
    const f = inProcessFetch(tenantHandler(l.tenant, { baseUrl: "http://127.0.0.1:7800" }), "http://evil.example");
    const body = (await (await f(`${DM}/managedDevices?$top=2`)).json()) as Json;
    const link = new URL(String(body["@odata.nextLink"]));
    expect(link.origin).toBe("http://127.0.0.1:7800");
    expect(link.pathname).toBe(`${DM}/managedDevices`);
    const rest = (await (await f(link.pathname + link.search)).json()) as Json;
    expect((rest.value as Json[]).length).toBe(1);
  });

  it("pages deviceConfigurations and takes $select and $filter by id", async () => {
    const l = lab();
    await addIssuer(l);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await profile(l, "iosEnterpriseWiFiConfiguration", { ...WIFI, ssid: `TEST-${i}` }));
    const one = await ok(l.call("GET", `${DM}/deviceConfigurations?$top=3&$select=ssid`));
    expect(one.value).toEqual([0, 1, 2].map((i) => ({ "@odata.type": "#microsoft.graph.iosEnterpriseWiFiConfiguration", ssid: `TEST-${i}` })));
    const two = await ok(l.call("GET", String(one["@odata.nextLink"])));
    expect((two.value as Json[]).map((p) => p.ssid)).toEqual(["TEST-3", "TEST-4"]);
    const filtered = await ok(l.call("GET", `${DM}/deviceConfigurations?$filter=${encodeURIComponent(`id eq '${ids[3]}'`)}&$select=id,displayName`));
    expect(filtered.value).toEqual([
      { "@odata.type": "#microsoft.graph.iosEnterpriseWiFiConfiguration", id: ids[3], displayName: "iosEnterpriseWiFiConfiguration" },
    ]);
    expect((await ok(l.call("GET", `${DM}/deviceConfigurations?$filter=id+eq+'nope'`))).value).toEqual([]);
    expect((await ok(l.call("GET", `${DM}/deviceConfigurations?$filter=id eq '__proto__'`))).value).toEqual([]);
    // groups and derivedCredentials take them too
    const g = await group(l);
    expect((await ok(l.call("GET", `/tenant/beta/groups?$filter=id eq '${g}'&$select=displayName`))).value).toEqual([{ displayName: "TEST group" }]);
    expect(((await ok(l.call("GET", `${DM}/derivedCredentials?$select=issuer`))).value as Json[])[0]).toEqual({
      "@odata.type": "#microsoft.graph.deviceManagementDerivedCredentialSettings",
      issuer: "entrustDatacard",
    });
  });

  it("answers each bad option with a 400 problem+json saying what is supported, and changes nothing", async () => {
    const { l, ids } = await devices(3);
    const before = JSON.stringify(l.tenant.toJSON());
    const bad = async (query: string, detail: RegExp, path = `${DM}/managedDevices`) => expectProblem(await l.call("GET", `${path}?${query}`), 400, detail);
    await bad("$select=id,colour", /unknown property "colour"/);
    await bad("$select=__proto__", /unknown property "__proto__"/);
    await bad("$select=id,,platform", /comma-separated/);
    await bad("$select=", /comma-separated/);
    await bad("$filter=platform eq 'ios'", /supports only "id eq '<id>'"/);
    await bad("$filter=id eq 'x' or id eq 'y'", /supports only/);
    await bad("$filter=id eq x", /supports only/);
    for (const top of ["0", "1000", "-1", "abc", "1.5", "1e2", ""]) await bad(`$top=${top}`, /\$top must be an integer from 1 to 999/);
    await bad("$top=1&top=2", /given twice/);
    await bad("$skiptoken=forged", /not one this tenant issued/);
    await bad(`$skiptoken=${Buffer.from(JSON.stringify(["managedDevices", ids[0]])).toString("base64url")}.AAAA`, /not one this tenant issued/);
    await bad("$orderby=id", /not supported here.*\$select, \$filter/);
    await bad("$expand=assignments", /not supported/);
    await bad("count=true", /not supported/);
    await bad("$__proto__=1", /not supported/);
    // A token made for another collection is refused on this one.
    const page = await ok(l.call("GET", `${DM}/managedDevices?$top=1`));
    const token = new URL(String(page["@odata.nextLink"]), "http://x").searchParams.get("$skiptoken");
    await bad(`$skiptoken=${token}`, /not one this tenant issued for deviceConfigurations/, `${DM}/deviceConfigurations`);
    // A single entity takes only $select.
    await bad("$top=1", /only \$select/, `${DM}/managedDevices/${ids[0]}`);
    await bad("$select=nope", /unknown property/, `${DM}/managedDevices/${ids[0]}`);
    // Other parameters are ignored, as Graph ignores them.
    expect(((await ok(l.call("GET", `${DM}/managedDevices?x=1&__proto__[x]=1`))).value as Json[]).length).toBe(3);
    expect(JSON.stringify(l.tenant.toJSON())).toBe(before);
  });
});
