import { generateKeyPairSync, sign as nodeSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { DpclabError } from "../../src/errors.js";
import { createCsr, createCsrWithKey, fromPem, generateKeyPair, type KeyAlgorithm, toPem, verifyCsr } from "../../src/pki/index.js";
import { tempDir } from "../helpers/cli.js";
import { openssl } from "../pki/helpers.js";

// PKCS#10 (RFC 2986) both ways: our CSRs judged by `openssl req -verify`, OpenSSL's CSRs judged by verifyCsr
// (proof of possession, DC-ISS-12; keys and hashes of CERT-12/13).

const dir = tempDir("dpclab-csr-");
afterAll(() => dir.remove());

function expectRefused(fn: () => unknown, code: string): DpclabError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DpclabError);
    expect((e as DpclabError).code, (e as Error).message).toBe(code);
    expect((e as DpclabError).status).toBe(400);
    return e as DpclabError;
  }
  throw new Error(`expected ${code}`);
}

/** An OpenSSL-made CSR (`openssl req -new`) for a key made by `openssl genpkey`. */
function opensslCsr(name: string, genpkey: string[], digest = "-sha256"): Uint8Array {
  const key = join(dir.path, `${name}.key`);
  const csr = join(dir.path, `${name}.csr`);
  expect(openssl(["genpkey", ...genpkey, "-out", key]).status).toBe(0);
  const r = openssl(["req", "-new", "-key", key, digest, "-subj", "/C=US/O=DPCLAB TEST/CN=Device TEST", "-outform", "DER", "-out", csr]);
  expect(r.status, r.out).toBe(0);
  return new Uint8Array(readFileSync(csr));
}

describe("createCsr: accepted by openssl req -verify", () => {
  for (const alg of ["p256", "p384", "rsa2048"] as KeyAlgorithm[]) {
    it(`${alg}, signed with a WebCrypto key (createCsrWithKey)`, async () => {
      const keys = await generateKeyPair(alg);
      const der = await createCsrWithKey(keys, alg, "C=US,O=DPCLAB TEST,CN=iPhone TEST 1");
      const r = openssl(["req", "-verify", "-noout", "-inform", "DER", "-text"], der);
      expect(r.status, r.out).toBe(0);
      expect(r.out).toMatch(/verify OK/);
      expect(r.out).toContain("CN = iPhone TEST 1");
      const verified = verifyCsr(der);
      expect(verified.alg).toBe(alg);
      expect(verified.subject).toContain("CN=iPhone TEST 1");
      expect(Buffer.from(verified.publicKey)).toEqual(Buffer.from(await crypto.subtle.exportKey("spki", keys.publicKey)));
    });
  }

  it("with a signer callback (as a PKCS#11 key signs: the callback only sees the bytes) and an empty subject", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const spki = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
    let seen = 0;
    const der = await createCsr({
      subject: "",
      publicKey: spki,
      alg: "p256",
      sign: (tbs) => {
        seen = tbs.length;
        return new Uint8Array(nodeSign("sha256", tbs, { key: privateKey, dsaEncoding: "der" }));
      },
    });
    expect(seen).toBeGreaterThan(60);
    const r = openssl(["req", "-verify", "-noout", "-inform", "DER"], der);
    expect(r.status, r.out).toBe(0);
    expect(verifyCsr(der)).toMatchObject({ subject: "", alg: "p256" });
    // PEM round trip through our own helpers
    expect(Buffer.from(fromPem(toPem(der, "CERTIFICATE REQUEST"), "CERTIFICATE REQUEST"))).toEqual(Buffer.from(der));
  });
});

describe("verifyCsr on CSRs made by openssl req -new", () => {
  it("accepts P-256 and RSA-2048 (e = 65537)", () => {
    expect(verifyCsr(opensslCsr("p256", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])).alg).toBe("p256");
    expect(verifyCsr(opensslCsr("rsa2048", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])).alg).toBe("rsa2048");
  });

  it("refuses RSA-1024, RSA e = 3, P-521 and SHA-1 signatures → csr-key-not-allowed (CERT-12/13)", () => {
    expectRefused(() => verifyCsr(opensslCsr("rsa1024", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"])), "csr-key-not-allowed");
    const e3 = expectRefused(
      () => verifyCsr(opensslCsr("rsa-e3", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_keygen_pubexp:3"])),
      "csr-key-not-allowed",
    );
    expect(e3.message).toContain("65537");
    expectRefused(() => verifyCsr(opensslCsr("p521", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"])), "csr-key-not-allowed");
    const sha1 = expectRefused(
      () => verifyCsr(opensslCsr("sha1", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], "-sha1")),
      "csr-key-not-allowed",
    );
    expect(sha1.message).toContain("SHA-1");
  });

  it("refuses a CSR with one flipped signature byte → csr-signature-invalid (no proof of possession, DC-ISS-12)", () => {
    for (const name of ["flip-ec", "flip-rsa"]) {
      const der = opensslCsr(name, name === "flip-ec" ? ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-algorithm", "RSA"]);
      const bad = der.slice();
      bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0x01;
      // openssl 3.0 exits 0 either way; its verdict is in the output
      expect(openssl(["req", "-verify", "-noout", "-inform", "DER"], bad).out).toContain("self-signature verify failure");
      expectRefused(() => verifyCsr(bad), "csr-signature-invalid");
    }
  });

  it("remembers a verified CSR by its bytes only: the same array altered in place is judged afresh, a refusal is never remembered", () => {
    const der = opensslCsr("remembered", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    const first = verifyCsr(der);
    expect(verifyCsr(der)).toEqual(first);
    const last = der.length - 1;
    der[last] = (der[last] as number) ^ 0x01;
    expectRefused(() => verifyCsr(der), "csr-signature-invalid");
    expectRefused(() => verifyCsr(der), "csr-signature-invalid");
    der[last] = (der[last] as number) ^ 0x01;
    expect(verifyCsr(der)).toEqual(first);
  });

  it("refuses a CSR whose key was swapped for another (signature by a different key)", async () => {
    const a = await createCsrWithKey(await generateKeyPair("p256"), "p256", "CN=A TEST");
    const other = new Uint8Array(await crypto.subtle.exportKey("spki", (await generateKeyPair("p256")).publicKey));
    const info = verifyCsr(a).publicKey;
    const swapped = Buffer.from(a);
    swapped.set(other, swapped.indexOf(Buffer.from(info)));
    expectRefused(() => verifyCsr(new Uint8Array(swapped)), "csr-signature-invalid");
  });

  it("refuses non-DER input → bad-csr, never anything but a DpclabError (property)", () => {
    expectRefused(() => verifyCsr(new Uint8Array()), "bad-csr");
    expectRefused(() => verifyCsr(Uint8Array.of(0x30, 0x80, 0x00, 0x00)), "bad-csr");
    expectRefused(() => verifyCsr(new TextEncoder().encode("-----BEGIN CERTIFICATE REQUEST-----")), "bad-csr");
    const good = opensslCsr("fuzz", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    expectRefused(() => verifyCsr(good.subarray(0, good.length - 3)), "bad-csr");
    expectRefused(() => verifyCsr(Uint8Array.from([...good, 0])), "bad-csr");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const mutated = good.slice();
        mutated[at] = (mutated[at] as number) ^ x;
        try {
          verifyCsr(mutated);
          return false; // any change must be caught (structure, key, or signature)
        } catch (e) {
          return e instanceof DpclabError && e.status === 400;
        }
      }),
      { numRuns: 300 },
    );
  });
});
