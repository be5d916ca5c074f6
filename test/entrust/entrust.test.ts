import { createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_QR_TTL_MS, ENROL_ACTION, ENTRUST_CREDENTIAL_TYPE, parseEntrustQr } from "../../emulators/entrust/index.js";
import { inProcessFetch } from "../../emulators/shared/index.js";
import { enrolWithEntrust } from "../../fleet/clients/entrust-client.js";
import { describeDevice, kioskLogin } from "../../fleet/clients/index.js";
import { OIDS } from "../../src/pki/index.js";
import { X509Certificate } from "../../src/x509.js";
import { openssl } from "../helpers/openssl.js";
import { refusal } from "../helpers/refusal.js";
import { ACTIVATE, activation, type EntrustLab, IN_PROCESS_BASE, makeEntrustLab } from "./lab.js";

// Entrust IdentityGuard + Mobile Smart Credential (docs/intune.md §2.2 steps 6–8, §2.6) on a real lab: SoftHSM cards,
// the real Tenant approving devices (DC-ISS-02), the issuance core, the emulator in-process and over a real socket,
// openssl judging the chain and the issuer CA's OCSP. The clock starts an hour ago in real time so that openssl's
// "now" agrees with certificate and OCSP times; tests that move the clock far run last.

const START = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
let l: EntrustLab;
let rootPem: string;
let caPem: string;
let chainPem: string;

beforeAll(async () => {
  l = await makeEntrustLab({ cards: 8, seed: "entrust", start: START });
  rootPem = l.pem("root", new Uint8Array(l.cardIssuer.root.certificate.rawData));
  caPem = l.pem("entrust-ca", new Uint8Array(l.authority.certificate.rawData));
  chainPem = join(l.dir, "chain.pem");
  writeFileSync(chainPem, readFileSync(rootPem, "utf8") + readFileSync(caPem, "utf8"));
});
afterAll(async () => {
  await l?.close();
});

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  type: string | null;
  headers: Headers;
  body: Json;
  bytes: Uint8Array;
}

/** A raw in-process request to the emulator. */
async function call(
  method: string,
  path: string,
  opts: { json?: unknown; raw?: string; type?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers["content-type"] = opts.type ?? "application/json";
  } else if (opts.raw !== undefined) {
    body = opts.raw;
    headers["content-type"] = opts.type ?? "application/json";
  }
  const res = await inProcessFetch(l.handler, IN_PROCESS_BASE)(path, { method, headers, body });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const type = res.headers.get("content-type");
  const parsed = type?.includes("json") && bytes.length ? (JSON.parse(Buffer.from(bytes).toString("utf8")) as Json) : {};
  return { status: res.status, type, headers: res.headers, body: parsed, bytes };
}

function expectProblem(a: Answer, status: number, code: string | undefined): void {
  expect({ status: a.status, code: a.body.code }).toEqual({ status, code });
  expect(a.type).toBe("application/problem+json");
  expect(a.body.status).toBe(status);
  expect(a.body.certificates).toBeUndefined();
}

interface KioskEnrolment {
  id: string;
  state: string;
  password: string;
  expiresAt: string;
  passwordAttemptsLeft: number;
  qr: { payload: string; svg: string; png: string };
}

/** The kiosk half done by hand: PKI-AUTH, then the enrolment choices. */
async function kioskEnrol(index: number, identityName = "Entrust Derived Cred"): Promise<{ token: string; enrolment: KioskEnrolment }> {
  const login = await kioskLogin(l.client, "entrust", l.card(index), (l.deck[index] as { pin: string }).pin);
  const enrolment = await l.client.withBearer(login.sessionId).post<KioskEnrolment>("/issuers/entrust/kiosk/enrolments", {
    action: ENROL_ACTION,
    smartCredentialAppInstalled: true,
    identityName,
    credentialType: ENTRUST_CREDENTIAL_TYPE,
  });
  return { token: login.sessionId, enrolment };
}

const view = (a: { token: string; enrolment: KioskEnrolment }) =>
  call("GET", `/issuers/entrust/kiosk/enrolments/${a.enrolment.id}`, { headers: { authorization: `Bearer ${a.token}` } });
const wrong = (password: string) => String((Number(password) + 1) % 100_000_000).padStart(8, "0");

describe("Entrust end to end (docs/intune.md §2.2, §2.6)", () => {
  it("iOS, in-process: software keystore, PIV Auth + S/MIME signing + encryption, escrowed key matches, chain verifies with openssl", async () => {
    const device = l.device("ios", { user: 0 });
    const seen: { step: string; detail: string }[] = [];
    const r = await enrolWithEntrust({ client: l.client, card: l.card(0), pin: (l.deck[0] as { pin: string }).pin, device, onStep: (s) => seen.push(s) });
    expect(seen).toEqual(r.steps);
    expect(r.steps.map((s) => s.step)).toEqual([
      "kiosk.sign-in",
      "kiosk.qr-code",
      "device.get-qr-code",
      "device.scan",
      "device.password",
      "device.keys",
      "device.install",
      "done",
    ]);
    expect(r.steps[2]?.detail).toContain("Company Portal");
    expect(Object.keys(r.certificates).sort()).toEqual(["encryption", "pivAuth", "signing"]);
    expect(r.chain).toHaveLength(2);
    expect(new X509Certificate(r.chain[0] as Uint8Array).subject).toContain("DPCLAB TEST Entrust Derived PIV CA");
    expect(new X509Certificate(r.chain[1] as Uint8Array).subject).toBe(l.cardIssuer.root.certificate.subject);
    // DC-KEY-03: the escrowed key-management key is the encryption certificate's key
    const enc = new X509Certificate(r.certificates.encryption as Uint8Array);
    const escrowedPublic = createPublicKey(createPrivateKey({ key: Buffer.from(r.encryptionKeyPkcs8 as Uint8Array), format: "der", type: "pkcs8" })).export({
      format: "der",
      type: "spki",
    });
    expect(Buffer.from(escrowedPublic)).toEqual(Buffer.from(enc.publicKey.rawData));
    for (const [name, der] of Object.entries(r.certificates)) {
      const path = l.pem(`ios-${name}`, der as Uint8Array);
      expect((await openssl(["verify", "-CAfile", rootPem, "-untrusted", caPem, path])).out).toContain(": OK");
    }
    const text = (await openssl(["x509", "-in", l.pem("ios-piv-auth", r.certificates.pivAuth), "-noout", "-text"])).out;
    expect(text).toContain(`Policy: ${OIDS.commonDerivedPivAuth}`);
    expect(text).toContain(`OCSP - URI:${l.server.url}/pki/ocsp/entrust-ca`);
    const record = l.issuance.credential(r.credentialId);
    expect(record).toMatchObject({ issuer: "entrust", cardIndex: 0, deviceId: device.deviceId, platform: "ios", keystore: "software", status: "active" });
    expect(record.transcript.find((e) => e.event === "entrust.activated")?.detail).toMatchObject({
      identityName: "Entrust Derived Cred",
      networkZone: "internet",
      failedPasswords: 0,
    });
  });

  it("Android, over a real socket: hardware keystore → policy .41 (openssl x509 -text), no S/MIME; openssl ocsp good, then revoked", async () => {
    l.clock.set(new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000));
    const device = l.device("android", { user: 1, keystore: "hardware" });
    const r = await enrolWithEntrust({ client: l.httpClient, card: l.card(1), pin: (l.deck[1] as { pin: string }).pin, device, identityName: "Bob's phone" });
    expect(r.steps[2]?.detail).toContain("Intune app");
    expect(r.steps.at(-1)?.detail).toContain("You're all set!");
    expect(Object.keys(r.certificates)).toEqual(["pivAuth"]);
    expect(r.encryptionKeyPkcs8).toBeUndefined();
    const leaf = l.pem("android-leaf", r.certificates.pivAuth);
    const text = (await openssl(["x509", "-in", leaf, "-noout", "-text"])).out;
    expect(text).toContain(`Policy: ${OIDS.commonDerivedPivAuthHardware}`);
    expect((await openssl(["verify", "-CAfile", rootPem, "-untrusted", caPem, leaf])).out).toContain(": OK");
    const ask = () => openssl(["ocsp", "-issuer", caPem, "-cert", leaf, "-url", `${l.server.url}/pki/ocsp/entrust-ca`, "-CAfile", chainPem]);
    let o = await ask();
    expect(o.out).toContain("Response verify OK");
    expect(o.out).toMatch(/android-leaf\.pem: good/);
    expect(l.issuance.revokeDevice(device.deviceId, "keyCompromise").map((x) => x.id)).toEqual([r.credentialId]);
    o = await ask();
    expect(o.out).toContain("Response verify OK");
    expect(o.out).toMatch(/android-leaf\.pem: revoked/);
    expect(o.out).toContain("Reason: keyCompromise");
  });
});

describe("kiosk (IdentityGuard self-service)", () => {
  it("shows the QR code (SVG, PNG) and an 8-digit password to its own cardholder only; the payload names the portal", async () => {
    const a = await kioskEnrol(2, "  Entrust Derived Cred  ");
    expect(a.enrolment).toMatchObject({ state: "awaiting-device", identityName: "Entrust Derived Cred", passwordAttemptsLeft: 5 });
    expect(a.enrolment.password).toMatch(/^\d{8}$/);
    expect(Date.parse(a.enrolment.expiresAt) - l.clock.now().getTime()).toBe(DEFAULT_QR_TTL_MS);
    const qr = parseEntrustQr(a.enrolment.qr.payload);
    // The configured base URL (where the issuer CA publishes), not the origin the request named (issue 10 §9).
    expect(qr).toMatchObject({ enrolmentId: a.enrolment.id, portal: `${l.server.url}${ACTIVATE}` });
    expect(a.enrolment.qr.payload).not.toContain(a.enrolment.password); // the password is under the QR, not in it
    const auth = { authorization: `Bearer ${a.token}` };
    const svg = await call("GET", a.enrolment.qr.svg, { headers: auth });
    expect([svg.status, svg.type]).toEqual([200, "image/svg+xml"]);
    expect(Buffer.from(svg.bytes).toString("utf8")).toContain("<svg");
    const png = await call("GET", a.enrolment.qr.png, { headers: auth });
    expect([png.status, png.type]).toEqual([200, "image/png"]);
    expect(Buffer.from(png.bytes.subarray(0, 8)).toString("hex")).toBe("89504e470d0a1a0a");
    expect((await view(a)).body).toMatchObject({ state: "awaiting-device", password: a.enrolment.password });
    expectProblem(await call("GET", a.enrolment.qr.svg), 401, "no-session");
    expectProblem(await call("GET", a.enrolment.qr.png, { headers: { authorization: "Bearer nope" } }), 401, "session-unknown");
    const other = await kioskEnrol(3);
    expectProblem(await call("GET", a.enrolment.qr.svg, { headers: { authorization: `Bearer ${other.token}` } }), 404, "enrolment-unknown");
    expectProblem(await call("GET", "/issuers/entrust/kiosk/enrolments/nope", { headers: auth }), 404, "enrolment-unknown");
  });

  it("refuses a revoked card and a terminated account at sign-in", async () => {
    l.cardIssuer.revokeCard(4, "keyCompromise");
    const revoked = await refusal(
      enrolWithEntrust({ client: l.client, card: l.card(4), pin: (l.deck[4] as { pin: string }).pin, device: l.device("ios", { user: 4 }) }),
    );
    expect([revoked.code, revoked.status]).toEqual(["pki-auth-failed:revoked", 401]);
    l.cardIssuer.terminateAccount(5);
    const terminated = await refusal(
      enrolWithEntrust({ client: l.client, card: l.card(5), pin: (l.deck[5] as { pin: string }).pin, device: l.device("ios", { user: 4 }) }),
    );
    expect([terminated.code, terminated.status]).toEqual(["account-terminated", 403]);
    expect(l.issuance.credentials().filter((c) => c.cardIndex === 4 || c.cardIndex === 5)).toEqual([]);
  });

  it("malformed kiosk requests are 400/401/415 problem+json", async () => {
    const { token } = await kioskEnrol(3);
    const auth = { authorization: `Bearer ${token}` };
    const good = { action: ENROL_ACTION, smartCredentialAppInstalled: true, identityName: "x", credentialType: ENTRUST_CREDENTIAL_TYPE };
    const E = "/issuers/entrust/kiosk/enrolments";
    expectProblem(await call("POST", E, { json: good }), 401, "no-session");
    expectProblem(await call("POST", E, { json: good, type: "text/plain", headers: auth }), 415, "bad-content-type");
    expectProblem(await call("POST", E, { raw: "{", headers: auth }), 400, "bad-json");
    expectProblem(await call("POST", E, { raw: "[]", headers: auth }), 400, "bad-json");
    expectProblem(await call("POST", E, { json: { ...good, pin: "123456" }, headers: auth }), 400, "unknown-property");
    expectProblem(await call("POST", E, { json: { ...good, action: "enroll-soft-token" }, headers: auth }), 400, "bad-action");
    expectProblem(await call("POST", E, { json: { ...good, smartCredentialAppInstalled: "yes" }, headers: auth }), 400, "app-not-confirmed");
    expectProblem(await call("POST", E, { json: { ...good, identityName: "" }, headers: auth }), 400, "bad-identity-name");
    expectProblem(await call("POST", E, { json: { ...good, identityName: "a\nb" }, headers: auth }), 400, "bad-identity-name");
    expectProblem(await call("POST", E, { json: { ...good, identityName: "x".repeat(65) }, headers: auth }), 400, "bad-identity-name");
    expectProblem(await call("POST", E, { json: { ...good, credentialType: "Entrust Soft Token" }, headers: auth }), 400, "bad-credential-type");
    expectProblem(await call("PUT", E, { json: good, headers: auth }), 405, undefined);
  });
});

describe("phone activation refusals", () => {
  it("a device with the camera blocked fails before contacting the issuer (docs/intune.md §1.7)", async () => {
    const before = l.requests();
    const e = await refusal(
      enrolWithEntrust({
        client: l.client,
        card: l.card(2),
        pin: (l.deck[2] as { pin: string }).pin,
        device: l.device("ios", { user: 2, cameraAllowed: false }),
      }),
    );
    expect(e.code).toBe("camera-blocked");
    expect(l.requests()).toBe(before);
  });

  it("5 wrong passwords cancel the enrolment: then even the right password is 429 with Retry-After, and the QR is dead", async () => {
    const a = await kioskEnrol(2);
    const device = l.device("ios", { user: 2 });
    for (let left = 4; left >= 0; left--) {
      const r = await call("POST", ACTIVATE, { json: await activation(a.enrolment, device, { password: wrong(a.enrolment.password) }) });
      expectProblem(r, 401, "password-incorrect");
      expect(r.body.attemptsLeft).toBe(left);
    }
    const right = await call("POST", ACTIVATE, { json: await activation(a.enrolment, device) });
    expectProblem(right, 429, "too-many-attempts");
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(right.body.retryAfterSeconds).toBe(Number(right.headers.get("retry-after")));
    expectProblem(await call("POST", ACTIVATE, { json: await activation(a.enrolment, l.device("ios", { user: 2 })) }), 429, "too-many-attempts");
    expect((await view(a)).body).toMatchObject({ state: "cancelled", passwordAttemptsLeft: 0 });
    expect((await view(a)).body.password).toBeUndefined();
    expectProblem(await call("GET", a.enrolment.qr.svg, { headers: { authorization: `Bearer ${a.token}` } }), 410, "enrolment-cancelled");
    expect(l.issuance.credentials().filter((c) => c.deviceId === device.deviceId)).toEqual([]);
  });

  it("a reused QR code is refused (secret-used); an unknown one is secret-unknown", async () => {
    const a = await kioskEnrol(6);
    const device = l.device("ios", { user: 6 });
    const first = await call("POST", ACTIVATE, { json: await activation(a.enrolment, device) });
    expect(first.status).toBe(201);
    expect((await view(a)).body).toMatchObject({ state: "completed", credentialId: first.body.credentialId });
    expectProblem(await call("POST", ACTIVATE, { json: await activation(a.enrolment, device) }), 409, "secret-used");
    expectProblem(await call("POST", ACTIVATE, { json: await activation(a.enrolment, l.device("ios", { user: 6 })) }), 409, "secret-used");
    expectProblem(await call("POST", ACTIVATE, { json: await activation(a.enrolment, device, { qrSession: "A".repeat(22) }) }), 404, "secret-unknown");
    expect(l.issuance.credentials().filter((c) => c.cardIndex === 6)).toHaveLength(1);
  });

  it("two phones activating the same QR at once: one gets the credential, the other 409 enrolment-in-progress", async () => {
    const a = await kioskEnrol(6);
    const bodies = [await activation(a.enrolment, l.device("ios", { user: 6 })), await activation(a.enrolment, l.device("ios", { user: 6 }))];
    const answers = await Promise.all(bodies.map((json) => call("POST", ACTIVATE, { json })));
    expect(answers.map((x) => x.status).sort()).toEqual([201, 409]);
    expectProblem(answers.find((x) => x.status === 409) as Answer, 409, "enrolment-in-progress");
    expect((await view(a)).body).toMatchObject({ state: "completed" });
  });

  it("a device not enrolled in the tenant is refused (DC-ISS-02); the QR stays live for an approved one", async () => {
    const a = await kioskEnrol(7);
    const refused = await call("POST", ACTIVATE, { json: await activation(a.enrolment, l.device("ios", { enrol: false })) });
    expectProblem(refused, 403, "device-not-approved");
    expect((await view(a)).body).toMatchObject({ state: "awaiting-device", passwordAttemptsLeft: 5 });
    const ok = await call("POST", ACTIVATE, { json: await activation(a.enrolment, l.device("ios", { user: 7 })) });
    expect(ok.status).toBe(201);
  });

  it("malformed activation bodies are 400/415 problem+json, cost no password attempt and change nothing", async () => {
    const a = await kioskEnrol(7);
    const ios = l.device("ios", { user: 7 });
    const body = await activation(a.enrolment, ios);
    const cases: [Answer, number, string][] = [
      [await call("POST", ACTIVATE, { json: body, type: "text/plain" }), 415, "bad-content-type"],
      [await call("POST", ACTIVATE, { raw: "not json" }), 400, "bad-json"],
      [await call("POST", ACTIVATE, { raw: "null" }), 400, "bad-json"],
      [await call("POST", ACTIVATE, { json: { ...body, pin: "1" } }), 400, "unknown-property"],
      [await call("POST", ACTIVATE, { json: { ...body, password: "12ab" } }), 400, "bad-secret"],
      [await call("POST", ACTIVATE, { json: { ...body, password: 12345678 } }), 400, "bad-secret"],
      [await call("POST", ACTIVATE, { json: { ...body, qrSession: "short" } }), 400, "bad-secret"],
      [await call("POST", ACTIVATE, { json: { ...body, device: { ...describeDevice(ios), platform: "windows" } } }), 400, "bad-device"],
      [await call("POST", ACTIVATE, { json: { ...body, device: { ...describeDevice(ios), extra: 1 } } }), 400, "bad-device"],
      [await call("POST", ACTIVATE, { json: { ...body, device: "phone" } }), 400, "bad-device"],
      [await call("POST", ACTIVATE, { json: { ...body, csr: "%%%" } }), 400, "bad-csr"],
      [await call("POST", ACTIVATE, { json: { ...body, csr: Buffer.from("hello").toString("base64") } }), 400, "bad-csr"],
      [await call("POST", ACTIVATE, { json: { ...body, csr: tamper(String(body.csr)) } }), 400, "csr-signature-invalid"],
      [await call("POST", ACTIVATE, { json: { ...body, smime: { signingCsr: body.csr, x: 1 } } }), 400, "bad-smime"],
      [
        await call("POST", ACTIVATE, { json: { ...(await activation(a.enrolment, l.device("android", { user: 7 }))), smime: { signingCsr: body.csr } } }),
        400,
        "smime-ios-only",
      ],
      [await call("POST", ACTIVATE, { json: body, headers: { "x-dpclab-network-zone": "moon" } }), 400, "bad-network-zone"],
    ];
    for (const [answer, status, code] of cases) expectProblem(answer, status, code);
    expect((await view(a)).body).toMatchObject({ state: "awaiting-device", passwordAttemptsLeft: 5 });
    const ok = await call("POST", ACTIVATE, { json: body, headers: { "x-dpclab-network-zone": "on-premises" } });
    expect(ok.status).toBe(201);
    expect(l.issuance.credential(String(ok.body.credentialId)).transcript.at(-1)?.detail).toMatchObject({ networkZone: "on-premises" });
  });

  // Moves the clock: keep last.
  it("an expired QR code and password are refused (secret-expired); a cancelled enrolment is 410 after the lockout", async () => {
    const a = await kioskEnrol(3);
    const device = l.device("ios", { user: 3 });
    l.clock.advance(DEFAULT_QR_TTL_MS);
    expectProblem(await call("POST", ACTIVATE, { json: await activation(a.enrolment, device) }), 410, "secret-expired");
    expect((await view(a)).body).toMatchObject({ state: "expired" });
    expect((await view(a)).body.password).toBeUndefined();
    // the 5-wrong-password enrolment of card 2: once its lockout is over it says "cancelled", not "try again"
    l.clock.advance(15 * 60_000);
    const b = await kioskEnrol(2);
    for (let i = 0; i < 5; i++) await call("POST", ACTIVATE, { json: await activation(b.enrolment, device, { password: wrong(b.enrolment.password) }) });
    expectProblem(await call("POST", ACTIVATE, { json: await activation(b.enrolment, device) }), 429, "too-many-attempts");
    l.clock.advance(15 * 60_000);
    expectProblem(await call("POST", ACTIVATE, { json: await activation(b.enrolment, device) }), 410, "enrolment-cancelled");
  });
});

function tamper(b64: string): string {
  const bytes = Buffer.from(b64, "base64");
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
  return bytes.toString("base64");
}
