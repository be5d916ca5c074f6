import { describe, expect, it } from "vitest";
import { addIssuer, DM, enrol, group, type Lab, lab, ok, profile, testCertificate } from "./helpers.js";

async function lintIds(l: Lab): Promise<string[]> {
  const res = await ok(l.call("GET", "/tenant/lints"));
  return (res.value as { id: string }[]).map((f) => f.id).sort();
}

/** A tenant with no findings: Entrust, app + email notices, one iOS group with a derived credential policy and its trusted root. */
async function clean(issuer = "entrustDatacard"): Promise<{ l: Lab; g: string; device: string }> {
  const l = lab();
  await addIssuer(l, issuer, { notificationType: "companyPortal,email" });
  const device = await enrol(l);
  const g = await group(l, device);
  await profile(l, "iosDerivedCredentialAuthenticationConfiguration", {}, [g]);
  await profile(l, "iosTrustedRootCertificate", { trustedRootCertificate: await testCertificate(), certFileName: "root.cer" }, [g]);
  return { l, g, device };
}

// docs/intune.md §1.7, §1.8, §4.
describe("lints", () => {
  it("a well-planned tenant has none", async () => {
    expect(await lintIds((await clean()).l)).toEqual([]);
    expect(await lintIds(lab())).toEqual([]);
  });

  it("camera blocked while Entrust or Intercede needs it for the QR code", async () => {
    for (const issuer of ["entrustDatacard", "intercede"]) {
      const { l, g } = await clean(issuer);
      const unassigned = await profile(l, "iosGeneralDeviceConfiguration", { cameraBlocked: true });
      await profile(l, "androidDeviceOwnerGeneralDeviceConfiguration", { cameraBlocked: false }, [g]);
      expect(await lintIds(l)).toEqual([]);
      await ok(l.call("POST", `${DM}/deviceConfigurations/${unassigned}/assign`, { assignments: [{ target: { groupId: g } }] }));
      const findings = (await ok(l.call("GET", "/tenant/lints"))).value as { id: string; severity: string; objects: string[]; message: string }[];
      expect(findings).toEqual([
        expect.objectContaining({ id: "camera-blocked-qr-enrolment", severity: "error", objects: expect.arrayContaining([unassigned]) }),
      ]);
      expect(findings[0]?.message).toMatch(/QR code/);
    }
    // Purebred does not scan a QR code.
    const { l, g } = await clean("purebred");
    await profile(l, "iosVpnConfiguration", { server: "vpn", authenticationMethod: "certificate", providesIssuerAccess: true }, [g]);
    await profile(l, "iosGeneralDeviceConfiguration", { cameraBlocked: true }, [g]);
    expect(await lintIds(l)).toEqual([]);
  });

  it("deadlock: the network path to the issuer requires the derived credential", async () => {
    const { l } = await clean();
    const vpn = await profile(l, "iosVpnConfiguration", { server: "vpn", authenticationMethod: "derivedCredential", providesIssuerAccess: false });
    expect(await lintIds(l)).toEqual([]);
    await ok(l.call("PATCH", `${DM}/deviceConfigurations/${vpn}`, { providesIssuerAccess: true }));
    expect(await lintIds(l)).toEqual(["issuer-access-deadlock"]);
    await ok(l.call("PATCH", `${DM}/deviceConfigurations/${vpn}`, { authenticationMethod: "certificate" }));
    expect(await lintIds(l)).toEqual([]);
    await profile(l, "androidDeviceOwnerEnterpriseWiFiConfiguration", {
      ssid: "c",
      eapType: "peap",
      authenticationMethod: "derivedCredential",
      providesIssuerAccess: true,
    });
    expect(await lintIds(l)).toEqual(["issuer-access-deadlock"]);
  });

  it("email-only notifications with conditional access blocking email; notifications off", async () => {
    const { l } = await clean();
    const s = ((await ok(l.call("GET", `${DM}/derivedCredentials`))).value as { id: string }[])[0]?.id;
    await ok(l.call("PATCH", `${DM}/derivedCredentials/${s}`, { notificationType: "email" }));
    expect(await lintIds(l)).toEqual([]);
    await ok(l.call("PUT", "/tenant/beta/identity/conditionalAccess/policies", { blockNonCompliantEmail: true }));
    expect(await lintIds(l)).toEqual(["email-notifications-blocked"]);
    await ok(l.call("PATCH", `${DM}/derivedCredentials/${s}`, { notificationType: "companyPortal,email" }));
    expect(await lintIds(l)).toEqual([]);
    await ok(l.call("PATCH", `${DM}/derivedCredentials/${s}`, { notificationType: "none" }));
    expect(await lintIds(l)).toEqual(["notifications-off"]);
  });

  it("no trusted root certificate profile for a group that gets derived-credential policies", async () => {
    const l = lab();
    await addIssuer(l, "intercede", { notificationType: "companyPortal" });
    const a = await enrol(l);
    const b = await enrol(l, "android");
    const all = await group(l, a, b);
    const sub = await group(l, a);
    await profile(l, "iosEnterpriseWiFiConfiguration", { ssid: "c", eapType: "eapTls", authenticationMethod: "certificate" }, [sub]);
    expect(await lintIds(l)).toEqual([]);
    const dc = await profile(l, "iosEnterpriseWiFiConfiguration", { ssid: "c", eapType: "eapTls", authenticationMethod: "derivedCredential" }, [sub]);
    const findings = (await ok(l.call("GET", "/tenant/lints"))).value as { id: string; objects: string[] }[];
    expect(findings).toEqual([expect.objectContaining({ id: "trusted-root-missing", objects: [sub, dc] })]);
    // An Android root does not cover iOS; an iOS root on a group holding every member does.
    const root = await testCertificate();
    await profile(l, "androidDeviceOwnerTrustedRootCertificate", { trustedRootCertificate: root }, [all]);
    expect(await lintIds(l)).toEqual(["trusted-root-missing"]);
    await profile(l, "iosTrustedRootCertificate", { trustedRootCertificate: root }, [all]);
    expect(await lintIds(l)).toEqual([]);
  });

  it("Purebred with no profile providing on-premises network access", async () => {
    const { l, g } = await clean("purebred");
    expect(await lintIds(l)).toEqual(["purebred-no-network-access"]);
    const wifi = await profile(l, "iosEnterpriseWiFiConfiguration", {
      ssid: "corp",
      eapType: "peap",
      authenticationMethod: "usernameAndPassword",
      providesIssuerAccess: true,
    });
    expect(await lintIds(l)).toEqual(["purebred-no-network-access"]);
    await ok(l.call("POST", `${DM}/deviceConfigurations/${wifi}/assign`, { assignments: [{ target: { groupId: g } }] }));
    expect(await lintIds(l)).toEqual([]);
  });
});
