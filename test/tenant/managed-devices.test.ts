import { describe, expect, it } from "vitest";
import { addIssuer, checkIn, credentialBody, DM, enrol, expectProblem, group, lab, ok, profile, registerCredential } from "./helpers.js";

describe("managed devices", () => {
  it("enrols iOS (Company Portal) and Android fully managed/COPE (Intune app) devices", async () => {
    const l = lab();
    const ios = await ok(l.call("GET", `${DM}/managedDevices/${await enrol(l, "ios", { cardIndex: 3 })}`));
    expect(ios).toMatchObject({ platform: "ios", ownership: "corporate", app: "companyPortal", cardIndex: 3, email: "alice@test.example", compliant: true });
    const cope = await ok(l.call("GET", `${DM}/managedDevices/${await enrol(l, "android", { ownership: "cope", email: "bob.mail@test.example" })}`));
    expect(cope).toMatchObject({ platform: "android", ownership: "cope", app: "intuneApp", email: "bob.mail@test.example" });
    expect((await ok(l.call("GET", `${DM}/managedDevices`))).value).toHaveLength(2);
  });

  it("enforces minimum OS versions (iOS 13.0 our choice, Android 8.0 per §2.4) and platform-appropriate fields", async () => {
    const l = lab();
    expectProblem(
      await l.call("POST", `${DM}/managedDevices`, { platform: "ios", osVersion: "12.5.7", ownership: "corporate", userPrincipalName: "a@t", compliant: true }),
      400,
      /minimum 13\.0/,
    );
    expectProblem(
      await l.call("POST", `${DM}/managedDevices`, {
        platform: "android",
        osVersion: "7.1",
        ownership: "fullyManaged",
        userPrincipalName: "a@t",
        compliant: true,
      }),
      400,
      /minimum 8\.0/,
    );
    await enrol(l, "ios", { osVersion: "13.0" });
    await enrol(l, "android", { osVersion: "8.0" });
    expectProblem(
      await l.call("POST", `${DM}/managedDevices`, { platform: "android", osVersion: "14", ownership: "corporate", userPrincipalName: "a@t", compliant: true }),
      400,
      /ownership/,
    );
    expectProblem(
      await l.call("POST", `${DM}/managedDevices`, {
        platform: "ios",
        osVersion: "17",
        ownership: "corporate",
        userPrincipalName: "a@t",
        compliant: true,
        app: "intuneApp",
      }),
      400,
      /app/,
    );
    expectProblem(
      await l.call("POST", `${DM}/managedDevices`, { platform: "windows", osVersion: "10", ownership: "corporate", userPrincipalName: "a@t", compliant: true }),
      400,
      /platform/,
    );
    expectProblem(
      await l.call("POST", `${DM}/managedDevices`, { platform: "ios", osVersion: "17", ownership: "corporate", userPrincipalName: "a@t" }),
      400,
      /compliant/,
    );
    for (const cardIndex of [-1, 1.5, 1e300, 1_000_000, "3"]) {
      expectProblem(
        await l.call("POST", `${DM}/managedDevices`, {
          platform: "ios",
          osVersion: "17",
          ownership: "corporate",
          userPrincipalName: "a@t",
          compliant: true,
          cardIndex,
        }),
        400,
        /"cardIndex" must be an integer from 0 to 999999/,
      );
    }
    const id = await enrol(l);
    expectProblem(await l.call("PATCH", `${DM}/managedDevices/${id}`, { osVersion: "12.0" }), 400, /minimum/);
    expect((await ok(l.call("GET", `${DM}/managedDevices`))).value).toHaveLength(3);
  });

  it("is the DeviceApprover: approved = enrolled and (by default) compliant", async () => {
    const l = lab();
    const id = await enrol(l, "ios", { compliant: false });
    expect(l.tenant.isApproved("nope")).toMatchObject({ approved: false, reason: expect.stringMatching(/not enrolled/) });
    expect(l.tenant.isApproved(id)).toMatchObject({ approved: false, reason: expect.stringMatching(/not compliant/) });
    expect((await ok(l.call("PATCH", `${DM}/managedDevices/${id}`, { compliant: true }))).compliant).toBe(true);
    expect(l.tenant.isApproved(id)).toEqual({ approved: true });
    const lax = lab({ requireCompliance: false });
    expect(lax.tenant.isApproved(await enrol(lax, "ios", { compliant: false }))).toEqual({ approved: true });
  });

  it("registers a derived credential only from the configured issuer", async () => {
    const l = lab();
    const id = await enrol(l);
    const body = await credentialBody("intercede", new Date("2026-01-01T00:00:00Z"), new Date("2027-01-01T00:00:00Z"), {
      deviceId: id,
      userPrincipalName: "alice@test.example",
    });
    expectProblem(await l.call("POST", `/__lab/tenant/managedDevices/${id}/derivedCredential`, body), 409, /no derived credential issuer/);
    await addIssuer(l, "entrustDatacard");
    expectProblem(await l.call("POST", `/__lab/tenant/managedDevices/${id}/derivedCredential`, body), 409, /issuer mismatch/);
    expectProblem(await l.call("POST", `/__lab/tenant/managedDevices/${id}/derivedCredential`, { ...body, issuer: "xTec" }), 400, /xTec/);
    const good = { ...body, issuer: "entrustDatacard" };
    expectProblem(await l.call("POST", `/__lab/tenant/managedDevices/${id}/derivedCredential`, { ...good, certificate: "AAAA" }), 400, /certificate/);
    expectProblem(
      await l.call("POST", `/__lab/tenant/managedDevices/${id}/derivedCredential`, { ...good, serialNumber: "0A1B" }),
      400,
      /those of "certificate"/,
    );
    expectProblem(await l.call("POST", `/__lab/tenant/managedDevices/${id}/derivedCredential`, { ...good, notAfter: "2025-06-01T00:00:00Z" }), 400, /notAfter/);
    expectProblem(await l.call("POST", `/__lab/tenant/managedDevices/${id}/derivedCredential`, { ...good, notBefore: "yesterday" }), 400, /ISO 8601/);
    expectProblem(await l.call("POST", `/__lab/tenant/managedDevices/${id}/derivedCredential`, { ...good, serialNumber: "xyz" }), 400, /hex/);
    expectProblem(await l.call("POST", `/__lab/tenant/managedDevices/nope/derivedCredential`, good), 404);
    expect((await ok(l.call("GET", `${DM}/managedDevices/${id}`))).derivedCredential).toBeUndefined();
    const reg = await ok(l.call("POST", `/__lab/tenant/managedDevices/${id}/derivedCredential`, good), 201);
    expect(reg.device).toMatchObject({
      derivedCredential: { issuer: "entrustDatacard", serialNumber: String(good.serialNumber).toLowerCase(), state: "valid" },
    });
    expectProblem(await l.call("POST", `/__lab/tenant/managedDevices/${id}/derivedCredential`, good), 409, /already registered/);
  });

  it("a new credential redeploys the derived-credential policies on that device only", async () => {
    const l = lab();
    await addIssuer(l);
    const a = await enrol(l);
    const b = await enrol(l);
    const g = await group(l, a, b);
    const wifi = await profile(l, "iosEnterpriseWiFiConfiguration", { ssid: "corp", eapType: "eapTls", authenticationMethod: "derivedCredential" }, [g]);
    const plain = await profile(l, "iosVpnConfiguration", { server: "vpn", authenticationMethod: "certificate" }, [g]);
    await checkIn(l, a);
    await checkIn(l, b);
    const reg = await registerCredential(l, a);
    expect(reg.redeployed).toEqual([wifi]);
    const deployments = (r: Awaited<ReturnType<typeof checkIn>>) => Object.fromEntries(r.policies.map((p) => [p.id, p.deployment]));
    expect(deployments(await checkIn(l, a))).toEqual({ [wifi]: 2, [plain]: 1 });
    expect(deployments(await checkIn(l, b))).toEqual({ [wifi]: 1, [plain]: 1 });
  });
});
