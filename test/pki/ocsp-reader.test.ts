import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { DpclabError } from "../../src/errors.js";
import { crypto } from "../../src/pki/crypto.js";
import {
  CertificateFacts,
  createOcspRequest,
  exportSpki,
  generateKeyPair,
  issueCardCertificate,
  OIDS,
  ocspResponseStatus,
  readOcspResponse,
  respondToOcsp,
  toPem,
} from "../../src/pki/index.js";
import { ExtendedKeyUsageExtension, KeyUsageFlags, KeyUsagesExtension, type X509Certificate } from "../../src/x509.js";
import { propertySeed } from "../helpers/fast-check-seed.js";
import { CARD_UUID, DAY, FASCN, makePki, newSpki, openssl, T0, type TestPki, tempDir, writeDer, writePem } from "./helpers.js";

// The DER OCSP reader against responses OpenSSL writes: signed by the CA itself or by a delegated responder
// (RFC 6960 §4.2.2.2: issued by the CA, id-kp-OCSPSigning), good and revoked; and never anything but ocsp-invalid.

const { params } = propertySeed("ocsp-reader");
const NOW = new Date();
const cardholder = { commonName: "Kim TEST Lee", email: "kim@agency.test", organization: "DPCLAB TEST Agency" };

describe("readOcspResponse on OpenSSL's responses", () => {
  let pki: TestPki;
  let leaf: X509Certificate;
  let dir: string;

  /** A responder certificate the issuing CA signs, with its key as PEM for openssl. */
  async function responderCert(name: string, ekus: string[]) {
    const pair = await generateKeyPair("p256");
    const cert = await pki.issuing.issue({
      subject: `C=US,O=DPCLAB TEST,CN=${name}`,
      publicKey: await exportSpki(pair.publicKey),
      notBefore: new Date(T0.getTime() - DAY),
      notAfter: new Date(T0.getTime() + 400 * DAY),
      extensions: [new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true), ...(ekus.length ? [new ExtendedKeyUsageExtension(ekus)] : [])],
    });
    writePem(dir, `${name}.pem`, cert);
    writeFileSync(join(dir, `${name}.key`), toPem(await crypto.subtle.exportKey("pkcs8", pair.privateKey), "PRIVATE KEY"));
    return cert;
  }

  /** openssl ocsp as a responder over a CA database holding the leaf as valid or revoked. */
  function opensslAnswer(signer: string, revoked?: string): Uint8Array {
    const facts = CertificateFacts.of(leaf);
    const expiry = "351231235959Z";
    const line = revoked
      ? `R\t${expiry}\t${revoked}\t${facts.serialHex.toUpperCase()}\tunknown\t/CN=leaf\n`
      : `V\t${expiry}\t\t${facts.serialHex.toUpperCase()}\tunknown\t/CN=leaf\n`;
    writeFileSync(join(dir, "index.txt"), line);
    const req = writeDer(dir, "req.der", createOcspRequest(leaf, pki.issuing.certificate));
    const out = join(dir, "resp.der");
    const key = signer === "issuing" ? join(dir, "issuing.key") : join(dir, `${signer}.key`);
    const r = openssl([
      "ocsp",
      "-index",
      join(dir, "index.txt"),
      "-CA",
      join(dir, "issuing.pem"),
      "-rsigner",
      join(dir, `${signer}.pem`),
      "-rkey",
      key,
      "-reqin",
      req,
      "-respout",
      out,
      "-ndays",
      "1",
    ]);
    expect(r.status, r.out).toBe(0);
    return new Uint8Array(readFileSync(out));
  }

  beforeAll(async () => {
    pki = await makePki("p256");
    dir = tempDir();
    leaf = await issueCardCertificate(pki.issuing, {
      slot: "9A",
      publicKey: await newSpki(),
      cardholder,
      fascn: FASCN,
      cardUuid: CARD_UUID,
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 365 * DAY),
    });
    writePem(dir, "issuing.pem", pki.issuing.certificate);
    writeFileSync(join(dir, "issuing.key"), pki.issuing.export().privateKeyPem);
    await responderCert("delegate", [OIDS.ocspSigning]);
    await responderCert("not-delegated", [OIDS.clientAuth]);
  });

  it("signed by the CA itself: good, then revoked with time and reason", () => {
    expect(readOcspResponse(opensslAnswer("issuing"), { cert: leaf, issuer: pki.issuing.certificate, now: NOW }).status).toEqual({ status: "good" });
    const r = readOcspResponse(opensslAnswer("issuing", "240102030405Z,keyCompromise"), { cert: leaf, issuer: pki.issuing.certificate, now: NOW });
    expect(r.status).toEqual({ status: "revoked", revokedAt: new Date("2024-01-02T03:04:05Z"), reason: "keyCompromise" });
    expect(r.nextUpdate!.getTime()).toBeGreaterThan(r.thisUpdate.getTime());
  });

  it("signed by a delegated responder (id-kp-OCSPSigning, issued by the CA): accepted, DER or certificate objects alike", () => {
    const der = opensslAnswer("delegate", "240102030405Z,cessationOfOperation");
    const expected = { status: "revoked", revokedAt: new Date("2024-01-02T03:04:05Z"), reason: "cessationOfOperation" };
    expect(readOcspResponse(der, { cert: leaf, issuer: pki.issuing.certificate, now: NOW }).status).toEqual(expected);
    const facts = { cert: new Uint8Array(leaf.rawData), issuer: CertificateFacts.of(pki.issuing.certificate), now: NOW };
    expect(readOcspResponse(der, facts).status).toEqual(expected);
  });

  it("refuses a responder without id-kp-OCSPSigning, one the CA did not issue, and one outside its validity", async () => {
    expect(() => readOcspResponse(opensslAnswer("not-delegated"), { cert: leaf, issuer: pki.issuing.certificate, now: NOW })).toThrow(/delegated responder/);
    const der = opensslAnswer("delegate");
    const other = await makePki("p256");
    expect(() => readOcspResponse(der, { cert: leaf, issuer: other.issuing.certificate, now: NOW })).toThrow(DpclabError);
    // the delegate's certificate expires T0 + 400 d; the response itself is checked against the real clock by openssl only
    expect(() => readOcspResponse(der, { cert: leaf, issuer: pki.issuing.certificate, now: new Date(T0.getTime() + 401 * DAY) })).toThrow(
      /delegated responder|stale/,
    );
  });

  it("any changed byte in a response: the same answer, or ocsp-invalid — never another error (property)", async () => {
    const pkiNow = new Date(T0.getTime() + DAY);
    const der = new Uint8Array(
      await respondToOcsp(new Uint8Array(createOcspRequest(leaf, pki.issuing.certificate)), { ca: pki.issuing, status: () => ({ status: "good" }) }, pkiNow),
    );
    expect(ocspResponseStatus(der)).toBe(0);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: der.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bad = der.slice();
        bad[at] = (bad[at] as number) ^ x;
        try {
          const r = readOcspResponse(bad, { cert: leaf, issuer: pki.issuing.certificate, now: pkiNow });
          // Only bytes outside what is signed and read may change (the included CA certificate, length-neutral spots).
          return r.status.status === "good";
        } catch (e) {
          return e instanceof DpclabError && e.code === "ocsp-invalid";
        }
      }),
      params(600),
    );
  });
});
