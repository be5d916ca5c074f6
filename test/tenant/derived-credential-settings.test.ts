import { describe, expect, it } from "vitest";
import { addIssuer, checkIn, DM, enrol, expectProblem, group, lab, ok, profile, registerCredential } from "./helpers.js";

// docs/intune.md §1.2, §1.3, §3.1: the one tenant-wide issuer.
describe("deviceManagementDerivedCredentialSettings", () => {
  it("round-trips the Graph property names and enum values exactly", async () => {
    const l = lab();
    const created = await ok(
      l.call("POST", `${DM}/derivedCredentials`, {
        "@odata.type": "#microsoft.graph.deviceManagementDerivedCredentialSettings",
        displayName: "TEST Purebred",
        helpUrl: "https://example.com/helpUrl/",
        issuer: "purebred",
        notificationType: "email,companyPortal",
        renewalThresholdPercentage: 10,
      }),
      201,
    );
    expect(Object.keys(created).sort()).toEqual(["@odata.type", "displayName", "helpUrl", "id", "issuer", "notificationType", "renewalThresholdPercentage"]);
    expect(created).toMatchObject({ issuer: "purebred", notificationType: "companyPortal,email", renewalThresholdPercentage: 10 });
    const list = await ok(l.call("GET", `${DM}/derivedCredentials`));
    expect(list.value).toEqual([created]);
    expect(await ok(l.call("GET", `${DM}/derivedCredentials/${created.id}`))).toEqual(created);
  });

  it("defaults renewalThresholdPercentage to 20 (the 80 % rule) and notificationType to none", async () => {
    const l = lab();
    const s = await ok(l.call("POST", `${DM}/derivedCredentials`, { displayName: "x", issuer: "intercede" }), 201);
    expect(s).toMatchObject({ renewalThresholdPercentage: 20, notificationType: "none", helpUrl: "" });
  });

  it("refuses xTec with a clear detail, and any other issuer", async () => {
    const l = lab();
    expectProblem(await l.call("POST", `${DM}/derivedCredentials`, { displayName: "x", issuer: "xTec" }), 400, /xTec is not supported by this tenant/);
    expectProblem(await l.call("POST", `${DM}/derivedCredentials`, { displayName: "x", issuer: "entrust" }), 400, /intercede, entrustDatacard, purebred/);
    expectProblem(await l.call("POST", `${DM}/derivedCredentials`, { displayName: "x" }), 400, /issuer/);
    expect((await ok(l.call("GET", `${DM}/derivedCredentials`))).value).toEqual([]);
  });

  it("validates notificationType flags and the threshold", async () => {
    const l = lab();
    for (const notificationType of ["none,email", "sms", "email,email", ""]) {
      expectProblem(await l.call("POST", `${DM}/derivedCredentials`, { displayName: "x", issuer: "intercede", notificationType }), 400, /notificationType/);
    }
    for (const renewalThresholdPercentage of [0, 100, 20.5, "20"]) {
      expectProblem(
        await l.call("POST", `${DM}/derivedCredentials`, { displayName: "x", issuer: "intercede", renewalThresholdPercentage }),
        400,
        /renewalThreshold/,
      );
    }
    expectProblem(await l.call("POST", `${DM}/derivedCredentials`, { displayName: "x", issuer: "intercede", helpUrl: "ftp://x" }), 400, /helpUrl/);
    expectProblem(await l.call("POST", `${DM}/derivedCredentials`, { displayName: "x", issuer: "intercede", id: "mine" }), 400, /read-only/);
  });

  it("allows one issuer per tenant: a second POST is 409", async () => {
    const l = lab();
    await addIssuer(l, "intercede");
    expectProblem(await l.call("POST", `${DM}/derivedCredentials`, { displayName: "y", issuer: "purebred" }), 409, /one issuer per tenant/);
    expect((await ok(l.call("GET", `${DM}/derivedCredentials`))).value).toHaveLength(1);
  });

  it("keeps the issuer immutable; every other field is editable", async () => {
    const l = lab();
    const s = await addIssuer(l, "intercede");
    expectProblem(await l.call("PATCH", `${DM}/derivedCredentials/${s.id}`, { issuer: "purebred" }), 409, /delete the issuer and add a new one/);
    const patched = await ok(
      l.call("PATCH", `${DM}/derivedCredentials/${s.id}`, {
        issuer: "intercede",
        displayName: "renamed",
        helpUrl: "https://help.test.example/",
        notificationType: "email",
        renewalThresholdPercentage: 30,
      }),
    );
    expect(patched).toMatchObject({ issuer: "intercede", displayName: "renamed", notificationType: "email", renewalThresholdPercentage: 30 });
    expectProblem(await l.call("PATCH", `${DM}/derivedCredentials/${s.id}`, { displayName: "z", renewalThresholdPercentage: 0 }), 400);
    expect((await ok(l.call("GET", `${DM}/derivedCredentials/${s.id}`))).displayName).toBe("renamed");
  });

  it("delete: credentials become invalid even when the same issuer is re-added; profiles need an edit; a description PATCH redeploys", async () => {
    const l = lab();
    const s = await addIssuer(l, "entrustDatacard");
    const device = await enrol(l);
    const g = await group(l, device);
    const wifi = await profile(l, "iosEnterpriseWiFiConfiguration", { ssid: "corp", eapType: "eapTls", authenticationMethod: "derivedCredential" }, [g]);
    const camera = await profile(l, "iosGeneralDeviceConfiguration", { cameraBlocked: false }, [g]);
    await registerCredential(l, device);
    expect((await checkIn(l, device)).derivedCredential.state).toBe("valid");

    expect((await l.call("DELETE", `${DM}/derivedCredentials/${s.id}`)).status).toBe(204);
    expect((await ok(l.call("GET", `${DM}/deviceConfigurations/${wifi}`))).needsEdit).toBe(true);
    expect((await ok(l.call("GET", `${DM}/deviceConfigurations/${camera}`))).needsEdit).toBe(false);
    const afterDelete = await checkIn(l, device);
    expect(afterDelete.derivedCredential.state).toBe("invalid-issuer-deleted");

    await addIssuer(l, "entrustDatacard");
    const again = await checkIn(l, device);
    expect(again.derivedCredential.state).toBe("invalid-issuer-deleted");
    // Users must enrol again (§1.3): the enrolment notice goes out for the new issuer.
    expect(again.notifications.map((n) => n.kind)).toEqual(["enrolment"]);
    const before = again.policies.find((p) => p.id === wifi);
    expect(before).toMatchObject({ needsEdit: true, version: 1, deployment: 1 });

    // A new credential does not redeploy a profile that still needs an edit.
    const reg = await registerCredential(l, device);
    expect(reg.redeployed).toEqual([]);
    expect((await checkIn(l, device)).derivedCredential.state).toBe("valid");

    const edited = await ok(l.call("PATCH", `${DM}/deviceConfigurations/${wifi}`, { description: "re-saved after issuer change" }));
    expect(edited).toMatchObject({ needsEdit: false, version: 2, description: "re-saved after issuer change" });
    const redeployed = (await checkIn(l, device)).policies.find((p) => p.id === wifi);
    expect(redeployed).toMatchObject({ needsEdit: false, version: 2, deployment: 2 });
  });

  it("a derivedCredential profile cannot be edited while no issuer is configured", async () => {
    const l = lab();
    const s = await addIssuer(l);
    const p = await profile(l, "iosDerivedCredentialAuthenticationConfiguration");
    await ok(l.call("DELETE", `${DM}/derivedCredentials/${s.id}`), 204);
    expectProblem(await l.call("PATCH", `${DM}/deviceConfigurations/${p}`, { description: "x" }), 400, /add a derived credential issuer first/);
    expect((await ok(l.call("GET", `${DM}/deviceConfigurations/${p}`))).needsEdit).toBe(true);
    expectProblem(await l.call("DELETE", `${DM}/derivedCredentials/${s.id}`), 404);
  });
});
