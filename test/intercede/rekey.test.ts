import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DerivedIssuance } from "../../emulators/derived/index.js";
import type { IntercedeEmulator } from "../../emulators/intercede/index.js";
import { describeDevice, type SimulatedDevice } from "../../fleet/clients/index.js";
import { enrolWithIntercede, type IntercedeCredential, rekeyWithIntercede } from "../../fleet/clients/intercede-client.js";
import { DAY_MS } from "../../src/clock.js";
import { createCsr } from "../../src/pki/index.js";
import { X509Certificate } from "../../src/x509.js";
import { openssl } from "../helpers/openssl.js";
import { refusal } from "../helpers/refusal.js";
import { type IntercedeLab, makeIntercedeLab } from "./lab.js";

// MyID automatic rekey (docs/anchors.md §5; DC-MNT-01/03/04/06). Credentials live 30 days here so that "28 days before
// expiry" is two days after issuance. The clock starts two days and an hour ago in real time, so that the first
// test's rekey happens an hour ago: openssl then finds the new certificate valid and the OCSP answer (thisUpdate,
// nextUpdate = +1 day) current. Later tests move the clock past real time and ask openssl nothing time-dependent.

const START = new Date(Math.floor(Date.now() / 1000) * 1000 - 2 * DAY_MS - 3_600_000);
const VALIDITY_DAYS = 30;
let l: IntercedeLab;
let issuance: DerivedIssuance;
let myid: IntercedeEmulator;

async function call(method: string, path: string, body?: unknown, type = "application/json") {
  const res = await myid.handler(
    new Request(`http://dpclab.invalid${path}`, {
      method,
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": type } } : {}),
    }),
  );
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), json: JSON.parse(text) as Record<string, unknown>, text };
}

function expectProblem(r: Awaited<ReturnType<typeof call>>, status: number, code: string): void {
  expect(r.type).toBe("application/problem+json");
  expect([r.status, r.json.status, r.json.code]).toEqual([status, status, code]);
  expect(r.text).not.toMatch(/MII[A-Za-z0-9+/]{40}/);
}

const rekeyPath = (id: string) => `/issuers/intercede/device/credentials/${id}/rekey`;

async function enrol(index: number, device: SimulatedDevice): Promise<IntercedeCredential> {
  return l.withCard(index, (card, pin) => enrolWithIntercede({ client: l.inProcess(), card, pin, device }));
}

async function ocspStatus(name: string, der: Uint8Array): Promise<string> {
  const leaf = l.pem(name, der);
  return (await openssl(["ocsp", "-issuer", l.caPem, "-cert", leaf, "-url", `${l.server.url}/pki/ocsp/intercede-ca`, "-CAfile", l.rootPem])).out;
}

/** Moves the clock to exactly `at` (forward only). */
function clockTo(at: number): void {
  l.clock.advance(at - l.clock.now().getTime());
}

beforeAll(async () => {
  l = await makeIntercedeLab({ cards: 5, seed: "myid-rekey", start: START });
  ({ issuance, myid } = await l.emulator({ validityDays: VALIDITY_DAYS }));
});
afterAll(async () => {
  await l?.close();
});

describe("automatic rekey", () => {
  it("iOS: not due before notAfter − 28 d, due from then; new keys and serials, old credential revoked superseded (openssl ocsp)", async () => {
    const device = l.device("ios", { keystore: "software", user: 0 });
    const cred = await enrol(0, device);
    const old = issuance.credential(cred.credentialId);
    const dueAt = Date.parse(old.notAfter) - 28 * DAY_MS;
    expect(Date.parse(cred.rekeyDueAt)).toBe(dueAt);
    expect(myid.rekeyBeforeMs).toBe(28 * DAY_MS);

    const notYet = await rekeyWithIntercede({ client: l.inProcess(), device, credential: { credentialId: cred.credentialId, key: cred.keys.pivAuth } });
    expect(notYet).toMatchObject({ due: false, dueAt: new Date(dueAt).toISOString() });
    clockTo(dueAt - 1000);
    expect((await call("GET", rekeyPath(cred.credentialId))).json).toEqual({ due: false, dueAt: new Date(dueAt).toISOString(), notAfter: old.notAfter });
    clockTo(dueAt);

    const steps: string[] = [];
    const next = await rekeyWithIntercede({
      client: l.overSocket(),
      device,
      credential: { credentialId: cred.credentialId, key: cred.keys.pivAuth },
      onStep: (s) => steps.push(s.step),
    });
    if (!next.due) throw new Error("expected a rekey");
    expect(steps).toEqual(["agent.rekey-requested", "agent.proof-signed", "agent.new-keys", "agent.rekeyed"]);
    expect(next.credentialId).not.toBe(cred.credentialId);
    const before = new X509Certificate(cred.certificates.pivAuth);
    const after = new X509Certificate(next.certificates.pivAuth);
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(Buffer.from(after.publicKey.rawData).equals(Buffer.from(before.publicKey.rawData))).toBe(false);
    expect(next.certificates.signing).toBeDefined(); // S/MIME rekeyed too (iOS)
    expect(next.certificates.encryption).toBeDefined();

    // old: revoked superseded everywhere; new: active, verifies, OCSP good
    expect(old).toMatchObject({ status: "revoked", revocationReason: "superseded" });
    expect(issuance.status(old.pivAuth.serialNumber)).toMatchObject({ status: "revoked", reason: "superseded" });
    expect(issuance.status(old.smime?.signing.serialNumber as string)).toMatchObject({ status: "revoked", reason: "superseded" });
    expect(l.cardIssuer.account(0).derivedCredentials.find((c) => c.serialNumber === old.pivAuth.serialNumber)?.status).toBe("revoked");
    const fresh = issuance.credential(next.credentialId);
    expect(fresh).toMatchObject({ status: "active", deviceId: device.deviceId, cardIndex: 0 });
    expect(fresh.transcript.map((e) => e.event)).toContain("rekey.authenticated");
    const oldOcsp = await ocspStatus("rekey-old", cred.certificates.pivAuth);
    expect(oldOcsp).toMatch(/rekey-old\.pem: revoked/);
    expect(oldOcsp).toMatch(/Reason: superseded/);
    expect(await ocspStatus("rekey-new", next.certificates.pivAuth)).toMatch(/rekey-new\.pem: good/);
    const leaf = l.pem("rekey-new-verify", next.certificates.pivAuth);
    expect((await openssl(["verify", "-CAfile", l.rootPem, "-untrusted", l.caPem, leaf])).out).toContain(": OK");

    // the superseded credential cannot be rekeyed again
    expectProblem(await call("GET", rekeyPath(cred.credentialId)), 409, "credential-revoked");
    // and the new one is not due yet
    expect((await call("GET", rekeyPath(next.credentialId))).json.due).toBe(false);
  });

  it("Android hardware: a wrong proof is 401 and spends the challenge; the same key is 409; another device 409; then the rekey works", async () => {
    const device = l.device("android", { keystore: "hardware", user: 1 });
    const cred = await enrol(1, device);
    clockTo(Date.parse(cred.rekeyDueAt));
    const poll = (await call("GET", rekeyPath(cred.credentialId))).json as { due: boolean; rekeyId: string; challenge: string; smime: boolean };
    expect(poll).toMatchObject({ due: true, smime: false });
    const challenge = new Uint8Array(Buffer.from(poll.challenge, "base64"));
    const key = cred.keys.pivAuth;
    const newKey = await device.keystore.generateKey("p256");
    const csrOf = async (k: typeof key) =>
      Buffer.from(await createCsr({ subject: "", publicKey: k.publicKey, alg: k.alg, sign: (t) => k.sign(t) })).toString("base64");
    const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
    const body = { rekeyId: poll.rekeyId, device: describeDevice(device), csr: await csrOf(newKey) };

    // the same key (renewal) is refused — DC-MNT-06 — and leaves the challenge open
    expectProblem(
      await call("POST", rekeyPath(cred.credentialId), { ...body, signature: b64(await key.sign(challenge)), csr: await csrOf(key) }),
      409,
      "key-reused",
    );
    // another device, or another keystore, is a new enrolment (DC-MNT-04)
    expectProblem(
      await call("POST", rekeyPath(cred.credentialId), {
        ...body,
        signature: b64(await key.sign(challenge)),
        device: { ...describeDevice(device), keystore: "software" },
      }),
      409,
      "device-mismatch",
    );
    // a proof by the new key, not the current one (DC-MNT-01)
    expectProblem(await call("POST", rekeyPath(cred.credentialId), { ...body, signature: b64(await newKey.sign(challenge)) }), 401, "rekey-proof-invalid");
    // that spent the challenge
    expectProblem(await call("POST", rekeyPath(cred.credentialId), { ...body, signature: b64(await key.sign(challenge)) }), 404, "rekey-unknown");
    expect(issuance.credential(cred.credentialId).status).toBe("active");

    const next = await rekeyWithIntercede({ client: l.inProcess(), device, credential: { credentialId: cred.credentialId, key } });
    if (!next.due) throw new Error("expected a rekey");
    expect(next.certificates.signing).toBeUndefined();
    expect(issuance.credential(next.credentialId).keystore).toBe("hardware");
    expect(issuance.credential(cred.credentialId).revocationReason).toBe("superseded");
    const leaf = l.pem("rekey-android-hw", next.certificates.pivAuth);
    expect((await openssl(["x509", "-in", leaf, "-noout", "-text"])).out).toContain("2.16.840.1.101.3.2.1.3.41");
  });

  it("after the PIV identity account is terminated the rekey is refused (403 account-terminated, DC-MNT-03), then 409 once revoked", async () => {
    const device = l.device("ios", { keystore: "software", user: 2 });
    const cred = await enrol(2, device);
    clockTo(Math.max(l.clock.now().getTime(), Date.parse(cred.rekeyDueAt)));
    const poll = (await call("GET", rekeyPath(cred.credentialId))).json as { rekeyId: string; challenge: string };
    l.cardIssuer.terminateAccount(2);
    // a challenge handed out before the termination does not help
    const key = cred.keys.pivAuth;
    const newKey = await device.keystore.generateKey("p256");
    const sign = await device.keystore.generateKey("p256");
    const csrOf = async (k: typeof key) =>
      Buffer.from(await createCsr({ subject: "", publicKey: k.publicKey, alg: k.alg, sign: (t) => k.sign(t) })).toString("base64");
    const r = await call("POST", rekeyPath(cred.credentialId), {
      rekeyId: poll.rekeyId,
      signature: Buffer.from(await key.sign(new Uint8Array(Buffer.from(poll.challenge, "base64")))).toString("base64"),
      device: describeDevice(device),
      csr: await csrOf(newKey),
      smimeSigningCsr: await csrOf(sign),
    });
    expectProblem(r, 403, "account-terminated");
    const e = await refusal(rekeyWithIntercede({ client: l.inProcess(), device, credential: { credentialId: cred.credentialId, key } }));
    expect([e.status, e.code]).toEqual([403, "account-terminated"]);
    expect(issuance.credentials().filter((c) => c.cardIndex === 2)).toHaveLength(1);
    // the issuer's monitoring then revokes it (DC-TRM-02); a rekey of a revoked credential is 409
    issuance.runDueChecks();
    const e2 = await refusal(rekeyWithIntercede({ client: l.inProcess(), device, credential: { credentialId: cred.credentialId, key } }));
    expect([e2.status, e2.code]).toEqual([409, "credential-revoked"]);
  });

  it("a credential revoked for a lost device cannot be rekeyed; unknown credentials are 404; malformed bodies are 400/415", async () => {
    const device = l.device("android", { keystore: "software", user: 3 });
    const cred = await enrol(3, device);
    issuance.revokeDevice(device.deviceId, "keyCompromise");
    expectProblem(await call("GET", rekeyPath(cred.credentialId)), 409, "credential-revoked");
    expectProblem(await call("GET", rekeyPath("no-such-credential")), 404, "no-credential");

    const live = l.device("android", { keystore: "software", user: 3 });
    const c2 = await enrol(3, live);
    const path = rekeyPath(c2.credentialId);
    const good = { rekeyId: "x".repeat(22), signature: "AAAA", device: describeDevice(live), csr: "AAAA" };
    expectProblem(await call("POST", path, "{}", "text/plain"), 415, "bad-content-type");
    expectProblem(await call("POST", path, "{nope"), 400, "bad-json");
    expectProblem(await call("POST", path, { ...good, pin: "1234" }), 400, "unknown-property");
    expectProblem(await call("POST", path, { ...good, rekeyId: 7 }), 400, "bad-request");
    expectProblem(await call("POST", path, { ...good, signature: "***" }), 400, "bad-request");
    expectProblem(await call("POST", path, { ...good, device: { deviceId: live.deviceId } }), 400, "bad-device");
    // well-formed, but no challenge is open (not due)
    expectProblem(await call("POST", path, good), 404, "rekey-unknown");
    const zone = await myid.handler(new Request(`http://dpclab.invalid${path}`, { headers: { "x-dpclab-network-zone": "mars" } }));
    expect([zone.status, zone.headers.get("content-type")]).toEqual([400, "application/problem+json"]);
  });

  it("rekeyBefore is configurable; the default (28 d) applies to the default 365-day lifetime too", async () => {
    ({ issuance, myid } = await l.emulator({ validityDays: VALIDITY_DAYS, rekeyBeforeMs: 5 * DAY_MS }));
    const device = l.device("android", { keystore: "software", user: 4 });
    const cred = await enrol(4, device);
    const rec = issuance.credential(cred.credentialId);
    expect(Date.parse(cred.rekeyDueAt)).toBe(Date.parse(rec.notAfter) - 5 * DAY_MS);
    // 28 days before expiry is not yet due under a 5-day policy
    const poll = (await call("GET", rekeyPath(cred.credentialId))).json;
    expect(poll).toMatchObject({ due: false, dueAt: cred.rekeyDueAt });

    ({ issuance, myid } = await l.emulator());
    const d2 = l.device("ios", { keystore: "software", user: 4 });
    const c2 = await enrol(4, d2);
    const r2 = issuance.credential(c2.credentialId);
    expect(Date.parse(r2.notAfter) - Date.parse(r2.issuedAt)).toBe(365 * DAY_MS);
    expect(Date.parse(c2.rekeyDueAt)).toBe(Date.parse(r2.notAfter) - 28 * DAY_MS);
    clockTo(Date.parse(c2.rekeyDueAt) - 1);
    expect((await call("GET", rekeyPath(c2.credentialId))).json.due).toBe(false);
    clockTo(Date.parse(c2.rekeyDueAt));
    expect((await call("GET", rekeyPath(c2.credentialId))).json.due).toBe(true);
    // past notAfter the credential can no longer authenticate its own rekey: enrol again at the kiosk
    clockTo(Date.parse(r2.notAfter));
    expectProblem(await call("GET", rekeyPath(c2.credentialId)), 409, "credential-expired");
    // …and still so long after, when MyID no longer tracks it for rekey (a bounded store; found by the scenarios:
    // 219 days past notAfter the answer was 404 "not issued through MyID").
    clockTo(Date.parse(r2.notAfter) + 200 * DAY_MS);
    expectProblem(await call("GET", rekeyPath(c2.credentialId)), 409, "credential-expired");
  });
});
