import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { inProcessFetch } from "../../emulators/shared/index.js";
import { Tenant, tenantHandler } from "../../emulators/tenant/index.js";
import { TABLES } from "../../emulators/tenant/tenant-tables.js";
import { DAY_MS } from "../../src/clock.js";
import { type LabStore, MemoryStore, SqliteStore, type StoreTx } from "../../src/store/index.js";
import {
  addIssuer,
  checkIn,
  credentialBody,
  DM,
  enrol,
  expectProblem,
  group,
  type Lab,
  lab,
  ok,
  profile,
  registerCredential,
  testCertificate,
  testIssuer,
} from "./helpers.js";

// Issue 14: the tenant lives in the lab store. A second tenant on the same store (a restarted server, or a second
// server on one database) serves the same tenant; a refused request leaves the store exactly as it was; a check-in
// costs keyed reads only.

const dir = mkdtempSync(join(tmpdir(), "dpclab-tenant-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const WIFI = { ssid: "corp", eapType: "eapTls", authenticationMethod: "derivedCredential" };

/** Everything the tenant keeps, table by table, as one text. */
function contents(store: LabStore): string {
  return JSON.stringify(store.read((tx) => Object.values(TABLES).map((t) => [t, tx.entries(t)])));
}

/** A tenant reached over its handler on the given store and clock (a second "server" of the same lab). */
function on(store: LabStore, l: Lab): Lab {
  const tenant = new Tenant(l.clock, { issuerLink: () => testIssuer.link, store });
  const f = inProcessFetch(tenantHandler(tenant));
  return {
    clock: l.clock,
    tenant,
    async call(method, path, body) {
      const res = await f(path, body === undefined ? { method } : { method, body: JSON.stringify(body), headers: { "content-type": "application/json" } });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : {}, type: res.headers.get("content-type") };
    },
  };
}

/** A store whose transactions count the operations they run. */
function counting(store: LabStore): { store: LabStore; ops: Record<string, number>; reset(): void } {
  const ops: Record<string, number> = {};
  const count = (tx: StoreTx): StoreTx =>
    new Proxy(tx, {
      get: (target, name: keyof StoreTx) => {
        const fn = target[name] as (...a: unknown[]) => unknown;
        return (...args: unknown[]) => {
          ops[name] = (ops[name] ?? 0) + 1;
          return fn.apply(target, args);
        };
      },
    });
  return {
    ops,
    reset: () => {
      for (const k of Object.keys(ops)) delete ops[k];
    },
    store: {
      kind: store.kind,
      where: store.where,
      transaction: (fn) => store.transaction((tx) => fn(count(tx))),
      read: (fn) => store.read((tx) => fn(count(tx))),
      close: () => store.close(),
    },
  };
}

describe("the tenant in the lab store", () => {
  it("a restarted tenant (a new process on the same file) has the issuer, profiles, groups, devices, credentials and outbox", async () => {
    const file = join(dir, `lab${++files}.db`);
    const first = SqliteStore.open(file);
    const a = lab({ store: first });
    await addIssuer(a);
    const device = await enrol(a);
    const g = await group(a, device);
    const wifi = await profile(a, "iosEnterpriseWiFiConfiguration", WIFI, [g]);
    expect((await checkIn(a, device)).notifications.map((n) => n.kind)).toEqual(["enrolment"]);
    await registerCredential(a, device, "entrustDatacard", 100);
    const extra = await enrol(a, "android");
    const saved = a.tenant.toJSON();
    const page = await ok(a.call("GET", `${DM}/managedDevices?$top=1`));
    first.close();

    const second = SqliteStore.open(file);
    const b = on(second, a);
    expect(b.tenant.toJSON()).toEqual(saved);
    expect(b.tenant.getDevice(device).derivedCredential?.state).toBe("valid");
    expect(b.tenant.getGroup(g).members).toEqual([device]);
    expect(saved.outbox.map((n) => n.kind)).toEqual(["enrolment"]);
    expect(b.tenant.outbox()).toEqual(saved.outbox);
    // The device goes on where it was: its policy deployed, its enrolment notice already sent.
    const again = await checkIn(b, device);
    expect(again.policies.map((p) => [p.id, p.deployment])).toEqual([[wifi, 2]]); // redeployed by the registration (§1.4)
    expect(again.notifications).toEqual([]);
    // A nextLink from before the restart still pages, and ids go on from where they were.
    expect(((await ok(b.call("GET", String(page["@odata.nextLink"])))).value as { id: string }[]).map((d) => d.id)).toEqual([extra]);
    const other = await enrol(b);
    expect(saved.devices.map((d) => d.id)).toEqual([device, extra]);
    expect(other > extra).toBe(true);
    // Renewal notices continue from the stored state (§1.4): once, at the first check-in in the window.
    b.clock.advance(85 * DAY_MS);
    expect((await checkIn(b, device)).notifications.map((n) => n.kind)).toEqual(["renewal"]);
    expect((await checkIn(b, device)).notifications).toEqual([]);
    second.close();
  });

  it("two tenants on one store serve one tenant: what one writes the other reads, ids never collide", async () => {
    const store = new MemoryStore();
    const a = lab({ store });
    const b = on(store, a);
    await addIssuer(a);
    const d1 = await enrol(a);
    const d2 = await enrol(b);
    expect(d1).not.toBe(d2);
    const g = await group(b, d1, d2);
    await profile(a, "iosDerivedCredentialAuthenticationConfiguration", {}, [g]);
    expect((await checkIn(b, d1)).derivedCredential).toEqual({ required: true, state: "none" });
    expect(a.tenant.outbox().map((n) => n.deviceId)).toEqual([d1]);
    expect(a.tenant.listGroups()).toEqual(b.tenant.listGroups());
    expectProblem(await b.call("POST", `${DM}/derivedCredentials`, { displayName: "second", issuer: "purebred" }), 409, /only one issuer/);
  });

  it("a refused request leaves every tenant table as it was", async () => {
    const store = new MemoryStore();
    const l = lab({ store });
    const settings = await addIssuer(l);
    const device = await enrol(l);
    const stranger = await enrol(l, "android");
    const g = await group(l, device);
    const p = await profile(l, "iosEnterpriseWiFiConfiguration", WIFI, [g]);
    const root = await profile(l, "iosTrustedRootCertificate", { trustedRootCertificate: await testCertificate() }, [g]);
    await registerCredential(l, device);
    await checkIn(l, device);
    const now = l.clock.now();
    const later = new Date(now.getTime() + 100 * DAY_MS);
    const before = contents(store);
    const refused: [string, string, unknown?][] = [
      ["POST", `${DM}/derivedCredentials`, { displayName: "second", issuer: "purebred" }],
      ["PATCH", `${DM}/derivedCredentials/${settings.id}`, { issuer: "purebred" }],
      ["PATCH", `${DM}/derivedCredentials/${settings.id}`, { renewalThresholdPercentage: 500 }],
      ["POST", `${DM}/deviceConfigurations`, { "@odata.type": "#microsoft.graph.iosEnterpriseWiFiConfiguration", displayName: "x", ssid: 7 }],
      [
        "POST",
        `${DM}/deviceConfigurations`,
        { "@odata.type": "#microsoft.graph.iosVpnConfiguration", displayName: "x", "derivedCredentialSettings@odata.bind": `${DM}/derivedCredentials/nope` },
      ],
      ["PATCH", `${DM}/deviceConfigurations/${p}`, { eapType: "nonsense" }],
      ["POST", `${DM}/deviceConfigurations/${p}/assign`, { assignments: [{ target: { groupId: g } }, { target: { groupId: "missing" } }] }],
      ["DELETE", `${DM}/deviceConfigurations/${p}/derivedCredentialSettings/$ref`],
      ["PUT", `${DM}/deviceConfigurations/${root}/derivedCredentialSettings/$ref`, { "@odata.id": `${DM}/derivedCredentials/${settings.id}` }],
      ["POST", `/tenant/beta/groups/${g}/members`, { deviceId: "nope" }],
      ["DELETE", `/tenant/beta/groups/${g}/members/${stranger}`],
      ["POST", "/tenant/beta/groups", { displayName: "x", members: [device] }],
      ["POST", `${DM}/managedDevices`, { platform: "ios", osVersion: "9.0", ownership: "corporate", userPrincipalName: "a@b", compliant: true }],
      ["PATCH", `${DM}/managedDevices/${device}`, { platform: "android" }],
      ["POST", `${DM}/managedDevices/nope/retire`],
      ["POST", `${DM}/managedDevices/${device}/syncDevice`, { now: true }],
      ["POST", `/__lab/tenant/managedDevices/${device}/checkIn`, { force: true }],
      [
        "POST",
        `/__lab/tenant/managedDevices/${device}/derivedCredential`,
        await credentialBody("purebred", now, later, { deviceId: device, userPrincipalName: "alice@test.example" }),
      ],
      // Refused late, by the issuer's word, after everything else was read: still nothing written.
      [
        "POST",
        `/__lab/tenant/managedDevices/${stranger}/derivedCredential`,
        await credentialBody("entrustDatacard", now, later, { deviceId: device, userPrincipalName: "alice@test.example" }),
      ],
      ["PUT", "/tenant/beta/identity/conditionalAccess/policies", { blockNonCompliantEmail: true, extra: 1 }],
    ];
    for (const [method, path, body] of refused) {
      const res = await l.call(method, path, body);
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
      expect(contents(store), `${method} ${path}`).toBe(before);
    }
  });

  it("a check-in reads the device, its groups and their profiles by key: no table scan, however large the fleet", async () => {
    const { store, ops, reset } = counting(new MemoryStore());
    const l = lab({ store });
    await addIssuer(l);
    const everyone = String((await ok(l.call("POST", "/tenant/beta/groups", { displayName: "all" }), 201)).id);
    const devices: string[] = [];
    for (let i = 0; i < 200; i++) {
      const id = l.tenant.enrolDevice({
        platform: "ios",
        osVersion: "17.4",
        ownership: "corporate",
        userPrincipalName: `u${i}@test.example`,
        compliant: true,
      }).id;
      l.tenant.addGroupMember(everyone, { deviceId: id });
      devices.push(id);
    }
    for (let i = 0; i < 5; i++) await profile(l, "iosEnterpriseWiFiConfiguration", { ...WIFI, ssid: `corp${i}` }, [everyone]);
    await profile(l, "androidDeviceOwnerEnterpriseWiFiConfiguration", WIFI, [await group(l)]);
    reset();
    l.tenant.addGroupMember(await group(l), { deviceId: devices[7] as string });
    reset();
    const result = l.tenant.checkIn(devices[7] as string);
    expect(result.policies).toHaveLength(5);
    expect(result.notifications.map((n) => n.kind)).toEqual(["enrolment"]);
    expect(ops.entries ?? 0).toBe(0);
    expect(ops.get).toBeLessThanOrEqual(12); // the device, meta, its groups, two groups' profiles, five profiles
    reset();
    l.tenant.addGroupMember(everyone, { deviceId: devices[8] as string });
    l.tenant.isApproved(devices[9] as string);
    expect(ops.entries ?? 0).toBe(0);
  });

  it("the outbox keeps the newest outboxLimit notifications, in the store too", async () => {
    const store = new MemoryStore();
    const l = lab({ store, outboxLimit: 3 });
    await addIssuer(l, "intercede", { notificationType: "companyPortal,email" });
    const g = await group(l);
    await profile(l, "iosDerivedCredentialAuthenticationConfiguration", {}, [g]);
    const sent: string[] = [];
    for (let i = 0; i < 4; i++) {
      const d = await enrol(l);
      await ok(l.call("POST", `/tenant/beta/groups/${g}/members`, { deviceId: d }));
      sent.push(...(await checkIn(l, d)).notifications.map((n) => `${d}/${n.channel}`));
    }
    expect(sent).toHaveLength(8);
    expect(l.tenant.outbox().map((n) => `${n.deviceId}/${n.channel}`)).toEqual(sent.slice(-3));
    expect(store.read((tx) => tx.size(TABLES.outbox))).toBe(3);
    expect(on(store, l).tenant.outbox()).toEqual(l.tenant.outbox());
  });

  it("a saved state is imported only into an empty store", async () => {
    const l = lab();
    await addIssuer(l);
    await enrol(l);
    const store = new MemoryStore();
    const copy = new Tenant(l.clock, { store }, l.tenant.toJSON());
    expect(copy.toJSON()).toEqual(l.tenant.toJSON());
    expect(() => new Tenant(l.clock, { store }, l.tenant.toJSON())).toThrow(/already holds a tenant/);
    expect(new Tenant(l.clock, { store }).listDevices()).toHaveLength(1);
  });
});
