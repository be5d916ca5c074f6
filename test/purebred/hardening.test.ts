import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../fleet/clients/index.js";
import { kioskLogin } from "../../fleet/clients/index.js";
import type { RegistrationTicket } from "../../fleet/clients/purebred-client.js";
import { createCsrWithKey, generateKeyPair } from "../../src/pki/index.js";
import { rawHttp } from "../derived/raw-http.js";
import { AGENT, type Answer, call, expectProblem, makePurebredLab, type PurebredLab } from "./lab.js";

// Issue 10 against Purebred: replays of a spent OTP-1 never lock the real user out of OTP-2 (§7), guessing still
// does; the Host header never reaches an enrolment URL (§9); ids and passcodes named like Object.prototype members
// are plain unknown ones (§1); 30 devices racing one OTP-1 and 30 racing one credential request get one winner; the
// registration store is bounded (§8).

const APPLICANT = 2;
const R = "/issuers/purebred/registrations";
const PROTO_NAMES = ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "prototype"];
let p: PurebredLab;

beforeAll(async () => {
  p = await makePurebredLab("pb-hardening", 4);
});
afterAll(async () => {
  await p?.close();
});

const register = (device: SimulatedDevice, applicant = APPLICANT) => p.register(device, applicant);

const otp1 = (t: RegistrationTicket, otp: string, deviceId = t.deviceId) => call(p.http, "POST", `${R}/${t.registrationId}/otp1`, { json: { deviceId, otp } });
const confirm = (t: RegistrationTicket, token: string, otp: string) =>
  call(p.http, "POST", `${R}/${t.registrationId}/confirm`, { json: { otp }, bearer: token });

async function credentials(t: RegistrationTicket, deviceToken: string): Promise<Answer> {
  const keys = await generateKeyPair("p256");
  const csr = Buffer.from(await createCsrWithKey(keys, "p256", "")).toString("base64");
  return call(p.http, "POST", `${R}/${t.registrationId}/credentials`, { json: { csr, keystore: "software", osVersion: "14" }, bearer: deviceToken });
}

function otherThan(...otps: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < 5; i++) {
    const g = String(i * 11_111_111 + 1)
      .padStart(8, "0")
      .slice(-8);
    if (!otps.includes(g)) out.push(g);
  }
  return out;
}

describe("Purebred hardening (issue 10)", () => {
  it("20 replays of a used OTP-1 are 409 secret-used and cost nothing: the real user's OTP-2 is then confirmed (§7)", async () => {
    const { ticket, agentToken } = await register(p.device("android", { user: APPLICANT }));
    const stage1 = await otp1(ticket, ticket.otp1);
    expect(stage1.status).toBe(200);
    for (let i = 0; i < 20; i++) expectProblem(await otp1(ticket, ticket.otp1), 409, "secret-used");
    const stage2 = await confirm(ticket, agentToken, String(stage1.body.otp2));
    expect([stage2.status, stage2.body.state]).toEqual([200, "confirmed"]);
    expect((await credentials(ticket, String(stage1.body.deviceToken))).status).toBe(201);
    // replays of the spent OTP-2 cost nothing either
    for (let i = 0; i < 20; i++) expectProblem(await confirm(ticket, agentToken, String(stage1.body.otp2)), 409, "secret-used");
  });

  it("guessing still locks: 5 unknown passcodes, then even the real OTP-2 is 429 (brute force stays limited, DC-ACT-01)", async () => {
    const { ticket, agentToken } = await register(p.device("android", { user: APPLICANT }));
    const stage1 = await otp1(ticket, ticket.otp1);
    const otp2 = String(stage1.body.otp2);
    for (const guess of otherThan(ticket.otp1, otp2)) expectProblem(await otp1(ticket, guess), 404, "secret-unknown");
    expectProblem(await confirm(ticket, agentToken, otp2), 429, "too-many-attempts");
  });

  it("a passcode is found only in its own registration and stage: OTP-2 typed as OTP-1 is unknown and not spent", async () => {
    const { ticket, agentToken } = await register(p.device("android", { user: APPLICANT }));
    const stage1 = await otp1(ticket, ticket.otp1);
    const otp2 = String(stage1.body.otp2);
    expectProblem(await otp1(ticket, otp2), 404, "secret-unknown");
    const other = await register(p.device("android", { user: 3 }), 3);
    expectProblem(await otp1(other.ticket, otp2), 404, "secret-unknown");
    expect((await confirm(ticket, agentToken, otp2)).body.state).toBe("confirmed");
  });

  it("Host: attacker.example reaches neither the pre-enrolment profile URL nor the profile's EnrolmentURL (§9)", async () => {
    const socket = p.socketClient;
    const agent = p.card(AGENT);
    const applicant = p.card(APPLICANT);
    const agentSession = await kioskLogin(socket, "purebred", agent.card, agent.pin);
    const applicantSession = await kioskLogin(socket, "purebred", applicant.card, applicant.pin);
    const device = p.device("ios", { user: APPLICANT });
    const hostile = { host: "attacker.example", "x-forwarded-host": "attacker.example" };
    const created = await rawHttp(p.server.url, R, {
      method: "POST",
      headers: { ...hostile, authorization: `Bearer ${agentSession.sessionId}` },
      json: { applicantSessionId: applicantSession.sessionId, deviceId: device.deviceId, platform: "ios" },
    });
    expect(created.status, created.text).toBe(201);
    expect(String(created.json.preEnrolmentProfileUrl)).toMatch(new RegExp(`^${p.server.url}${R}/`));
    const profile = await rawHttp(
      p.server.url,
      new URL(String(created.json.preEnrolmentProfileUrl)).pathname + new URL(String(created.json.preEnrolmentProfileUrl)).search,
      {
        headers: { ...hostile, "x-dpclab-network-zone": "on-premises" },
      },
    );
    expect(profile.status).toBe(200);
    expect(profile.text).toContain(`<string>${p.server.url}${R}/${created.json.registrationId}</string>`);
    expect(created.text + profile.text).not.toContain("attacker");
  });

  it("ids and passcodes named like Object.prototype members are 4xx problem+json; a later registration works (§1)", async () => {
    const { ticket, agentToken } = await register(p.device("android", { user: APPLICANT }));
    const zone = { "x-dpclab-network-zone": "on-premises" };
    for (const name of PROTO_NAMES) {
      const answers = [
        await rawHttp(p.server.url, `${R}/${name}`, { headers: { authorization: `Bearer ${agentToken}` } }),
        await rawHttp(p.server.url, `${R}/${name}/confirm`, { method: "POST", headers: { authorization: `Bearer ${agentToken}` }, json: { otp: "12345678" } }),
        await rawHttp(p.server.url, `${R}/${name}/otp1`, { method: "POST", headers: zone, json: { deviceId: name, otp: "12345678" } }),
        await rawHttp(p.server.url, `${R}/${name}/pre-enrolment-profile?deviceId=${name}`, { headers: zone }),
        await rawHttp(p.server.url, `${R}/${name}/credentials`, { method: "POST", headers: { ...zone, authorization: `Bearer ${name}` }, json: {} }),
        await rawHttp(p.server.url, `${R}/${ticket.registrationId}/otp1`, { method: "POST", headers: zone, json: { deviceId: ticket.deviceId, otp: name } }),
        await rawHttp(p.server.url, `${R}/${ticket.registrationId}/otp1`, { method: "POST", headers: zone, json: { deviceId: name, otp: ticket.otp1 } }),
        await rawHttp(p.server.url, R, {
          headers: { authorization: `Bearer ${name}` },
          method: "POST",
          json: { applicantSessionId: name, deviceId: name, platform: "ios" },
        }),
        await rawHttp(p.server.url, R, {
          headers: { authorization: `Bearer ${agentToken}` },
          method: "POST",
          json: { applicantSessionId: name, deviceId: name, platform: "ios" },
        }),
        await rawHttp(p.server.url, "/issuers/purebred/key-recovery", {
          headers: { authorization: `Bearer ${agentToken}` },
          method: "POST",
          json: { applicantSessionId: name, credentialId: name },
        }),
        await rawHttp(p.server.url, `${R}/${ticket.registrationId}/otp1`, { method: "POST", headers: zone, json: JSON.parse(`{"${name}": {"otp": "1"}}`) }),
        await rawHttp(p.server.url, "/issuers/purebred/kiosk/login", { method: "POST", json: { challengeId: name, certificate: "AAAA", signature: "AAAA" } }),
      ];
      for (const r of answers) {
        expect([400, 401, 403, 404, 409, 410, 415, 429], `${name}: ${r.text}`).toContain(r.status);
        expect(r.type).toBe("application/problem+json");
      }
    }
    // the registration is untouched (those guesses were not its passcodes' shape, or were other ids): OTP-1 still works
    expect((await otp1(ticket, ticket.otp1)).status).toBe(200);
  });

  it("30 devices typing one OTP-1 at once: one gets OTP-2, the rest 409/410/429 problem+json", async () => {
    const { ticket } = await register(p.device("android", { user: APPLICANT }));
    const answers = await Promise.all(Array.from({ length: 30 }, () => otp1(ticket, ticket.otp1)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) {
      expect([409, 410, 429]).toContain(a.status);
      expect(a.type).toBe("application/problem+json");
    }
  });

  it("30 credential requests racing on one confirmed registration: exactly one credential issued", async () => {
    const device = p.device("android", { user: APPLICANT });
    const { ticket, agentToken } = await register(device);
    const stage1 = await otp1(ticket, ticket.otp1);
    expect((await confirm(ticket, agentToken, String(stage1.body.otp2))).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 30 }, () => credentials(ticket, String(stage1.body.deviceToken))));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 201)) {
      expect([409, 410, 429]).toContain(a.status);
      expect(a.type).toBe("application/problem+json");
    }
    expect(p.issuance.credentials().filter((c) => c.deviceId === device.deviceId)).toHaveLength(1);
  });

  // Moves the clock: keep last.
  it("registrations are forgotten two days after they were opened (§8)", async () => {
    expect(p.emulator.registrations.sizes().registrations).toBeGreaterThan(0);
    expect(p.emulator.registrations.sizes().maxRegistrations).toBe(50_000);
    p.l.clock.advance(49 * 3_600_000);
    await register(p.device("android", { user: APPLICANT }));
    expect(p.emulator.registrations.sizes()).toMatchObject({ registrations: 1, devices: 1 });
  });
});
