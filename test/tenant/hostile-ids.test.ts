import { describe, expect, it } from "vitest";
import { addIssuer, checkIn, DM, enrol, expectProblem, group, lab, ok, profile, registerCredential } from "./helpers.js";

// Issue 10 §1: ids from the URL (and from bodies) were keys of plain objects, so "__proto__" reached Object.prototype:
// a check-in of device "__proto__" answered 200 and broke every later enrolment. Every such name is now just an
// unknown id: 404 (or 400 for a body reference), problem+json, and nothing changes.
const NAMES = ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "prototype", "__defineGetter__", "isPrototypeOf"];
const encoded = (name: string) => [name, encodeURIComponent(name).replace(/_/g, "%5F")];

describe("object-prototype names as ids", () => {
  it("every tenant route with an id answers 404 problem+json for them, and the tenant works on unchanged", async () => {
    const l = lab();
    const settings = await addIssuer(l);
    const device = await enrol(l);
    const g = await group(l, device);
    const p = await profile(l, "iosEnterpriseWiFiConfiguration", { ssid: "TEST", eapType: "eapTls", authenticationMethod: "derivedCredential" }, [g]);
    await registerCredential(l, device);
    const before = l.tenant.toJSON();
    const credential = {
      issuer: "entrustDatacard",
      certificate: "AAAA",
      notBefore: "2026-01-01T00:00:00Z",
      notAfter: "2027-01-01T00:00:00Z",
      serialNumber: "01",
    };
    for (const raw of NAMES) {
      for (const id of encoded(raw)) {
        const calls: [string, string, unknown?][] = [
          ["GET", `${DM}/derivedCredentials/${id}`],
          ["PATCH", `${DM}/derivedCredentials/${id}`, { displayName: "x" }],
          ["DELETE", `${DM}/derivedCredentials/${id}`],
          ["GET", `${DM}/deviceConfigurations/${id}`],
          ["PATCH", `${DM}/deviceConfigurations/${id}`, { displayName: "x" }],
          ["DELETE", `${DM}/deviceConfigurations/${id}`],
          ["POST", `${DM}/deviceConfigurations/${id}/assign`, { assignments: [] }],
          ["GET", `${DM}/deviceConfigurations/${id}/assignments`],
          ["GET", `${DM}/deviceConfigurations/${id}/derivedCredentialSettings`],
          ["PUT", `${DM}/deviceConfigurations/${id}/derivedCredentialSettings/$ref`, { "@odata.id": "x" }],
          ["DELETE", `${DM}/deviceConfigurations/${id}/derivedCredentialSettings/$ref`],
          ["GET", `/tenant/beta/groups/${id}`],
          ["GET", `/tenant/beta/groups/${id}/members`],
          ["POST", `/tenant/beta/groups/${id}/members`, { deviceId: device }],
          ["DELETE", `/tenant/beta/groups/${id}/members/${device}`],
          ["DELETE", `/tenant/beta/groups/${g}/members/${id}`],
          ["GET", `${DM}/managedDevices/${id}`],
          ["PATCH", `${DM}/managedDevices/${id}`, { compliant: false }],
          ["POST", `${DM}/managedDevices/${id}/retire`],
          ["POST", `${DM}/managedDevices/${id}/syncDevice`],
          ["POST", `/__lab/tenant/managedDevices/${id}/checkIn`],
          ["POST", `/__lab/tenant/managedDevices/${id}/derivedCredential`, credential],
        ];
        for (const [method, path, body] of calls) {
          const res = await l.call(method, path, body);
          expect(res.status, `${method} ${path}`).toBe(404);
          expectProblem(res, 404);
        }
        // ids inside bodies: an unknown group or device, a 400 naming it
        expectProblem(await l.call("POST", `/tenant/beta/groups/${g}/members`, { deviceId: raw }), 400, /no managed device/);
        expectProblem(await l.call("POST", `${DM}/deviceConfigurations/${p}/assign`, { assignments: [{ target: { groupId: raw } }] }), 400, /no group/);
      }
      expect(l.tenant.isApproved(raw)).toMatchObject({ approved: false });
    }
    expect(l.tenant.toJSON()).toEqual(before);
    expect(({} as Record<string, unknown>).lastSyncDateTime).toBeUndefined(); // Object.prototype untouched
    // A new device enrols and checks in as before (the reported attack made every enrolment fail afterwards).
    const fresh = await enrol(l);
    await ok(l.call("POST", `/tenant/beta/groups/${g}/members`, { deviceId: fresh }));
    expect((await checkIn(l, fresh)).derivedCredential.state).toBe("none");
    expect((await checkIn(l, device)).derivedCredential.state).toBe("valid");
    expect(settings.id).toBeTruthy();
  });

  it("a group or profile named like a prototype property is an ordinary display name", async () => {
    const l = lab();
    const g = String((await ok(l.call("POST", "/tenant/beta/groups", { displayName: "__proto__" }), 201)).id);
    expect((await ok(l.call("GET", `/tenant/beta/groups/${g}`))).displayName).toBe("__proto__");
    expect((await ok(l.call("GET", "/tenant/beta/groups"))).value).toHaveLength(1);
  });
});
