import { describe, expect, it } from "vitest";
import { addIssuer, assign, DM, enrol, expectProblem, group, lab, ok, profile, testCertificate } from "./helpers.js";

const post = (type: string, props: Record<string, unknown>) => ({ "@odata.type": `#microsoft.graph.${type}`, displayName: `TEST ${type}`, ...props });

// docs/intune.md §1.6, §3.2, §3.3: the objects that can use "Derived credential".
describe("deviceConfigurations", () => {
  it("round-trips every type with its Graph property names and enum values", async () => {
    const l = lab();
    await addIssuer(l);
    const root = await testCertificate();
    const bodies = [
      post("iosDerivedCredentialAuthenticationConfiguration", {}),
      post("androidDeviceOwnerDerivedCredentialAuthenticationConfiguration", {
        certificateAccessType: "specificApps",
        silentCertificateAccessDetails: [{ packageId: "com.test.mail" }],
      }),
      post("iosEnterpriseWiFiConfiguration", { ssid: "corp", eapType: "peap", authenticationMethod: "derivedCredential", providesIssuerAccess: false }),
      post("androidDeviceOwnerEnterpriseWiFiConfiguration", {
        ssid: "corp",
        eapType: "eapTtls",
        authenticationMethod: "derivedCredential",
        providesIssuerAccess: false,
      }),
      post("iosVpnConfiguration", { server: "vpn.test.example", authenticationMethod: "derivedCredential", providesIssuerAccess: false }),
      post("androidDeviceOwnerVpnConfiguration", { server: "vpn.test.example", authenticationMethod: "certificate", providesIssuerAccess: true }),
      post("iosEasEmailProfileConfiguration", {
        hostName: "mail.test.example",
        authenticationMethod: "derivedCredential",
        signingCertificateType: "derivedCredential",
        encryptionCertificateType: "certificate",
      }),
      post("iosTrustedRootCertificate", { trustedRootCertificate: root, certFileName: "root.cer" }),
      post("androidDeviceOwnerTrustedRootCertificate", { trustedRootCertificate: root, certFileName: "root.cer" }),
      post("iosGeneralDeviceConfiguration", { cameraBlocked: true }),
      post("androidDeviceOwnerGeneralDeviceConfiguration", { cameraBlocked: false }),
    ];
    for (const body of bodies) {
      const created = await ok(l.call("POST", `${DM}/deviceConfigurations`, { ...body, description: "d" }), 201);
      expect(created).toMatchObject({ ...body, description: "d", version: 1, needsEdit: false });
      expect(await ok(l.call("GET", `${DM}/deviceConfigurations/${created.id}`))).toEqual(created);
    }
    expect((await ok(l.call("GET", `${DM}/deviceConfigurations`))).value).toHaveLength(bodies.length);
  });

  it("choosing derivedCredential with no issuer configured says to add an issuer first", async () => {
    const l = lab();
    for (const body of [
      post("iosDerivedCredentialAuthenticationConfiguration", {}),
      post("iosEnterpriseWiFiConfiguration", { ssid: "corp", eapType: "eapTls", authenticationMethod: "derivedCredential" }),
      post("iosVpnConfiguration", { server: "vpn", authenticationMethod: "derivedCredential" }),
      post("iosEasEmailProfileConfiguration", { hostName: "mail", encryptionCertificateType: "derivedCredential" }),
    ]) {
      expectProblem(await l.call("POST", `${DM}/deviceConfigurations`, body), 400, /add a derived credential issuer first/);
    }
    await ok(l.call("POST", `${DM}/deviceConfigurations`, post("iosVpnConfiguration", { server: "vpn", authenticationMethod: "certificate" })), 201);
    expect((await ok(l.call("GET", `${DM}/deviceConfigurations`))).value).toHaveLength(1);
  });

  it("Wi-Fi derivedCredential only with EAP-TLS, EAP-TTLS or PEAP", async () => {
    const l = lab();
    await addIssuer(l);
    for (const eapType of ["leap", "eapSim", "eapFast", "teap"]) {
      expectProblem(
        await l.call(
          "POST",
          `${DM}/deviceConfigurations`,
          post("iosEnterpriseWiFiConfiguration", { ssid: "c", eapType, authenticationMethod: "derivedCredential" }),
        ),
        400,
        /eapTls, eapTtls or peap/,
      );
      await ok(
        l.call(
          "POST",
          `${DM}/deviceConfigurations`,
          post("iosEnterpriseWiFiConfiguration", { ssid: "c", eapType, authenticationMethod: "usernameAndPassword" }),
        ),
        201,
      );
    }
    // androidEapType has only the three.
    expectProblem(
      await l.call(
        "POST",
        `${DM}/deviceConfigurations`,
        post("androidDeviceOwnerEnterpriseWiFiConfiguration", { ssid: "c", eapType: "leap", authenticationMethod: "certificate" }),
      ),
      400,
      /eapType/,
    );
    // A PATCH that would break the rule is refused and changes nothing.
    const id = await profile(l, "iosEnterpriseWiFiConfiguration", { ssid: "c", eapType: "peap", authenticationMethod: "derivedCredential" });
    expectProblem(await l.call("PATCH", `${DM}/deviceConfigurations/${id}`, { eapType: "leap" }), 400, /eapTls, eapTtls or peap/);
    expect(await ok(l.call("GET", `${DM}/deviceConfigurations/${id}`))).toMatchObject({ eapType: "peap", version: 1 });
  });

  it("refuses derivedCredential on an Android Enterprise VPN (PR #4293)", async () => {
    const l = lab();
    await addIssuer(l);
    expectProblem(
      await l.call(
        "POST",
        `${DM}/deviceConfigurations`,
        post("androidDeviceOwnerVpnConfiguration", { server: "vpn", authenticationMethod: "derivedCredential" }),
      ),
      400,
      /not supported on Android Enterprise/,
    );
  });

  it("email and S/MIME with a derived credential are iOS-only", async () => {
    const l = lab();
    await addIssuer(l);
    for (const type of [
      "androidDeviceOwnerEasEmailProfileConfiguration",
      "androidWorkProfileEasEmailProfileConfiguration",
      "androidForWorkEasEmailProfileConfiguration",
    ]) {
      expectProblem(await l.call("POST", `${DM}/deviceConfigurations`, post(type, { authenticationMethod: "derivedCredential" })), 400, /iOS-only/);
    }
    expectProblem(
      await l.call("POST", `${DM}/deviceConfigurations`, post("iosEasEmailProfileConfiguration", { hostName: "m", signingCertificateType: "smartCard" })),
      400,
      /none, certificate, derivedCredential/,
    );
  });

  it("silent certificate access: at most 50 apps, only with specificApps", async () => {
    const l = lab();
    await addIssuer(l);
    const type = "androidDeviceOwnerDerivedCredentialAuthenticationConfiguration";
    const apps = (n: number) => Array.from({ length: n }, (_, i) => ({ packageId: `com.test.app${i}` }));
    await ok(
      l.call("POST", `${DM}/deviceConfigurations`, post(type, { certificateAccessType: "specificApps", silentCertificateAccessDetails: apps(50) })),
      201,
    );
    expectProblem(
      await l.call("POST", `${DM}/deviceConfigurations`, post(type, { certificateAccessType: "specificApps", silentCertificateAccessDetails: apps(51) })),
      400,
      /at most 50/,
    );
    expectProblem(
      await l.call("POST", `${DM}/deviceConfigurations`, post(type, { certificateAccessType: "userApproval", silentCertificateAccessDetails: apps(1) })),
      400,
      /specificApps/,
    );
    expectProblem(await l.call("POST", `${DM}/deviceConfigurations`, post(type, { silentCertificateAccessDetails: apps(1) })), 400, /specificApps/);
    expectProblem(await l.call("POST", `${DM}/deviceConfigurations`, post(type, { certificateAccessType: "unknownFutureValue" })), 400);
    expectProblem(
      await l.call(
        "POST",
        `${DM}/deviceConfigurations`,
        post(type, { certificateAccessType: "specificApps", silentCertificateAccessDetails: [{ packageId: "x", extra: 1 }] }),
      ),
      400,
      /"extra"/,
    );
    const d = await ok(l.call("POST", `${DM}/deviceConfigurations`, post(type, {})), 201);
    expect(d).toMatchObject({ certificateAccessType: "userApproval", silentCertificateAccessDetails: [] });
  });

  it("refuses unknown types and properties, read-only fields, a type change, and a bad root certificate", async () => {
    const l = lab();
    await addIssuer(l);
    expectProblem(await l.call("POST", `${DM}/deviceConfigurations`, post("windows10VpnConfiguration", {})), 400, /unsupported "@odata.type"/);
    expectProblem(await l.call("POST", `${DM}/deviceConfigurations`, { displayName: "x" }), 400, /@odata.type/);
    expectProblem(await l.call("POST", `${DM}/deviceConfigurations`, post("iosGeneralDeviceConfiguration", { camerablocked: true })), 400, /"camerablocked"/);
    expectProblem(await l.call("POST", `${DM}/deviceConfigurations`, post("iosGeneralDeviceConfiguration", { version: 7 })), 400, /read-only/);
    expectProblem(
      await l.call("POST", `${DM}/deviceConfigurations`, post("iosTrustedRootCertificate", { trustedRootCertificate: "bm90IGEgY2VydA==" })),
      400,
      /X\.509/,
    );
    expectProblem(await l.call("POST", `${DM}/deviceConfigurations`, post("iosTrustedRootCertificate", { trustedRootCertificate: "***" })), 400, /base64/);
    const id = await profile(l, "iosGeneralDeviceConfiguration", { cameraBlocked: false });
    expectProblem(await l.call("PATCH", `${DM}/deviceConfigurations/${id}`, { "@odata.type": "#microsoft.graph.iosVpnConfiguration" }), 400, /cannot change/);
    expectProblem(await l.call("PATCH", `${DM}/deviceConfigurations/nope`, { description: "x" }), 404);
    const patched = await ok(l.call("PATCH", `${DM}/deviceConfigurations/${id}`, { cameraBlocked: true }));
    expect(patched).toMatchObject({ cameraBlocked: true, version: 2 });
    expect((await l.call("DELETE", `${DM}/deviceConfigurations/${id}`)).status).toBe(204);
    expectProblem(await l.call("GET", `${DM}/deviceConfigurations/${id}`), 404);
  });

  it("assigns to existing groups with the Graph assign action", async () => {
    const l = lab();
    const device = await enrol(l);
    const g = await group(l, device);
    const id = await profile(l, "iosGeneralDeviceConfiguration");
    const res = await assign(l, id, [g]);
    expect(res.value).toEqual([{ id: `${id}_${g}`, target: { "@odata.type": "#microsoft.graph.groupAssignmentTarget", groupId: g } }]);
    expect((await ok(l.call("GET", `${DM}/deviceConfigurations/${id}/assignments`))).value).toEqual(res.value);
    expectProblem(await l.call("POST", `${DM}/deviceConfigurations/${id}/assign`, { assignments: [{ target: { groupId: "missing" } }] }), 400, /no group/);
    expectProblem(
      await l.call("POST", `${DM}/deviceConfigurations/${id}/assign`, {
        assignments: [{ target: { "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget" } }],
      }),
      400,
    );
    expect((await ok(l.call("GET", `${DM}/deviceConfigurations/${id}/assignments`))).value).toEqual(res.value);
  });
});
