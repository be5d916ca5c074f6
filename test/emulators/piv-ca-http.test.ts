import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CardIssuer, pivCaHandler } from "../../emulators/piv-ca/index.js";
import { inProcessFetch, serve } from "../../emulators/shared/index.js";
import { VirtualClock } from "../../src/clock.js";
import { LabDir } from "../../src/lab/index.js";
import { createOcspRequest, readOcspResponse } from "../../src/pki/index.js";
import { tempDir } from "../helpers/cli.js";

// The card issuer's HTTP face, in-process and on a real socket: bad input is problem+json, never a 5xx.
const dir = tempDir();
let issuer: CardIssuer;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const clock = new VirtualClock(new Date("2026-01-01T00:00:00Z"));
  issuer = await CardIssuer.create(
    new LabDir(dir.path),
    { version: 1, alg: "p256", seed: "http", baseUrl: "http://127.0.0.1:7800", createdAt: clock.now().toISOString() },
    clock,
  );
  const server = await serve(pivCaHandler(issuer));
  base = server.url;
  close = server.close;
});
afterAll(async () => {
  await close?.();
  dir.remove();
});

async function expectProblem(res: Response, status: number): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = (await res.json()) as Record<string, unknown>;
  expect(body.status).toBe(status);
  expect(typeof body.title).toBe("string");
  expect(String(body.detail).length).toBeGreaterThan(5);
  return body;
}

describe("piv-ca publication endpoints", () => {
  it("serves a DER CRL, the caIssuers .p7c and an index of CAs", async () => {
    const crl = await fetch(`${base}/pki/crl/piv-ca.crl`);
    expect(crl.headers.get("content-type")).toBe("application/pkix-crl");
    expect(new Uint8Array(await crl.arrayBuffer())[0]).toBe(0x30);
    const p7c = await fetch(`${base}/pki/aia/piv-ca.p7c`);
    expect(p7c.headers.get("content-type")).toBe("application/pkcs7-mime");
    const index = (await (await fetch(`${base}/pki`)).json()) as { cas: { name: string; ocspUrl: string }[] };
    expect(index.cas.map((c) => c.name)).toEqual(["root", "piv-ca"]);
    // The URLs stamped into the certificates (the lab's base URL), whatever Host the request named (issue 10 §9).
    expect(index.cas[1]?.ocspUrl).toBe("http://127.0.0.1:7800/pki/ocsp/piv-ca");
    const spoofed = await inProcessFetch(pivCaHandler(issuer), "http://attacker.example")("/pki");
    expect(JSON.stringify(await spoofed.json())).not.toContain("attacker.example");
  });

  it("answers unknown paths and CAs with 404 problem+json", async () => {
    await expectProblem(await fetch(`${base}/nope`), 404);
    await expectProblem(await fetch(`${base}/pki/crl/evil-ca.crl`), 404);
    await expectProblem(await fetch(`${base}/pki/crl/piv-ca.pem`), 404);
  });

  it("refuses a wrong method with 405 and a wrong content type with 415", async () => {
    await expectProblem(await fetch(`${base}/pki/crl/piv-ca.crl`, { method: "DELETE" }), 405);
    await expectProblem(await fetch(`${base}/pki/ocsp/piv-ca`, { method: "POST", body: "hello", headers: { "content-type": "text/plain" } }), 415);
  });

  it("answers malformed OCSP requests with 400 problem+json, and keeps serving", async () => {
    for (const body of [new Uint8Array([0x30, 0x03, 0x02, 0x01]), new Uint8Array([1, 2, 3, 4, 5]), new Uint8Array([0x30, 0x00])]) {
      const res = await fetch(`${base}/pki/ocsp/piv-ca`, { method: "POST", body, headers: { "content-type": "application/ocsp-request" } });
      const problem = await expectProblem(res, 400);
      expect(problem.code).toBe("malformed-ocsp-request");
    }
    await expectProblem(await fetch(`${base}/pki/ocsp/piv-ca/${encodeURIComponent(Buffer.from("junk").toString("base64"))}`), 400);
    await expectProblem(await fetch(`${base}/pki/ocsp/piv-ca`, { method: "POST", headers: { "content-type": "application/ocsp-request" } }), 400);
    await expectProblem(
      await fetch(`${base}/pki/ocsp/piv-ca`, { method: "POST", body: new Uint8Array(20_000), headers: { "content-type": "application/ocsp-request" } }),
      400,
    );

    // Still serving: a well-formed request for the content signer's certificate gets a signed "good".
    const request = createOcspRequest(issuer.contentSigner.certificate, issuer.pivCa.certificate);
    for (const res of [
      await fetch(`${base}/pki/ocsp/piv-ca`, { method: "POST", body: request, headers: { "content-type": "application/ocsp-request" } }),
      await fetch(`${base}/pki/ocsp/piv-ca/${encodeURIComponent(Buffer.from(request).toString("base64"))}`),
    ]) {
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/ocsp-response");
      const answer = readOcspResponse(await res.arrayBuffer(), {
        cert: issuer.contentSigner.certificate,
        issuer: issuer.pivCa.certificate,
        now: new Date("2026-01-01T00:00:00Z"),
      });
      expect(answer.status.status).toBe("good");
    }
  });

  it("the same handler dispatches in-process with no socket", async () => {
    const f = inProcessFetch(pivCaHandler(issuer));
    const res = await f("http://127.0.0.1:7800/pki/crl/root.crl");
    expect(res.status).toBe(200);
  });
});
