import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { OCSPResponse, OCSPResponseStatus } from "@peculiar/asn1-ocsp";
import { AsnConvert } from "@peculiar/asn1-schema";
import { beforeAll, describe, expect, it } from "vitest";
import { DpclabError } from "../../src/errors.js";
import {
  type CertStatus,
  createOcspRequest,
  issueCardCertificate,
  newOcspNonce,
  type OcspResponder,
  readOcspResponse,
  respondToOcsp,
} from "../../src/pki/index.js";
import type { X509Certificate } from "../../src/x509.js";
import { CARD_UUID, DAY, FASCN, makePki, newSpki, openssl, T0, type TestPki, tempDir, writeDer, writePem } from "./helpers.js";

const NOW = new Date(T0.getTime() + 10 * DAY);
const cardholder = { commonName: "John TEST Doe", email: "john.doe@agency.test", organization: "DPCLAB TEST Agency" };

describe("OCSP", () => {
  let pki: TestPki;
  let leaf: X509Certificate;
  let dir: string;
  const statuses = new Map<string, CertStatus>();
  let responder: OcspResponder;

  beforeAll(async () => {
    pki = await makePki("p256");
    leaf = await issueCardCertificate(pki.issuing, {
      slot: "9A",
      publicKey: await newSpki(),
      cardholder,
      fascn: FASCN,
      cardUuid: CARD_UUID,
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 365 * DAY),
    });
    responder = { ca: pki.issuing, status: (serial) => statuses.get(serial) ?? { status: "unknown" } };
    statuses.set(leaf.serialNumber.toLowerCase(), { status: "good" });
    dir = tempDir();
    writePem(dir, "root.pem", pki.root.certificate);
    writePem(dir, "issuing.pem", pki.issuing.certificate);
    writePem(dir, "leaf.pem", leaf);
  });

  it("round-trips our request and response, good then revoked, with the nonce echoed", async () => {
    const nonce = newOcspNonce();
    const req = new Uint8Array(createOcspRequest(leaf, pki.issuing.certificate, { nonce }));
    const good = readOcspResponse(await respondToOcsp(req, responder, NOW), { cert: leaf, issuer: pki.issuing.certificate, now: NOW, nonce });
    expect(good.status).toEqual({ status: "good" });
    expect(good.thisUpdate.getTime()).toBe(NOW.getTime());
    expect(good.nextUpdate!.getTime()).toBeGreaterThan(NOW.getTime());

    const revokedAt = new Date(T0.getTime() + 5 * DAY);
    statuses.set(leaf.serialNumber.toLowerCase(), { status: "revoked", revokedAt, reason: "keyCompromise" });
    try {
      const r = readOcspResponse(await respondToOcsp(req, responder, NOW), { cert: leaf, issuer: pki.issuing.certificate, now: NOW });
      expect(r.status).toEqual({ status: "revoked", revokedAt, reason: "keyCompromise" });
    } finally {
      statuses.set(leaf.serialNumber.toLowerCase(), { status: "good" });
    }
  });

  it("answers unknown for a certificate of another issuer, and the client rejects a foreign signature", async () => {
    const other = await makePki("p256");
    const foreign = await issueCardCertificate(other.issuing, {
      slot: "9E",
      publicKey: await newSpki(),
      cardholder,
      fascn: FASCN,
      cardUuid: CARD_UUID,
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 365 * DAY),
    });
    statuses.set(foreign.serialNumber.toLowerCase(), { status: "good" }); // same serial known here must not matter
    const req = new Uint8Array(createOcspRequest(foreign, other.issuing.certificate));
    const der = await respondToOcsp(req, responder, NOW);
    // signed by our issuing CA, not by the foreign issuer: invalid for the foreign issuer…
    expect(() => readOcspResponse(der, { cert: foreign, issuer: other.issuing.certificate, now: NOW })).toThrow(/signature/);
    // …and openssl, trusting our PKI for the signature, sees "unknown"
    const reqPath = writeDer(dir, "foreign-req.der", req);
    const respPath = writeDer(dir, "foreign-resp.der", der);
    writePem(dir, "foreign.pem", foreign);
    writePem(dir, "foreign-issuer.pem", other.issuing.certificate);
    const out = openssl([
      "ocsp",
      "-respin",
      respPath,
      "-reqin",
      reqPath,
      "-CAfile",
      `${dir}/root.pem`,
      "-VAfile",
      `${dir}/issuing.pem`,
      "-issuer",
      `${dir}/foreign-issuer.pem`,
      "-cert",
      `${dir}/foreign.pem`,
      "-no_nonce",
      "-attime",
      String(NOW.getTime() / 1000),
    ]).out;
    expect(out).toContain("unknown");
  });

  it("rejects a response whose CertID is for another certificate, or that is stale", async () => {
    const sibling = await issueCardCertificate(pki.issuing, {
      slot: "9E",
      publicKey: await newSpki(),
      cardholder,
      fascn: FASCN,
      cardUuid: CARD_UUID,
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 365 * DAY),
    });
    const der = await respondToOcsp(new Uint8Array(createOcspRequest(sibling, pki.issuing.certificate)), responder, NOW);
    expect(() => readOcspResponse(der, { cert: leaf, issuer: pki.issuing.certificate, now: NOW })).toThrow(DpclabError);
    const fresh = await respondToOcsp(new Uint8Array(createOcspRequest(leaf, pki.issuing.certificate)), responder, NOW);
    expect(() => readOcspResponse(fresh, { cert: leaf, issuer: pki.issuing.certificate, now: new Date(NOW.getTime() + 3 * DAY) })).toThrow(/stale/);
  });

  it("answers malformedRequest to garbage, never throwing", async () => {
    for (const bad of [new Uint8Array(0), Uint8Array.of(0x30, 0x03, 0x02), new TextEncoder().encode("hello")]) {
      const res = AsnConvert.parse(await respondToOcsp(bad, responder, NOW), OCSPResponse);
      expect(res.responseStatus).toBe(OCSPResponseStatus.malformedRequest);
    }
    expect(() => readOcspResponse(Uint8Array.of(0x30, 0x03, 0x0a, 0x01, 0x01), { cert: leaf, issuer: pki.issuing.certificate, now: NOW })).toThrow(
      /malformedRequest/,
    );
  });

  it("openssl: its request gets an answer it verifies, good then revoked with the reason", async () => {
    const reqPath = `${dir}/ossl-req.der`;
    const mk = openssl(["ocsp", "-issuer", `${dir}/issuing.pem`, "-cert", `${dir}/leaf.pem`, "-reqout", reqPath]);
    expect(mk.status).toBe(0);
    const req = new Uint8Array(readFileSync(reqPath));
    const verify = (respPath: string) =>
      // -no_nonce: with -cert openssl rebuilds a request with a fresh nonce; echoing is checked by the -url test below.
      openssl([
        "ocsp",
        "-respin",
        respPath,
        "-no_nonce",
        "-issuer",
        `${dir}/issuing.pem`,
        "-cert",
        `${dir}/leaf.pem`,
        "-CAfile",
        `${dir}/root.pem`,
        "-verify_other",
        `${dir}/issuing.pem`,
        "-attime",
        String(NOW.getTime() / 1000),
      ]);
    // openssl checks thisUpdate/nextUpdate against the real clock (-attime only pins the chain check)
    let r = verify(writeDer(dir, "ossl-good.der", await respondToOcsp(req, responder, new Date())));
    expect(r.out).toContain("Response verify OK");
    expect(r.out).toMatch(/leaf\.pem: good/);

    statuses.set(leaf.serialNumber.toLowerCase(), { status: "revoked", revokedAt: T0, reason: "affiliationChanged" });
    try {
      r = verify(writeDer(dir, "ossl-revoked.der", await respondToOcsp(req, responder, new Date())));
      expect(r.out).toContain("Response verify OK");
      expect(r.out).toMatch(/leaf\.pem: revoked/);
      expect(r.out).toContain("Reason: affiliationChanged");
      // responderID byKey, CA certificate included
      const text = openssl(["ocsp", "-respin", `${dir}/ossl-revoked.der`, "-resp_text", "-noverify"]).out;
      expect(text).toContain("Responder Id: ");
      expect(text).toMatch(/Responder Id: [0-9A-F]{40}/);
      expect(text).toContain("OCSP Nonce");
      expect(text).toContain("DPCLAB TEST PIV CA");
    } finally {
      statuses.set(leaf.serialNumber.toLowerCase(), { status: "good" });
    }
  });

  it("openssl ocsp -url against a throwaway HTTP server", async () => {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const der = await respondToOcsp(new Uint8Array(Buffer.concat(chunks)), responder, new Date());
        res.writeHead(200, { "content-type": "application/ocsp-response" });
        res.end(Buffer.from(der));
      });
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const { port } = server.address() as AddressInfo;
    try {
      const out = await new Promise<string>((resolve) => {
        const p = spawn("openssl", [
          "ocsp",
          "-url",
          `http://127.0.0.1:${port}/ocsp`,
          "-issuer",
          `${dir}/issuing.pem`,
          "-cert",
          `${dir}/leaf.pem`,
          "-CAfile",
          `${dir}/root.pem`,
          "-verify_other",
          `${dir}/issuing.pem`,
        ]);
        let text = "";
        p.stdout.on("data", (d) => {
          text += d;
        });
        p.stderr.on("data", (d) => {
          text += d;
        });
        p.on("close", () => resolve(text));
      });
      expect(out).toContain("Response verify OK");
      expect(out).toMatch(/leaf\.pem: good/);
    } finally {
      server.close();
    }
  });
});
