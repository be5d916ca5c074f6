import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/clock.js";
import { addIssuer, checkIn, DM, enrol, group, lab, ok, profile, registerCredential } from "./helpers.js";

const WIFI = { ssid: "corp", eapType: "eapTls", authenticationMethod: "derivedCredential" };

describe("check-in", () => {
  it("delivers only the policies of the device's groups and platform", async () => {
    const l = lab();
    await addIssuer(l);
    const ios = await enrol(l, "ios");
    const android = await enrol(l, "android");
    const other = await enrol(l, "ios");
    const g = await group(l, ios, android);
    const iosWifi = await profile(l, "iosEnterpriseWiFiConfiguration", WIFI, [g]);
    const androidWifi = await profile(l, "androidDeviceOwnerEnterpriseWiFiConfiguration", WIFI, [g]);
    await profile(l, "iosGeneralDeviceConfiguration", { cameraBlocked: false }, [await group(l, other)]);
    expect((await checkIn(l, ios)).policies.map((p) => p.id)).toEqual([iosWifi]);
    const a = await checkIn(l, android);
    expect(a.policies).toEqual([
      {
        id: androidWifi,
        type: "androidDeviceOwnerEnterpriseWiFiConfiguration",
        displayName: "androidDeviceOwnerEnterpriseWiFiConfiguration",
        version: 1,
        deployment: 1,
        usesDerivedCredential: true,
        needsEdit: false,
        settings: { ...WIFI, providesIssuerAccess: false },
      },
    ]);
    expect(a.derivedCredential).toEqual({ required: true, state: "none" });
    expect((await checkIn(l, other)).derivedCredential).toEqual({ required: false, state: "none" });
  });

  it("sends no enrolment notice until a targeted policy needs a derived credential, then exactly one", async () => {
    const l = lab();
    await addIssuer(l, "intercede", { notificationType: "companyPortal,email", helpUrl: "https://help.test.example/" });
    const device = await enrol(l);
    const g = await group(l, device);
    await profile(l, "iosVpnConfiguration", { server: "vpn", authenticationMethod: "certificate" }, [g]);
    expect((await checkIn(l, device)).notifications).toEqual([]);
    const untargeted = await profile(l, "iosDerivedCredentialAuthenticationConfiguration");
    expect((await checkIn(l, device)).notifications).toEqual([]);
    await ok(l.call("POST", `${DM}/deviceConfigurations/${untargeted}/assign`, { assignments: [{ target: { groupId: g } }] }));
    const first = await checkIn(l, device);
    expect(first.notifications.map((n) => [n.kind, n.channel, n.recipient, n.delivered])).toEqual([
      ["enrolment", "companyPortal", "companyPortal", true],
      ["enrolment", "email", "alice@test.example", true],
    ]);
    expect((first.notifications[0] as unknown as { helpUrl: string }).helpUrl).toBe("https://help.test.example/");
    expect((await checkIn(l, device)).notifications).toEqual([]);
    const outbox = await ok(l.call("GET", "/tenant/outbox"));
    expect(outbox.value).toHaveLength(2);
  });

  it("sends no notification at all with notificationType none", async () => {
    const l = lab();
    await addIssuer(l, "intercede", { notificationType: "none" });
    const device = await enrol(l);
    await profile(l, "iosDerivedCredentialAuthenticationConfiguration", {}, [await group(l, device)]);
    expect((await checkIn(l, device)).notifications).toEqual([]);
    expect((await ok(l.call("GET", "/tenant/outbox"))).value).toEqual([]);
  });

  it("sends the renewal notice exactly once, at check-in, when 80 % of the lifetime has elapsed", async () => {
    const l = lab();
    await addIssuer(l);
    const device = await enrol(l);
    await profile(l, "iosDerivedCredentialAuthenticationConfiguration", {}, [await group(l, device)]);
    await checkIn(l, device);
    await registerCredential(l, device, "entrustDatacard", 100);
    l.clock.advance(80 * DAY_MS - 1);
    const before = await checkIn(l, device);
    expect(before.derivedCredential.state).toBe("valid");
    expect(before.derivedCredential.renewalDueAt).toBe(new Date(l.clock.now().getTime() + 1).toISOString());
    expect(before.notifications).toEqual([]);
    l.clock.advance(1);
    const due = await checkIn(l, device);
    expect(due.derivedCredential.state).toBe("renewal-due");
    expect(due.notifications.map((n) => n.kind)).toEqual(["renewal"]);
    expect(due.notifications[0]?.message).toMatch(/open Company Portal/);
    l.clock.advance(5 * DAY_MS);
    expect((await checkIn(l, device)).notifications).toEqual([]);
    // A new credential starts a new lifetime: its own renewal notice comes at its own 80 %.
    await registerCredential(l, device, "entrustDatacard", 10);
    l.clock.advance(8 * DAY_MS);
    expect((await checkIn(l, device)).notifications.map((n) => n.kind)).toEqual(["renewal"]);
    l.clock.advance(2 * DAY_MS);
    const expired = await checkIn(l, device);
    expect(expired.derivedCredential.state).toBe("expired");
    expect(expired.notifications.map((n) => n.kind)).toEqual(["enrolment"]);
  });

  it("a device that does not check in during the renewal window gets no renewal notice", async () => {
    const l = lab();
    await addIssuer(l);
    const device = await enrol(l);
    await profile(l, "iosDerivedCredentialAuthenticationConfiguration", {}, [await group(l, device)]);
    await checkIn(l, device);
    await registerCredential(l, device, "entrustDatacard", 100);
    l.clock.advance(101 * DAY_MS);
    const late = await checkIn(l, device);
    expect(late.derivedCredential.state).toBe("expired");
    expect(late.notifications.map((n) => n.kind)).toEqual(["enrolment"]);
  });

  it("honours a custom renewalThresholdPercentage (share of the lifetime remaining)", async () => {
    const l = lab();
    await addIssuer(l, "entrustDatacard", { renewalThresholdPercentage: 10 });
    const device = await enrol(l);
    await profile(l, "iosDerivedCredentialAuthenticationConfiguration", {}, [await group(l, device)]);
    await checkIn(l, device);
    await registerCredential(l, device, "entrustDatacard", 100);
    l.clock.advance(85 * DAY_MS);
    expect((await checkIn(l, device)).derivedCredential.state).toBe("valid");
    l.clock.advance(5 * DAY_MS);
    expect((await checkIn(l, device)).derivedCredential.state).toBe("renewal-due");
  });

  it("records email as undelivered to a non-compliant device under conditional access; app notifications still arrive", async () => {
    const l = lab();
    await addIssuer(l, "entrustDatacard", { notificationType: "companyPortal,email" });
    await ok(l.call("PUT", "/tenant/beta/identity/conditionalAccess/policies", { blockNonCompliantEmail: true }));
    const bad = await enrol(l, "ios", { compliant: false });
    const good = await enrol(l, "ios", { userPrincipalName: "carol@test.example" });
    await profile(l, "iosDerivedCredentialAuthenticationConfiguration", {}, [await group(l, bad, good)]);
    const res = await checkIn(l, bad);
    expect(res.notifications.map((n) => [n.channel, n.delivered, n.reason])).toEqual([
      ["companyPortal", true, undefined],
      ["email", false, expect.stringMatching(/conditional access/)],
    ]);
    expect((await checkIn(l, good)).notifications.every((n) => n.delivered)).toBe(true);
    const outbox = (await ok(l.call("GET", "/tenant/outbox"))).value as { deviceId: string; channel: string; delivered: boolean; kind: string; at: string }[];
    expect(outbox.filter((n) => !n.delivered)).toEqual([
      expect.objectContaining({ deviceId: bad, channel: "email", kind: "enrolment", at: "2026-01-01T00:00:00.000Z" }),
    ]);
  });

  it("policy changes: iOS is told to open Company Portal, Android fully managed/COPE is not", async () => {
    const l = lab();
    await addIssuer(l);
    const ios = await enrol(l, "ios");
    const android = await enrol(l, "android", { ownership: "cope" });
    const g = await group(l, ios, android);
    await profile(l, "iosDerivedCredentialAuthenticationConfiguration", {}, [g]);
    await profile(l, "androidDeviceOwnerDerivedCredentialAuthenticationConfiguration", {}, [g]);
    for (const d of [ios, android]) {
      expect((await checkIn(l, d)).notifications.map((n) => n.kind)).toEqual(["enrolment"]);
      await registerCredential(l, d);
      expect((await checkIn(l, d)).notifications).toEqual([]);
    }
    // A new Wi-Fi profile using the derived credential (§1.5's example).
    await profile(l, "iosEnterpriseWiFiConfiguration", WIFI, [g]);
    const androidWifi = await profile(l, "androidDeviceOwnerEnterpriseWiFiConfiguration", WIFI, [g]);
    const i = await checkIn(l, ios);
    expect(i.notifications.map((n) => n.kind)).toEqual(["policyChange"]);
    expect(i.notifications[0]?.message).toMatch(/Open Company Portal/);
    expect((await checkIn(l, android)).notifications).toEqual([]);
    expect((await checkIn(l, ios)).notifications).toEqual([]);
    // A change that does not touch derived credentials tells nobody.
    await profile(l, "iosGeneralDeviceConfiguration", { cameraBlocked: false }, [g]);
    expect((await checkIn(l, ios)).notifications).toEqual([]);
    await ok(l.call("PATCH", `${DM}/deviceConfigurations/${androidWifi}`, { ssid: "corp2" }));
    const changed = await checkIn(l, android);
    expect(changed.notifications).toEqual([]);
    expect(changed.policies.find((p) => p.id === androidWifi)).toMatchObject({ version: 2, deployment: 2, settings: { ssid: "corp2" } });
  });
});

describe("the notification outbox", () => {
  it("keeps the newest outboxLimit notifications, however many check-ins produce them (issue 10 §8: bounded state)", async () => {
    const OUTBOX_LIMIT = 50;
    const l = lab({ outboxLimit: OUTBOX_LIMIT });
    await addIssuer(l);
    const g = await group(l);
    await profile(l, "iosEnterpriseWiFiConfiguration", { ssid: "TEST", eapType: "eapTls", authenticationMethod: "derivedCredential" }, [g]);
    const enrolBody = { platform: "ios", osVersion: "17.4", ownership: "corporate", userPrincipalName: "alice@test.example", compliant: true };
    let last = "";
    for (let i = 0; i < OUTBOX_LIMIT * 2 + 5; i++) {
      const { id } = l.tenant.enrolDevice(enrolBody);
      l.tenant.addGroupMember(g, { deviceId: id });
      const { notifications } = l.tenant.checkIn(id); // one enrolment notice per new device
      expect(notifications).toHaveLength(1);
      last = notifications[0]!.id;
    }
    const outbox = l.tenant.outbox();
    expect(outbox).toHaveLength(OUTBOX_LIMIT);
    expect(outbox.at(-1)?.id).toBe(last);
  });
});
