import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildCcc, buildChuid, buildDiscovery, decodeTlvs, encodeTlv, parseChuid, parseFascnDigits, verifyChuidSignature } from "../../src/piv/index.js";
import type { KeyAlgorithm } from "../../src/pki/algorithms.js";
import { testIssuer } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "dpclab-chuid-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fascn = parseFascnDigits("99999999000001010000123456119999".slice(0, 32));
const guid = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

describe("CHUID", () => {
  for (const alg of ["p256", "p384", "rsa2048"] as KeyAlgorithm[]) {
    it(`builds, parses and verifies a ${alg}-signed CHUID, and openssl cms accepts it`, async () => {
      const issuer = await testIssuer(alg);
      const chuid = await buildChuid({ fascn, guid, expiration: new Date("2031-06-30T12:00:00Z") }, issuer.signer);
      expect([...decodeTlvs(chuid).map((t) => t.tag)]).toEqual([0x30, 0x34, 0x35, 0x3e, 0xfe]);
      const parsed = parseChuid(chuid);
      expect(parsed.fascn).toEqual(fascn);
      expect(parsed.guid).toBe(guid);
      expect(parsed.expiration).toBe("20310630");
      expect(await verifyChuidSignature(chuid)).toBe(true);
      expect(await verifyChuidSignature(chuid, issuer.certificate)).toBe(true);
      // also inside the 53 GET DATA envelope
      expect(await verifyChuidSignature(encodeTlv(0x53, chuid))).toBe(true);

      // tampering with a signed field breaks the messageDigest
      const tampered = Uint8Array.from(chuid);
      tampered[30] = (tampered[30] as number) ^ 1; // inside the GUID
      expect(await verifyChuidSignature(tampered)).toBe(false);
      // another signer is not trusted
      const other = await testIssuer(alg);
      expect(await verifyChuidSignature(chuid, other.certificate)).toBe(false);

      // openssl: an independent implementation of CMS
      const sig = join(dir, `${alg}.p7`);
      const content = join(dir, `${alg}.bin`);
      const ca = join(dir, `${alg}.pem`);
      writeFileSync(sig, parsed.signature);
      writeFileSync(content, parsed.signedContent);
      writeFileSync(ca, issuer.certificate.toString("pem"));
      const ok = (args: string[]) => execFileSync("openssl", args, { stdio: "pipe" }).toString();
      ok(["cms", "-verify", "-inform", "DER", "-in", sig, "-binary", "-content", content, "-noverify", "-out", "/dev/null"]);
      ok(["cms", "-verify", "-inform", "DER", "-in", sig, "-binary", "-content", content, "-CAfile", ca, "-purpose", "any", "-out", "/dev/null"]);
      writeFileSync(content, Buffer.concat([parsed.signedContent, Buffer.from([0])]));
      expect(() => ok(["cms", "-verify", "-inform", "DER", "-in", sig, "-binary", "-content", content, "-noverify", "-out", "/dev/null"])).toThrow();
    });
  }
});

describe("CCC and Discovery", () => {
  it("encodes the 73-4 layouts", () => {
    const ccc = buildCcc(new Uint8Array(14));
    expect(Buffer.from(ccc).toString("hex")).toBe(`f015a000000116ff02${"00".repeat(14)}f10121f20121f300f40100f50110f600f700fa00fb00fc00fd00fe00`);
    expect(Buffer.from(buildDiscovery()).toString("hex")).toBe("7e124f0ba0000003080000100001005f2f024000");
  });
});
