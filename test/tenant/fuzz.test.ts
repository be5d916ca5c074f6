import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addIssuer, DM, enrol, group, lab, profile, registerCredential } from "./helpers.js";

// docs/architecture.md: bad input never produces a 5xx, a crash, or lost state.
describe("tenant HTTP under arbitrary JSON bodies", () => {
  it("answers every write with 2xx or 4xx problem+json, never 5xx", async () => {
    const l = lab();
    await addIssuer(l, "entrustDatacard");
    const device = await enrol(l);
    const g = await group(l, device);
    const p = await profile(l, "iosEnterpriseWiFiConfiguration", { ssid: "c", eapType: "peap", authenticationMethod: "derivedCredential" }, [g]);
    await registerCredential(l, device);
    const settingsId = (l.tenant.listDerivedCredentialSettings()[0] as { id: string }).id;
    const targets: [string, string][] = [
      ["POST", `${DM}/derivedCredentials`],
      ["PATCH", `${DM}/derivedCredentials/${settingsId}`],
      ["POST", `${DM}/deviceConfigurations`],
      ["PATCH", `${DM}/deviceConfigurations/${p}`],
      ["POST", `${DM}/deviceConfigurations/${p}/assign`],
      ["POST", "/tenant/beta/groups"],
      ["POST", `/tenant/beta/groups/${g}/members`],
      ["POST", `${DM}/managedDevices`],
      ["PATCH", `${DM}/managedDevices/${device}`],
      ["POST", `/__lab/tenant/managedDevices/${device}/derivedCredential`],
      ["POST", `/__lab/tenant/managedDevices/${device}/checkIn`],
      ["POST", `${DM}/managedDevices/${device}/syncDevice`],
      ["PUT", `${DM}/deviceConfigurations/${p}/derivedCredentialSettings/$ref`],
      ["PUT", "/tenant/beta/identity/conditionalAccess/policies"],
    ];
    const keys = fc.constantFrom(
      "@odata.type",
      "displayName",
      "issuer",
      "notificationType",
      "renewalThresholdPercentage",
      "helpUrl",
      "ssid",
      "eapType",
      "authenticationMethod",
      "certificateAccessType",
      "silentCertificateAccessDetails",
      "assignments",
      "platform",
      "osVersion",
      "compliant",
      "certificate",
      "notAfter",
      "serialNumber",
      "blockNonCompliantEmail",
      "derivedCredentialSettings@odata.bind",
      "@odata.id",
      "__proto__",
      "constructor",
    );
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(
        "derivedCredential",
        "xTec",
        "purebred",
        "#microsoft.graph.iosVpnConfiguration",
        "companyPortal,email",
        "2026-13-01T00:00:00Z",
        `https://graph.microsoft.com/beta/deviceManagement/derivedCredentials/${settingsId}`,
        `${DM}/derivedCredentials/nope`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), fc.oneof(fc.dictionary(keys, value), fc.jsonValue({ maxDepth: 2 })), async ([method, path], body) => {
        const res = await l.call(method, path, body);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(res.type).toBe("application/problem+json");
      }),
      { numRuns: 400, seed: 157 },
    );
    expect(l.tenant.checkIn(device).policies.length).toBeGreaterThanOrEqual(0);
  });
});
