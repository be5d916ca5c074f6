import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DerivedIssuance } from "../../emulators/derived/index.js";
import type { IntercedeEmulator, RekeyPoll } from "../../emulators/intercede/index.js";
import { DEFAULT_QR_TTL_MS } from "../../emulators/intercede/index.js";
import { describeDevice, kioskLogin, type SimulatedDevice } from "../../fleet/clients/index.js";
import { enrolWithIntercede } from "../../fleet/clients/intercede-client.js";
import type { DeviceKey } from "../../fleet/keystore/index.js";
import { createCsr, createCsrWithKey, generateKeyPair } from "../../src/pki/index.js";
import { expectRawProblem as expectProblem, rawHttp } from "../derived/raw-http.js";
import { type IntercedeLab, makeIntercedeLab } from "./lab.js";

// Issue 10 against MyID, over the real socket: the Host header never reaches the QR code (§9), ids named like
// Object.prototype members are plain unknown ids (§1), 30 scans racing one QR code and 30 agents racing one rekey
// each give one credential, and the request store is bounded (§8).

const START = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
const PROTO_NAMES = ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "prototype"];
const MAX_REQUESTS = 5;
const ACTIVATIONS = "/issuers/intercede/device/activations";
let l: IntercedeLab;
let issuance: DerivedIssuance;
let myid: IntercedeEmulator;

beforeAll(async () => {
  l = await makeIntercedeLab({ cards: 4, seed: "myid-hardening", start: START });
  ({ issuance, myid } = await l.emulator({ maxRequests: MAX_REQUESTS }));
});
afterAll(async () => {
  await l?.close();
});

async function kioskRequest(index: number, headers: Record<string, string> = {}): Promise<{ sessionId: string; requestId: string; payload: string }> {
  const session = await l.withCard(index, (card, pin) => kioskLogin(l.overSocket(), "intercede", card, pin));
  const r = await rawHttp(l.server.url, "/issuers/intercede/kiosk/requests", {
    method: "POST",
    headers: { authorization: `Bearer ${session.sessionId}`, ...headers },
    json: { profile: "mobile-credential" },
  });
  expect(r.status, r.text).toBe(201);
  return { sessionId: session.sessionId, requestId: String(r.json.requestId), payload: (r.json.qr as { payload: string }).payload };
}

async function csrB64(): Promise<string> {
  const keys = await generateKeyPair("p256");
  return Buffer.from(await createCsrWithKey(keys, "p256", "")).toString("base64");
}

async function scan(payload: string, device: SimulatedDevice, over: Record<string, unknown> = {}) {
  const json = { qrSession: JSON.parse(payload)["qr-session"], device: describeDevice(device), csr: await csrB64(), ...over };
  return rawHttp(l.server.url, ACTIVATIONS, { method: "POST", json });
}

describe("MyID hardening (issue 10)", () => {
  it("Host: attacker.example does not reach the QR code: the MyID URL is the configured base URL (§9)", async () => {
    const k = await kioskRequest(0, { host: "attacker.example" });
    expect(JSON.parse(k.payload).url).toBe(`${l.server.url}/issuers/intercede`);
    expect(k.payload).not.toContain("attacker");
  });

  it("ids, QR secrets and session ids named like Object.prototype members are 4xx problem+json; a later enrolment works (§1)", async () => {
    const k = await kioskRequest(1);
    const bearer = { authorization: `Bearer ${k.sessionId}` };
    for (const name of PROTO_NAMES) {
      const junk = l.device("android", { keystore: "software", enrol: false }); // its wrong QR secrets count against it alone
      const answers = [
        await rawHttp(l.server.url, `/issuers/intercede/kiosk/requests/${name}`, { headers: bearer }),
        await rawHttp(l.server.url, `/issuers/intercede/kiosk/requests/${name}/qr.png`, { headers: bearer }),
        await rawHttp(l.server.url, `/issuers/intercede/kiosk/requests/${k.requestId}`, { headers: { authorization: `Bearer ${name}` } }),
        await rawHttp(l.server.url, "/issuers/intercede/kiosk/login", { method: "POST", json: { challengeId: name, certificate: "AAAA", signature: "AAAA" } }),
        await scan(k.payload, junk, { qrSession: name }),
        await scan(k.payload, junk, { qrSession: `${name}${"x".repeat(22)}` }),
        await scan(k.payload, { ...junk, deviceId: name }, { qrSession: "y".repeat(22) }),
        await rawHttp(l.server.url, `/issuers/intercede/device/credentials/${name}/rekey`),
        await rawHttp(l.server.url, `/issuers/intercede/device/credentials/${name}/rekey`, {
          method: "POST",
          json: { rekeyId: name, signature: "AAAA", device: describeDevice(junk), csr: await csrB64() },
        }),
        await rawHttp(l.server.url, ACTIVATIONS, { method: "POST", json: JSON.parse(`{"${name}": {"qrSession": "x"}}`) }),
      ];
      for (const r of answers) expectProblem(r, [400, 401, 403, 404, 409, 410, 415, 429]);
    }
    const ok = await scan(k.payload, l.device("ios", { keystore: "software", user: 1 }));
    expect(ok.status, ok.text).toBe(201);
  });

  it("30 phones scanning one QR code at once: exactly one credential, every other answer 409/410/429 problem+json", async () => {
    const k = await kioskRequest(2);
    const devices = Array.from({ length: 30 }, () => l.device("android", { keystore: "software", user: 2 }));
    const answers = await Promise.all(devices.map((d) => scan(k.payload, d)));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of answers.filter((x) => x.status !== 201)) expectProblem(r, [409, 410, 429]);
    expect(issuance.credentials().filter((c) => c.cardIndex === 2)).toHaveLength(1);
  });

  // Moves the clock: keep last.
  it("30 agents answering one rekey challenge at once: exactly one new credential, the rest 409/410/429 problem+json", async () => {
    const device = l.device("ios", { keystore: "software", user: 3 });
    const cred = await l.withCard(3, (card, pin) => enrolWithIntercede({ client: l.overSocket(), card, pin, device }));
    l.clock.advance(Date.parse(cred.rekeyDueAt) - l.clock.now().getTime());
    const path = `/issuers/intercede/device/credentials/${cred.credentialId}/rekey`;
    const poll = (await rawHttp(l.server.url, path)).json as unknown as RekeyPoll & { due: true };
    expect(poll.due).toBe(true);
    const signature = Buffer.from(await cred.keys.pivAuth.sign(new Uint8Array(Buffer.from(poll.challenge, "base64")))).toString("base64");
    const bodies = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const pivAuth = await device.keystore.generateKey("p256");
        const signing = await device.keystore.generateKey("p256");
        return {
          rekeyId: poll.rekeyId,
          signature,
          device: describeDevice(device),
          csr: await createCsrFor(pivAuth),
          smimeSigningCsr: await createCsrFor(signing),
        };
      }),
    );
    const answers = await Promise.all(bodies.map((json) => rawHttp(l.server.url, path, { method: "POST", json })));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of answers.filter((x) => x.status !== 201)) expectProblem(r, [409, 410, 429]);
    expect(issuance.credentials().filter((c) => c.cardIndex === 3 && c.status === "active")).toHaveLength(1);
    expect(issuance.credentials().filter((c) => c.cardIndex === 3)).toHaveLength(2);
  });

  it("holds at most maxRequests kiosk requests, and forgets them a day after they expire (§8)", async () => {
    for (let i = 0; i < MAX_REQUESTS + 3; i++) {
      await kioskRequest(i % 4);
      expect(myid.sizes().requests.requests).toBeLessThanOrEqual(MAX_REQUESTS);
    }
    expect(myid.sizes().requests).toEqual({ requests: MAX_REQUESTS, maxRequests: MAX_REQUESTS });
    l.clock.advance(DEFAULT_QR_TTL_MS + 25 * 3_600_000);
    await kioskRequest(0);
    expect(myid.sizes().requests.requests).toBe(1);
  });
});

async function createCsrFor(key: DeviceKey): Promise<string> {
  return Buffer.from(await createCsr({ subject: "", publicKey: key.publicKey, alg: key.alg, sign: (tbs) => key.sign(tbs) })).toString("base64");
}
