import { beforeAll, describe, expect, it } from "vitest";
import { derChildren, derElement, derExpect, derOctetString, derOid, derSequence, derTlv } from "../../src/der.js";
import { createOcspRequest, OIDS, readOcspResponse, respondToOcsp } from "../../src/pki/index.js";
import type { X509Certificate } from "../../src/x509.js";
import { DAY, makePki, newSpki, T0, type TestPki } from "./helpers.js";

// RFC 6960 §4.4 / RFC 5280 §4.2: an OCSP answer carrying a critical extension the client does not understand gives
// no status (undetermined), whether the extension is on the response or on the single response; a non-critical one
// is ignored. The responses are the CA's own (respondToOcsp) with extensions added and signed again by the CA.

const NOW = new Date(T0.getTime() + DAY);
const UNKNOWN = "1.3.6.1.4.1.99999.7";

describe("readOcspResponse and extensions", () => {
  let pki: TestPki;
  let leaf: X509Certificate;

  beforeAll(async () => {
    pki = await makePki("p256");
    leaf = await pki.issuing.issue({
      subject: "C=US,O=DPCLAB TEST,CN=OCSP Leaf TEST",
      publicKey: await newSpki(),
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 300 * DAY),
      extensions: [],
    });
  });

  const ext = (oid: string, critical: boolean) =>
    derSequence(derOid(oid), ...(critical ? [Uint8Array.of(0x01, 0x01, 0xff)] : []), derOctetString(Uint8Array.of(0x05, 0x00)));

  /** The CA's answer with these response and single extensions, signed again by the CA. */
  async function answer(responseExts: Uint8Array[], singleExts: Uint8Array[]): Promise<Uint8Array> {
    const original = new Uint8Array(
      await respondToOcsp(new Uint8Array(createOcspRequest(leaf, pki.issuing.certificate)), { ca: pki.issuing, status: () => ({ status: "good" }) }, NOW),
    );
    // OCSPResponse { status, [0] { SEQUENCE { type, OCTET STRING BasicOCSPResponse } } }
    const outer = derExpect(original, 0, original.length, 0x30, "OCSPResponse");
    const [status, wrapped] = derChildren(original, outer);
    const [responseBytes] = derChildren(original, wrapped!);
    const [, octets] = derChildren(original, responseBytes!);
    const basic = original.subarray(octets!.body, octets!.end);
    const [tbs, alg, , certs] = derChildren(basic, derExpect(basic, 0, basic.length, 0x30, "BasicOCSPResponse"));
    const [responderId, producedAt, responses] = derChildren(basic, tbs!);
    const singles = derChildren(basic, responses!).map((single) => {
      const parts = derChildren(basic, single).map((p) => derElement(basic, p));
      return derSequence(...parts, ...(singleExts.length ? [derTlv(0xa1, derSequence(...singleExts))] : []));
    });
    const newTbs = derSequence(
      derElement(basic, responderId!),
      derElement(basic, producedAt!),
      derSequence(...singles),
      ...(responseExts.length ? [derTlv(0xa1, derSequence(...responseExts))] : []),
    );
    const signature = new Uint8Array(await pki.issuing.sign(newTbs));
    const newBasic = derSequence(newTbs, derElement(basic, alg!), derTlv(0x03, Uint8Array.of(0), signature), derElement(basic, certs!));
    return derSequence(derElement(original, status!), derTlv(0xa0, derSequence(derOid(OIDS.ocspBasic), derOctetString(newBasic))));
  }

  const read = (der: Uint8Array) => readOcspResponse(der, { cert: leaf, issuer: pki.issuing.certificate, now: NOW });

  it("the re-signed answer without extensions reads as good (the builder is sound)", async () => {
    expect(read(await answer([], [])).status).toEqual({ status: "good" });
  });

  it("a critical unknown response extension: undetermined (ocsp-invalid), named", async () => {
    const der = await answer([ext(UNKNOWN, true)], []);
    expect(() => read(der)).toThrow(expect.objectContaining({ code: "ocsp-invalid", message: expect.stringContaining(`critical extension ${UNKNOWN}`) }));
  });

  it("a critical unknown single extension: undetermined too", async () => {
    const der = await answer([], [ext(UNKNOWN, true)]);
    expect(() => read(der)).toThrow(/critical extension .* not understood/);
  });

  it("non-critical unknown extensions, and known ones even critical, are ignored", async () => {
    expect(read(await answer([ext(UNKNOWN, false)], [ext(UNKNOWN, false)])).status).toEqual({ status: "good" });
    expect(read(await answer([ext(OIDS.ocspExtendedRevoke, true)], [ext(OIDS.ocspArchiveCutoff, true)])).status).toEqual({ status: "good" });
  });
});
