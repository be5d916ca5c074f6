import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_QR_TTL_MS, ENROL_ACTION, ENTRUST_CREDENTIAL_TYPE, parseEntrustQr } from "../../emulators/entrust/index.js";
import { enrolWithEntrust } from "../../fleet/clients/entrust-client.js";
import { kioskLogin } from "../../fleet/clients/index.js";
import { expectRawProblem as expectProblem, rawHttp } from "../derived/raw-http.js";
import { ACTIVATE, activation, type EntrustLab, makeEntrustLab } from "./lab.js";

// Issue 10 against Entrust, over the real socket: the Host header never reaches the QR code (§9), ids named like
// Object.prototype members are plain unknown ids (§1), a replayed QR never locks its device out (§7), 30 phones
// racing one QR get one credential, and the enrolment store is bounded (§8).

const START = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
const PROTO_NAMES = ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "prototype", "__defineGetter__"];
const MAX_ENROLMENTS = 6;
let l: EntrustLab;

beforeAll(async () => {
  l = await makeEntrustLab({ cards: 4, seed: "entrust-hardening", start: START, emulator: { maxEnrolments: MAX_ENROLMENTS } });
});
afterAll(async () => {
  await l?.close();
});

interface KioskEnrolment {
  id: string;
  password: string;
  qr: { payload: string; svg: string };
}

async function kioskEnrol(index: number, headers: Record<string, string> = {}): Promise<{ token: string; enrolment: KioskEnrolment }> {
  const login = await kioskLogin(l.httpClient, "entrust", l.card(index), (l.deck[index] as { pin: string }).pin);
  const r = await rawHttp(l.server.url, "/issuers/entrust/kiosk/enrolments", {
    method: "POST",
    headers: { authorization: `Bearer ${login.sessionId}`, ...headers },
    json: { action: ENROL_ACTION, smartCredentialAppInstalled: true, identityName: "Derived Cred", credentialType: ENTRUST_CREDENTIAL_TYPE },
  });
  expect(r.status, r.text).toBe(201);
  return { token: login.sessionId, enrolment: r.json as unknown as KioskEnrolment };
}

describe("Entrust hardening (issue 10)", () => {
  it("Host: attacker.example does not reach the QR code: the portal is the configured base URL (§9)", async () => {
    const a = await kioskEnrol(0, { host: "attacker.example" });
    const qr = parseEntrustQr(a.enrolment.qr.payload);
    expect(qr.portal).toBe(`${l.server.url}${ACTIVATE}`);
    expect(a.enrolment.qr.payload).not.toContain("attacker");
    const view = await rawHttp(l.server.url, `/issuers/entrust/kiosk/enrolments/${a.enrolment.id}`, {
      headers: { authorization: `Bearer ${a.token}`, host: "attacker.example:8443", "x-forwarded-host": "attacker.example" },
    });
    expect(view.text).not.toContain("attacker");
  });

  it("ids, codes and session ids named like Object.prototype members are 4xx problem+json, and a later enrolment works (§1)", async () => {
    const a = await kioskEnrol(1);
    const bearer = { authorization: `Bearer ${a.token}` };
    const device = l.device("android", { user: 1 });
    for (const name of PROTO_NAMES) {
      const junk = l.device("android", { enrol: false }); // its unknown QR codes count against it, not the real phone
      const answers = [
        await rawHttp(l.server.url, `/issuers/entrust/kiosk/enrolments/${name}`, { headers: bearer }),
        await rawHttp(l.server.url, `/issuers/entrust/kiosk/enrolments/${name}/qr.svg`, { headers: bearer }),
        await rawHttp(l.server.url, `/issuers/entrust/kiosk/enrolments/${a.enrolment.id}`, { headers: { authorization: `Bearer ${name}` } }),
        await rawHttp(l.server.url, "/issuers/entrust/kiosk/login", { method: "POST", json: { challengeId: name, certificate: "AAAA", signature: "AAAA" } }),
        await rawHttp(l.server.url, ACTIVATE, {
          method: "POST",
          json: await activation(a.enrolment, junk, { qrSession: `${name}${"A".repeat(20)}`.slice(0, 40) }),
        }),
        await rawHttp(l.server.url, ACTIVATE, { method: "POST", json: await activation(a.enrolment, junk, { qrSession: name }) }),
        await rawHttp(l.server.url, ACTIVATE, { method: "POST", json: await activation(a.enrolment, junk, { password: name }) }),
        await rawHttp(l.server.url, ACTIVATE, {
          method: "POST",
          json: await activation(a.enrolment, { ...device, deviceId: name }, { qrSession: "B".repeat(22) }),
        }),
        await rawHttp(l.server.url, ACTIVATE, { method: "POST", json: JSON.parse(`{"${name}": {"qrSession": "x"}}`) }),
      ];
      for (const r of answers) expectProblem(r, [400, 401, 403, 404, 409, 410, 415, 429]);
    }
    // the enrolment is untouched, and the real phone activates it
    const ok = await rawHttp(l.server.url, ACTIVATE, { method: "POST", json: await activation(a.enrolment, device) });
    expect(ok.status, ok.text).toBe(201);
    expect(l.issuance.credentials().filter((c) => c.cardIndex === 1)).toHaveLength(1);
  });

  it("30 phones racing one QR code + password: exactly one credential, every other answer 409/410/429 problem+json", async () => {
    const a = await kioskEnrol(2);
    const bodies = await Promise.all(Array.from({ length: 30 }, () => activation(a.enrolment, l.device("ios", { user: 2 }))));
    const answers = await Promise.all(bodies.map((json) => rawHttp(l.server.url, ACTIVATE, { method: "POST", json })));
    const won = answers.filter((r) => r.status === 201);
    expect(won).toHaveLength(1);
    for (const r of answers.filter((x) => x.status !== 201)) expectProblem(r, [409, 410, 429]);
    expect(l.issuance.credentials().filter((c) => c.cardIndex === 2)).toHaveLength(1);
  });

  it("20 replays of a used QR code are 409 secret-used and do not lock the phone: its next enrolment activates (§7)", async () => {
    const device = l.device("ios", { user: 3 });
    const a = await kioskEnrol(3);
    const body = await activation(a.enrolment, device);
    expect((await rawHttp(l.server.url, ACTIVATE, { method: "POST", json: body })).status).toBe(201);
    for (let i = 0; i < 20; i++) {
      const r = await rawHttp(l.server.url, ACTIVATE, { method: "POST", json: body });
      expectProblem(r, [409]);
      expect(r.json.code).toBe("secret-used");
    }
    const again = await enrolWithEntrust({ client: l.httpClient, card: l.card(3), pin: (l.deck[3] as { pin: string }).pin, device });
    expect(again.credentialId).toBeTruthy();
  });

  it("guessing still locks: 5 unknown QR codes from one phone, then 429 even for a real one", async () => {
    const device = l.device("ios", { user: 0 });
    const a = await kioskEnrol(0);
    for (let i = 0; i < 5; i++) {
      const r = await rawHttp(l.server.url, ACTIVATE, {
        method: "POST",
        json: await activation(a.enrolment, device, { qrSession: `guess${i}`.padEnd(22, "x") }),
      });
      expect([r.status, r.json.code]).toEqual([404, "secret-unknown"]);
    }
    const locked = await rawHttp(l.server.url, ACTIVATE, { method: "POST", json: await activation(a.enrolment, device) });
    expectProblem(locked, [429]);
  });

  // Moves the clock: keep last.
  it("holds at most maxEnrolments, and forgets closed ones a day after (§8)", async () => {
    const emulator = l.emulator;
    for (let i = 0; i < MAX_ENROLMENTS + 3; i++) {
      await kioskEnrol(i % 4);
      expect(emulator.sizes().enrolments).toBeLessThanOrEqual(MAX_ENROLMENTS);
      expect(emulator.sizes().qrSessions).toBeLessThanOrEqual(MAX_ENROLMENTS);
    }
    expect(emulator.sizes().enrolments).toBe(MAX_ENROLMENTS);
    l.clock.advance(DEFAULT_QR_TTL_MS + 25 * 3_600_000);
    await kioskEnrol(0);
    expect(emulator.sizes()).toMatchObject({ enrolments: 1, qrSessions: 1, maxEnrolments: MAX_ENROLMENTS });
  });
});
