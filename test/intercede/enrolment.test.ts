import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DerivedIssuance } from "../../emulators/derived/index.js";
import type { IntercedeEmulator } from "../../emulators/intercede/index.js";
import { DEFAULT_QR_TTL_MS } from "../../emulators/intercede/index.js";
import { describeDevice, type EnrolmentStep, JsonClient, kioskLogin } from "../../fleet/clients/index.js";
import { enrolWithIntercede } from "../../fleet/clients/intercede-client.js";
import { createCsrWithKey, generateKeyPair, OIDS } from "../../src/pki/index.js";
import { openssl } from "../helpers/openssl.js";
import { refusal } from "../helpers/refusal.js";
import { type IntercedeLab, makeIntercedeLab } from "./lab.js";

// Intercede MyID end to end (docs/intune.md §2.3 iOS, §2.7 Android): kiosk PKI-AUTH with real SoftHSM cards, QR code only,
// the phone's scan, certificates judged by openssl (verify, ocsp). The clock starts an hour ago in real time so that
// openssl's "now" agrees with the certificates and OCSP thisUpdate.

const START = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
let l: IntercedeLab;
let issuance: DerivedIssuance;
let myid: IntercedeEmulator;

function ossl(args: string[]): string {
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  return `${r.stdout}${r.stderr}`;
}

/** Raw HTTP to MyID in-process, for the negative paths: status, content type and parsed body. */
async function call(
  method: string,
  path: string,
  init: { body?: unknown; raw?: string; type?: string; bearer?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
  let body: string | undefined;
  if (init.raw !== undefined || init.body !== undefined) {
    body = init.raw ?? JSON.stringify(init.body);
    headers["content-type"] = init.type ?? "application/json";
  }
  const res = await myid.handler(new Request(`http://dpclab.invalid${path}`, { method, headers, body }));
  const text = await res.text();
  const type = res.headers.get("content-type");
  return { status: res.status, type, text, headers: res.headers, json: type?.includes("json") ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

function expectProblem(r: Awaited<ReturnType<typeof call>>, status: number, code: string): void {
  expect(r.type).toBe("application/problem+json");
  expect(r.status).toBe(status);
  expect(r.json?.status).toBe(status);
  expect(r.json?.code).toBe(code);
  expect(r.text).not.toMatch(/MII[A-Za-z0-9+/]{40}/); // never a certificate on error
}

/** Kiosk sign-in + "request your ID" with card `index`, done by hand. */
async function kioskRequest(index: number): Promise<{ sessionId: string; requestId: string; qrSession: string; payload: string; expiresAt: string }> {
  const client = l.inProcess();
  const session = await l.withCard(index, (card, pin) => kioskLogin(client, "intercede", card, pin));
  const r = await call("POST", "/issuers/intercede/kiosk/requests", { bearer: session.sessionId, body: { profile: "mobile-credential" } });
  expect(r.status).toBe(201);
  const qr = r.json?.qr as { payload: string };
  return {
    sessionId: session.sessionId,
    requestId: String(r.json?.requestId),
    payload: qr.payload,
    qrSession: String(JSON.parse(qr.payload)["qr-session"]),
    expiresAt: String(r.json?.expiresAt),
  };
}

async function csrB64(): Promise<string> {
  const keys = await generateKeyPair("p256");
  return Buffer.from(await createCsrWithKey(keys, "p256", "")).toString("base64");
}

beforeAll(async () => {
  l = await makeIntercedeLab({ cards: 6, seed: "myid-enrol", start: START });
  ({ issuance, myid } = await l.emulator());
});
afterAll(async () => {
  await l?.close();
});

describe("MyID enrolment, iOS and Android end to end", () => {
  it("iOS, software keystore, in-process: QR only (no password anywhere), PIV Auth .40 + S/MIME, chain verifies with openssl", async () => {
    const seen: string[] = [];
    const recording = new JsonClient(async (input, init) => {
      const r = await myid.handler(new Request(input as URL, init));
      seen.push(`${init?.body ?? ""}\n${await r.clone().text()}`);
      return r;
    }, "http://dpclab.invalid");
    const device = l.device("ios", { keystore: "software", user: 0 });
    const printed: EnrolmentStep[] = [];
    const cred = await l.withCard(0, (card, pin) => enrolWithIntercede({ client: recording, card, pin, device, onStep: (s) => printed.push(s) }));
    expect(printed).toEqual(cred.steps);
    expect(cred.steps.map((s) => s.step)).toEqual([
      "kiosk.open-myid",
      "kiosk.signed-in",
      "kiosk.request-your-id",
      "kiosk.qr-shown",
      "phone.get-qr-code",
      "phone.camera-allowed",
      "phone.qr-scanned",
      "phone.keys-generated",
      "phone.certificates-installed",
    ]);
    // No password step: not in any request, any answer, nor the QR payload (docs/intune.md §2.3 step 8).
    for (const exchange of seen) expect(exchange).not.toMatch(/password/i);
    expect(cred.steps.some((s) => /password/i.test(s.step))).toBe(false);

    expect(cred.certificates.signing).toBeDefined();
    expect(cred.certificates.encryption).toBeDefined();
    expect(cred.encryptionKeyPkcs8?.length).toBeGreaterThan(0);
    expect(cred.chain).toHaveLength(2);
    expect(Buffer.from(cred.chain[0] as Uint8Array).equals(Buffer.from(l.authority.certificate.rawData))).toBe(true);
    expect(Buffer.from(cred.chain[1] as Uint8Array).equals(Buffer.from(l.cardIssuer.root.certificate.rawData))).toBe(true);
    const record = issuance.credential(cred.credentialId);
    expect(record).toMatchObject({ issuer: "intercede", cardIndex: 0, deviceId: device.deviceId, platform: "ios", keystore: "software", status: "active" });
    expect(Date.parse(cred.rekeyDueAt)).toBe(Date.parse(record.notAfter) - 28 * 86_400_000);

    const root = l.pem("ios-root", cred.chain[1] as Uint8Array);
    const ca = l.pem("ios-ca", cred.chain[0] as Uint8Array);
    for (const [name, der] of Object.entries(cred.certificates)) {
      const leaf = l.pem(`ios-sw-${name}`, der as Uint8Array);
      expect(ossl(["verify", "-CAfile", root, "-untrusted", ca, leaf])).toContain(": OK");
    }
    const text = ossl(["x509", "-in", l.pem("ios-sw-auth", cred.certificates.pivAuth), "-noout", "-text"]);
    expect(text).toContain(`Policy: ${OIDS.commonDerivedPivAuth}`);
    expect(text).toContain(`OCSP - URI:${l.server.url}/pki/ocsp/intercede-ca`);
  });

  it("Android, hardware keystore, over a real socket: PIV Auth .41 only; openssl verify, then ocsp good → revoked after revokeDevice", async () => {
    const device = l.device("android", { keystore: "hardware", user: 0, onPremisesNetwork: true });
    const cred = await l.withCard(0, (card, pin) => enrolWithIntercede({ client: l.overSocket(), card, pin, device }));
    expect(cred.certificates.signing).toBeUndefined();
    expect(cred.certificates.encryption).toBeUndefined();
    expect(cred.encryptionKeyPkcs8).toBeUndefined();
    expect(cred.steps.find((s) => s.step === "phone.get-qr-code")?.detail).toContain("Intune app");
    const leaf = l.pem("android-hw", cred.certificates.pivAuth);
    expect(ossl(["x509", "-in", leaf, "-noout", "-text"])).toContain(`Policy: ${OIDS.commonDerivedPivAuthHardware}`);
    expect(ossl(["verify", "-CAfile", l.rootPem, "-untrusted", l.caPem, leaf])).toContain(": OK");
    // async: the OCSP responder answers from this very process
    const ask = async () =>
      (await openssl(["ocsp", "-issuer", l.caPem, "-cert", leaf, "-url", `${l.server.url}/pki/ocsp/intercede-ca`, "-CAfile", l.rootPem])).out;
    expect(await ask()).toMatch(/android-hw\.pem: good/);
    issuance.revokeDevice(device.deviceId, "keyCompromise");
    const after = await ask();
    expect(after).toMatch(/android-hw\.pem: revoked/);
    expect(after).toMatch(/Reason: keyCompromise/);
  });

  it.each([
    ["ios", "hardware", OIDS.commonDerivedPivAuthHardware],
    ["android", "software", OIDS.commonDerivedPivAuth],
  ] as const)("%s with a %s keystore gets policy %s", async (platform, keystore, policy) => {
    const device = l.device(platform, { keystore, user: 5 });
    const cred = await l.withCard(5, (card, pin) => enrolWithIntercede({ client: l.inProcess(), card, pin, device }));
    const leaf = l.pem(`${platform}-${keystore}`, cred.certificates.pivAuth);
    expect(ossl(["x509", "-in", leaf, "-noout", "-text"])).toContain(`Policy: ${policy}`);
    expect(ossl(["verify", "-CAfile", l.rootPem, "-untrusted", l.caPem, leaf])).toContain(": OK");
    expect(!!cred.certificates.signing).toBe(platform === "ios");
  });
});

describe("the kiosk's QR code", () => {
  it("is a real QR code (SVG and PNG views), for its cardholder only, and gone once scanned", async () => {
    const k = await kioskRequest(0);
    expect(Date.parse(k.expiresAt) - l.clock.now().getTime()).toBe(DEFAULT_QR_TTL_MS);
    // The configured base URL (where the issuer CA publishes), not the origin the request named (issue 10 §9).
    expect(JSON.parse(k.payload)).toEqual({ issuer: "intercede", url: `${l.server.url}/issuers/intercede`, "qr-session": k.qrSession });
    const svg = await call("GET", `/issuers/intercede/kiosk/requests/${k.requestId}/qr.svg`, { bearer: k.sessionId });
    expect(svg.status).toBe(200);
    expect(svg.type).toBe("image/svg+xml");
    expect(svg.text).toContain("<svg");
    const png = await myid.handler(
      new Request(`http://dpclab.invalid/issuers/intercede/kiosk/requests/${k.requestId}/qr.png`, { headers: { authorization: `Bearer ${k.sessionId}` } }),
    );
    expect(png.headers.get("content-type")).toBe("image/png");
    expect(
      Buffer.from(await png.arrayBuffer())
        .subarray(0, 8)
        .toString("hex"),
    ).toBe("89504e470d0a1a0a");
    expectProblem(await call("GET", `/issuers/intercede/kiosk/requests/${k.requestId}/qr.svg`), 401, "no-session");
    const other = await kioskRequest(5);
    expectProblem(await call("GET", `/issuers/intercede/kiosk/requests/${k.requestId}/qr.png`, { bearer: other.sessionId }), 404, "no-request");
    // scan it
    const device = l.device("ios", { keystore: "software", user: 0 });
    const ok = await call("POST", "/issuers/intercede/device/activations", {
      body: { qrSession: k.qrSession, device: describeDevice(device), csr: await csrB64() },
    });
    expect(ok.status).toBe(201);
    expectProblem(await call("GET", `/issuers/intercede/kiosk/requests/${k.requestId}/qr.svg`, { bearer: k.sessionId }), 410, "qr-used");
    const view = await call("GET", `/issuers/intercede/kiosk/requests/${k.requestId}`, { bearer: k.sessionId });
    expect(view.json).toMatchObject({ state: "activated", credentialId: ok.json?.credentialId, profile: "mobile-credential" });
  });

  it("is single use: a second scan of the same QR code is 409 secret-used, and issues nothing", async () => {
    const k = await kioskRequest(0);
    const first = l.device("ios", { keystore: "software", user: 0 });
    const a = await call("POST", "/issuers/intercede/device/activations", {
      body: { qrSession: k.qrSession, device: describeDevice(first), csr: await csrB64() },
    });
    expect(a.status).toBe(201);
    const count = issuance.credentials().length;
    const second = l.device("android", { keystore: "software", user: 0 });
    const b = await call("POST", "/issuers/intercede/device/activations", {
      body: { qrSession: k.qrSession, device: describeDevice(second), csr: await csrB64() },
    });
    expectProblem(b, 409, "secret-used");
    expect(issuance.credentials()).toHaveLength(count);
  });

  it("expires (default 10 min): 410 secret-expired at the scan, 410 qr-expired at the view; qrTtlMs is configurable", async () => {
    const k = await kioskRequest(0);
    l.clock.advance(DEFAULT_QR_TTL_MS);
    const device = l.device("ios", { keystore: "software", user: 0 });
    expectProblem(
      await call("POST", "/issuers/intercede/device/activations", { body: { qrSession: k.qrSession, device: describeDevice(device), csr: await csrB64() } }),
      410,
      "secret-expired",
    );
    expectProblem(await call("GET", `/issuers/intercede/kiosk/requests/${k.requestId}/qr.svg`, { bearer: k.sessionId }), 410, "qr-expired");
    expect((await call("GET", `/issuers/intercede/kiosk/requests/${k.requestId}`, { bearer: k.sessionId })).json?.state).toBe("expired");

    const short = await l.emulator({ qrTtlMs: 60_000 });
    try {
      myid = short.myid;
      const s = await kioskRequest(0);
      expect(Date.parse(s.expiresAt) - l.clock.now().getTime()).toBe(60_000);
      l.clock.advance(59_999);
      const phone = l.device("ios", { keystore: "software", user: 0 }); // enrolled in the rebuilt stack's tenant
      const ok = await call("POST", "/issuers/intercede/device/activations", {
        body: { qrSession: s.qrSession, device: describeDevice(phone), csr: await csrB64() },
      });
      expect(ok.status).toBe(201);
    } finally {
      ({ issuance, myid } = await l.emulator());
    }
  });

  it("wrong QR secrets lock the device out: 429 with Retry-After", async () => {
    const device = describeDevice(l.device("ios", { keystore: "software", user: 0 }));
    const csr = await csrB64();
    for (let i = 0; i < 5; i++) {
      expectProblem(
        await call("POST", "/issuers/intercede/device/activations", { body: { qrSession: `guess${i}xxxxxxxxxxxxxxxx`, device, csr } }),
        404,
        "secret-unknown",
      );
    }
    const k = await kioskRequest(0);
    const locked = await call("POST", "/issuers/intercede/device/activations", { body: { qrSession: k.qrSession, device, csr } });
    expectProblem(locked, 429, "too-many-attempts");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(locked.json?.retryAfterSeconds).toBe(Number(locked.headers.get("retry-after")));
  });
});

describe("refusals", () => {
  it("camera blocked: the phone cannot scan — camera-blocked before it contacts MyID; the QR code stays unused", async () => {
    const device = l.device("ios", { keystore: "software", user: 0, cameraAllowed: false });
    const before = issuance.credentials().length;
    const phoneCalls: string[] = [];
    const client = new JsonClient(async (input, init) => {
      const req = new Request(input as URL, init);
      if (new URL(req.url).pathname.includes("/device/")) phoneCalls.push(req.url);
      return myid.handler(req);
    }, "http://dpclab.invalid");
    const steps: EnrolmentStep[] = [];
    const e = await refusal(l.withCard(0, (card, pin) => enrolWithIntercede({ client, card, pin, device, onStep: (s) => steps.push(s) })));
    expect(e.code).toBe("camera-blocked");
    expect(steps.at(-1)?.step).toBe("phone.camera-blocked");
    expect(phoneCalls).toEqual([]);
    expect(issuance.credentials()).toHaveLength(before);
  });

  it("a revoked PIV Card fails PKI-AUTH at the kiosk (401 pki-auth-failed)", async () => {
    l.cardIssuer.revokeCard(1, "keyCompromise");
    const e = await refusal(
      l.withCard(1, (card, pin) => enrolWithIntercede({ client: l.inProcess(), card, pin, device: l.device("ios", { keystore: "software", user: 1 }) })),
    );
    expect(e.status).toBe(401);
    expect(e.code).toMatch(/^pki-auth-failed:revoked/);
  });

  it("a terminated PIV identity account is refused at the kiosk (403 account-terminated)", async () => {
    l.cardIssuer.terminateAccount(2);
    const e = await refusal(
      l.withCard(2, (card, pin) => enrolWithIntercede({ client: l.inProcess(), card, pin, device: l.device("android", { keystore: "software", user: 2 }) })),
    );
    expect(e.status).toBe(403);
    expect(e.code).toBe("account-terminated");
  });

  it("a device not enrolled in the tenant gets nothing (403 device-not-approved, DC-ISS-02); the request is failed", async () => {
    const device = l.device("ios", { keystore: "software", enrol: false });
    const e = await refusal(l.withCard(0, (card, pin) => enrolWithIntercede({ client: l.inProcess(), card, pin, device })));
    expect(e.status).toBe(403);
    expect(e.code).toBe("device-not-approved");
    expect(issuance.credentials().some((c) => c.deviceId === device.deviceId)).toBe(false);
  });

  it("malformed kiosk and activation requests are 400/401/415 problem+json, and do not spend the QR code", async () => {
    const k = await kioskRequest(0);
    const req = (body: unknown, extra: { raw?: string; type?: string; headers?: Record<string, string> } = {}) =>
      call("POST", "/issuers/intercede/device/activations", { body, ...extra });
    const device = describeDevice(l.device("android", { keystore: "software", user: 0 }));
    const csr = await csrB64();
    // kiosk
    expectProblem(await call("POST", "/issuers/intercede/kiosk/requests", { body: { profile: "mobile-credential" } }), 401, "no-session");
    expectProblem(await call("POST", "/issuers/intercede/kiosk/requests", { bearer: "nope", body: { profile: "mobile-credential" } }), 401, "session-unknown");
    expectProblem(await call("POST", "/issuers/intercede/kiosk/requests", { bearer: k.sessionId, body: { profile: "piv-card" } }), 400, "unsupported-profile");
    expectProblem(
      await call("POST", "/issuers/intercede/kiosk/requests", { bearer: k.sessionId, body: { profile: "mobile-credential", password: "1234" } }),
      400,
      "unknown-property",
    );
    expectProblem(
      await call("POST", "/issuers/intercede/kiosk/requests", { bearer: k.sessionId, raw: "profile=x", type: "text/plain" }),
      415,
      "bad-content-type",
    );
    expectProblem(await call("POST", "/issuers/intercede/kiosk/login", { raw: "{", type: "application/json" }), 400, "bad-json");
    // device
    expectProblem(await req(undefined, { raw: "{}", type: "text/plain" }), 415, "bad-content-type");
    expectProblem(await req(undefined, { raw: "[1]" }), 400, "bad-json");
    expectProblem(await req({ qrSession: k.qrSession, device, csr, password: "12345678" }), 400, "unknown-property");
    expectProblem(await req({ device, csr }), 400, "bad-request");
    expectProblem(await req({ qrSession: k.qrSession, device: { ...device, platform: "windows" }, csr }), 400, "bad-device");
    expectProblem(await req({ qrSession: k.qrSession, device: "phone", csr }), 400, "bad-device");
    expectProblem(await req({ qrSession: k.qrSession, device, csr: "not base64!" }), 400, "bad-request");
    expectProblem(await req({ qrSession: k.qrSession, device, csr: Buffer.from("not a CSR").toString("base64") }), 400, "bad-csr");
    expectProblem(await req({ qrSession: k.qrSession, device, csr, smimeSigningCsr: csr }), 400, "smime-ios-only");
    expectProblem(await req({ qrSession: k.qrSession, device, csr }, { headers: { "x-dpclab-network-zone": "moon" } }), 400, "bad-network-zone");
    expectProblem(await req({ qrSession: "short", device, csr }), 400, "bad-secret");
    const wrongMethod = await call("GET", "/issuers/intercede/device/activations");
    expect([wrongMethod.status, wrongMethod.type]).toEqual([405, "application/problem+json"]);
    // none of that spent the QR code
    const ok = await req({ qrSession: k.qrSession, device, csr }, { headers: { "x-dpclab-network-zone": "internet" } });
    expect(ok.status).toBe(201);
  });
});
