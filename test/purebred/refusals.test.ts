import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../fleet/clients/index.js";
import { kioskLogin } from "../../fleet/clients/index.js";
import { enrolWithPurebred, PurebredAgentConsole, type RegistrationTicket } from "../../fleet/clients/purebred-client.js";
import { createCsrWithKey, generateKeyPair } from "../../src/pki/index.js";
import { refusal } from "../helpers/refusal.js";
import { AGENT, type Answer, call, expectProblem, makePurebredLab, OTHER_AGENT, type PurebredLab } from "./lab.js";

// Every refusal of the Purebred workflow, each asserted as problem+json status and code; state is unchanged after a
// refusal (the registration stays where it was).

const APPLICANT = 2;
const NOT_AN_AGENT = 3;
const REVOKED = 4;
const TERMINATED = 5;
const TERMINATED_LATER = 6;
const R = "/issuers/purebred/registrations";

let p: PurebredLab;

beforeAll(async () => {
  p = await makePurebredLab("pb-refusals", 7);
});
afterAll(async () => {
  await p?.close();
});

const register = (device: SimulatedDevice, applicant = APPLICANT, agent = AGENT) => p.register(device, applicant, agent);

async function login(index: number): Promise<string> {
  const c = p.card(index);
  return (await kioskLogin(p.client, "purebred", c.card, c.pin)).sessionId;
}

const otp1 = (t: RegistrationTicket, otp: string, deviceId = t.deviceId, zone?: string | null) =>
  call(p.http, "POST", `${R}/${t.registrationId}/otp1`, { json: { deviceId, otp }, zone });
const confirm = (t: RegistrationTicket, token: string, otp: string) =>
  call(p.http, "POST", `${R}/${t.registrationId}/confirm`, { json: { otp }, bearer: token });

async function csrB64(): Promise<string> {
  const keys = await generateKeyPair("p256");
  return Buffer.from(await createCsrWithKey(keys, "p256", "CN=DPCLAB TEST device key")).toString("base64");
}

async function credentials(t: RegistrationTicket, deviceToken: string | undefined, extra: Record<string, unknown> = {}, zone?: string | null): Promise<Answer> {
  return call(p.http, "POST", `${R}/${t.registrationId}/credentials`, {
    json: { csr: await csrB64(), keystore: "software", osVersion: "14", ...extra },
    bearer: deviceToken,
    zone,
  });
}

/** Android registration through both stages: returns the device token. */
async function confirmed(device: SimulatedDevice, applicant = APPLICANT): Promise<{ ticket: RegistrationTicket; deviceToken: string; agentToken: string }> {
  const { ticket, agentToken } = await register(device, applicant);
  const stage1 = await otp1(ticket, ticket.otp1);
  expect(stage1.status).toBe(200);
  expect((await confirm(ticket, agentToken, String(stage1.body.otp2))).status).toBe(200);
  return { ticket, deviceToken: String(stage1.body.deviceToken), agentToken };
}

describe("who may act", () => {
  it("a card that is not a designated registration agent → 403 not-a-registration-agent; no agent session → 401", async () => {
    const notAgent = await login(NOT_AN_AGENT);
    const applicant = await login(APPLICANT);
    const body = { applicantSessionId: applicant, deviceId: "x-1", platform: "android" as const };
    const d = expectProblem(await call(p.http, "POST", R, { json: body, bearer: notAgent }), 403, "not-a-registration-agent");
    expect(d).toContain(`card ${NOT_AN_AGENT}`);
    expectProblem(await call(p.http, "POST", R, { json: body }), 401, "no-session");
    expectProblem(await call(p.http, "POST", R, { json: body, bearer: "bogus" }), 401, "session-unknown");
    // the same through the client
    const c = p.card(NOT_AN_AGENT);
    const e = await refusal(PurebredAgentConsole.open(p.client, c).then((agentConsole) => agentConsole.register(body)));
    expect([e.code, e.status]).toEqual(["not-a-registration-agent", 403]);
  });

  it("an agent cannot register their own card; the applicant must have done PKI-AUTH; only the supervising agent confirms", async () => {
    const agent = await login(AGENT);
    const self = await login(AGENT);
    expectProblem(
      await call(p.http, "POST", R, { json: { applicantSessionId: self, deviceId: "x-2", platform: "ios" }, bearer: agent }),
      403,
      "agent-cannot-supervise-self",
    );
    expectProblem(
      await call(p.http, "POST", R, { json: { applicantSessionId: "never-logged-in", deviceId: "x-2", platform: "ios" }, bearer: agent }),
      403,
      "applicant-not-authenticated",
    );
    const device = p.device("android", { user: APPLICANT });
    const { ticket } = await register(device);
    const stage1 = await otp1(ticket, ticket.otp1);
    const other = await login(OTHER_AGENT);
    expectProblem(await confirm(ticket, other, String(stage1.body.otp2)), 403, "not-your-registration");
    expectProblem(await call(p.http, "GET", `${R}/${ticket.registrationId}`, { bearer: other }), 403, "not-your-registration");
    expectProblem(await call(p.http, "GET", `${R}/nope`, { bearer: other }), 404, "registration-unknown");
  });

  it("the applicant's PKI-AUTH session serves one registration only", async () => {
    const agent = await login(AGENT);
    const applicant = await login(APPLICANT);
    const body = (deviceId: string) => ({ applicantSessionId: applicant, deviceId, platform: "android" });
    expect((await call(p.http, "POST", R, { json: body("x-3"), bearer: agent })).status).toBe(201);
    expectProblem(await call(p.http, "POST", R, { json: body("x-4"), bearer: agent }), 403, "applicant-not-authenticated");
  });
});

describe("on-premises network (§1.8)", () => {
  it("a device off the on-premises network → 403 no-on-premises-network naming the fix, on every device route", async () => {
    const agent = p.card(AGENT);
    const c = p.card(APPLICANT);
    for (const platform of ["ios", "android"] as const) {
      const device = p.device(platform, { onPremisesNetwork: false, user: APPLICANT });
      const e = await refusal(enrolWithPurebred({ client: p.client, agent, card: c.card, pin: c.pin, device }));
      expect([e.code, e.status]).toEqual(["no-on-premises-network", 403]);
      expect(e.message).toMatch(/corporate Wi-Fi or the VPN/);
    }
    const device = p.device("ios", { user: APPLICANT });
    const { ticket } = await register(device);
    const profileUrl = `${R}/${ticket.registrationId}/pre-enrolment-profile?deviceId=${device.deviceId}`;
    const d = expectProblem(await call(p.http, "GET", profileUrl, { zone: "internet" }), 403, "no-on-premises-network");
    expect(d).toContain("docs/intune.md §1.8");
    expectProblem(await call(p.http, "GET", profileUrl, { zone: null }), 403, "no-on-premises-network");
    expectProblem(await otp1(ticket, ticket.otp1, device.deviceId, "internet"), 403, "no-on-premises-network");
    expectProblem(await credentials(ticket, "t", {}, "internet"), 403, "no-on-premises-network");
    // nothing moved: the profile still downloads on-premises
    expect((await call(p.http, "GET", profileUrl)).status).toBe(200);
  });
});

describe("one-time passcodes", () => {
  it("a reused OTP-1 or OTP-2 → 409 secret-used", async () => {
    const { ticket, agentToken } = await register(p.device("android", { user: APPLICANT }));
    const stage1 = await otp1(ticket, ticket.otp1);
    expect(stage1.status).toBe(200);
    expectProblem(await otp1(ticket, ticket.otp1), 409, "secret-used");
    expect((await confirm(ticket, agentToken, String(stage1.body.otp2))).body.state).toBe("confirmed");
    expectProblem(await confirm(ticket, agentToken, String(stage1.body.otp2)), 409, "secret-used");
  });

  it("an expired OTP → 410 secret-expired (VirtualClock); a confirmed registration expires too; a new registration supersedes the old", async () => {
    const device = p.device("android", { user: APPLICANT });
    const { ticket } = await register(device);
    p.l.clock.advance(15 * 60_000);
    expectProblem(await otp1(ticket, ticket.otp1), 410, "secret-expired");
    const again = await register(device);
    // the superseded registration is cancelled, and another registration's OTP does nothing to it
    expectProblem(await otp1(ticket, again.ticket.otp1), 410, "registration-cancelled");
    expect((await otp1(again.ticket, again.ticket.otp1)).status).toBe(200);
    // OTP-2 expires as well (the agent signs in again: a kiosk session also lasts 15 minutes)
    const { ticket: t2 } = await register(device);
    const stage1 = await otp1(t2, t2.otp1);
    p.l.clock.advance(15 * 60_000 + 1);
    expectProblem(await confirm(t2, await login(AGENT), String(stage1.body.otp2)), 410, "secret-expired");
    // a confirmed registration must be used within the OTP lifetime
    const c = await confirmed(device);
    p.l.clock.advance(15 * 60_000);
    expectProblem(await credentials(c.ticket, c.deviceToken), 410, "registration-expired");
    const agent = await login(AGENT);
    expect((await call(p.http, "GET", `${R}/${c.ticket.registrationId}`, { bearer: agent })).body.state).toBe("confirmed");
    expect((await call(p.http, "GET", `${R}/${ticket.registrationId}`, { bearer: agent })).body.state).toBe("cancelled");
  });

  it("wrong OTP guesses are rate-limited: after 5, even the right one → 429 with Retry-After", async () => {
    const { ticket } = await register(p.device("android", { user: APPLICANT }));
    const wrong = ticket.otp1 === "00000000" ? "11111111" : "00000000";
    for (let i = 0; i < 5; i++) expectProblem(await otp1(ticket, wrong), 404, "secret-unknown");
    const locked = await otp1(ticket, ticket.otp1);
    expectProblem(locked, 429, "too-many-attempts");
    expect(locked.headers.get("retry-after")).toBe("900");
    expect(locked.body.retryAfterSeconds).toBe(900);
    // over a real socket the header survives too
    const viaSocket = await call(p.socket, "POST", `${R}/${ticket.registrationId}/otp1`, { json: { deviceId: ticket.deviceId, otp: ticket.otp1 } });
    expect([viaSocket.status, viaSocket.headers.get("retry-after")]).toEqual([429, "900"]);
    // after the lockout the OTP answers again (by now expired: the lockout equals the OTP lifetime)
    p.l.clock.advance(15 * 60_000);
    expectProblem(await otp1(ticket, ticket.otp1), 410, "secret-expired");
  });
});

describe("order of the stages", () => {
  it("device steps before stage 2 → 409 with a clear detail; wrong token → 401; iOS OTP-1 before the pre-enrolment profile → 409", async () => {
    const { ticket, agentToken } = await register(p.device("android", { user: APPLICANT }));
    expectProblem(await credentials(ticket, undefined), 409, "otp1-not-entered");
    const stage1 = await otp1(ticket, ticket.otp1);
    expect(stage1.body).toMatchObject({ state: "awaiting-agent-confirmation" });
    expect(String(stage1.body.otp2)).toMatch(/^\d{8}$/);
    const token = String(stage1.body.deviceToken);
    const detail = expectProblem(await credentials(ticket, token), 409, "otp2-not-confirmed");
    expect(detail).toMatch(/OTP-2 .* agent/);
    expectProblem(await credentials(ticket, "not-the-token"), 401, "bad-device-token");
    expectProblem(await call(p.http, "GET", `${R}/${ticket.registrationId}/pre-enrolment-profile?deviceId=${ticket.deviceId}`), 409, "ios-only");
    expect((await confirm(ticket, agentToken, String(stage1.body.otp2))).status).toBe(200);
    expect((await credentials(ticket, token)).status).toBe(201);
    expectProblem(await credentials(ticket, token), 409, "already-issued");

    const ios = await register(p.device("ios", { user: APPLICANT }));
    const d = expectProblem(await otp1(ios.ticket, ios.ticket.otp1), 409, "pre-enrolment-profile-not-installed");
    expect(d).toContain("§2.1 step 7");
    expectProblem(await otp1(ios.ticket, ios.ticket.otp1, "someone-else"), 403, "wrong-device");
    // the OTP was not spent by those refusals
    await call(p.http, "GET", `${R}/${ios.ticket.registrationId}/pre-enrolment-profile?deviceId=${ios.ticket.deviceId}`);
    expect((await otp1(ios.ticket, ios.ticket.otp1)).status).toBe(200);
  });
});

describe("concurrency", () => {
  it("two credential requests racing on one registration: one 201, the other 409 issuance-in-progress / already-issued", async () => {
    const { ticket, deviceToken } = await confirmed(p.device("android", { user: APPLICANT }));
    const answers = await Promise.all([credentials(ticket, deviceToken), credentials(ticket, deviceToken)]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    const refused = answers.find((a) => a.status === 409) as Answer;
    expect(["issuance-in-progress", "already-issued"]).toContain(refused.body.code);
    expect(p.issuance.credentials().filter((c) => c.deviceId === ticket.deviceId)).toHaveLength(1);
  });
});

describe("eligibility of the applicant and the device", () => {
  it("a revoked applicant card → 401 pki-auth-failed:revoked; a terminated account → 403 account-terminated", async () => {
    p.l.cardIssuer.revokeCard(REVOKED, "keyCompromise");
    let e = await refusal(register(p.device("android", { user: APPLICANT }), REVOKED));
    expect([e.code, e.status]).toEqual(["pki-auth-failed:revoked", 401]);
    p.l.cardIssuer.terminateAccount(TERMINATED);
    e = await refusal(register(p.device("android", { user: APPLICANT }), TERMINATED));
    expect([e.code, e.status]).toEqual(["account-terminated", 403]);
  });

  it("an account terminated between registration and issuance → 403 account-terminated, nothing issued, registration still confirmed", async () => {
    const { ticket, deviceToken, agentToken } = await confirmed(p.device("android", { user: TERMINATED_LATER }), TERMINATED_LATER);
    p.l.cardIssuer.terminateAccount(TERMINATED_LATER);
    const before = p.issuance.credentials().length;
    expectProblem(await credentials(ticket, deviceToken), 403, "account-terminated");
    expect(p.issuance.credentials()).toHaveLength(before);
    expect((await call(p.http, "GET", `${R}/${ticket.registrationId}`, { bearer: agentToken })).body.state).toBe("confirmed");
  });

  it("a device not enrolled in the tenant → 403 device-not-approved (DC-ISS-02)", async () => {
    const device = p.device("android", { enrol: false });
    const { ticket, deviceToken } = await confirmed(device);
    const d = expectProblem(await credentials(ticket, deviceToken), 403, "device-not-approved");
    expect(d).toContain("not enrolled in the tenant");
  });
});

describe("malformed input → 400/415 problem+json, state unchanged", () => {
  it("bad bodies on every route", async () => {
    const agent = await login(AGENT);
    expectProblem(await call(p.http, "POST", R, { raw: { body: "hello", type: "text/plain" }, bearer: agent }), 415, "bad-content-type");
    expectProblem(await call(p.http, "POST", R, { raw: { body: "{", type: "application/json" }, bearer: agent }), 400, "bad-json");
    expectProblem(await call(p.http, "POST", R, { json: [1], bearer: agent }), 400, "bad-json");
    expectProblem(
      await call(p.http, "POST", R, { json: { applicantSessionId: "x", deviceId: "d", platform: "ios", pin: "123456" }, bearer: agent }),
      400,
      "unknown-property",
    );
    const applicant = await login(APPLICANT);
    expectProblem(
      await call(p.http, "POST", R, { json: { applicantSessionId: applicant, deviceId: "d", platform: "windows" }, bearer: agent }),
      400,
      "bad-platform",
    );
    expectProblem(await call(p.http, "POST", R, { json: { applicantSessionId: applicant, deviceId: "", platform: "ios" }, bearer: agent }), 400, "bad-device");
    expectProblem(await call(p.http, "POST", R, { json: { applicantSessionId: 42, deviceId: "d", platform: "ios" }, bearer: agent }), 400, "bad-request");

    const { ticket, deviceToken, agentToken } = await confirmed(p.device("android", { user: APPLICANT }));
    expectProblem(await otp1(ticket, "12ab"), 400, "bad-secret");
    expectProblem(await confirm(ticket, agentToken, "x"), 400, "bad-secret");
    expectProblem(await credentials(ticket, deviceToken, { csr: "!!!" }), 400, "bad-csr");
    expectProblem(await credentials(ticket, deviceToken, { csr: Buffer.from("not a csr").toString("base64") }), 400, "bad-csr");
    expectProblem(await credentials(ticket, deviceToken, { keystore: "tee" }), 400, "bad-device");
    expectProblem(await credentials(ticket, deviceToken, { osVersion: 14 }), 400, "bad-device");
    expectProblem(await credentials(ticket, deviceToken, { signingCsr: await csrB64() }), 400, "smime-ios-only");
    expectProblem(await credentials(ticket, deviceToken, { deviceId: "other" }), 400, "unknown-property");
    expectProblem(
      await call(p.http, "POST", `${R}/${ticket.registrationId}/credentials`, {
        raw: { body: "csr=1", type: "application/x-www-form-urlencoded" },
        bearer: deviceToken,
      }),
      415,
      "bad-content-type",
    );
    expectProblem(
      await call(p.http, "POST", "/issuers/purebred/key-recovery", { json: { applicantSessionId: applicant, credentialId: 7 }, bearer: agent }),
      400,
      "bad-request",
    );
    expectProblem(await call(p.http, "DELETE", R, { bearer: agent }), 405, undefined);
    // after all that, the registration still issues
    expect((await credentials(ticket, deviceToken)).status).toBe(201);
  });
});
