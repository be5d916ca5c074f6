import { describe, expect, it } from "vitest";
import { issuerPublicOrigin } from "../../emulators/derived/public-url.js";
import type { IssuingAuthority } from "../../emulators/shared/index.js";
import { DpclabError } from "../../src/errors.js";

// Where issuers send devices (QR codes, enrolment URLs) comes from configuration only (issue 10 §9).

const authority = (caIssuersUrl?: string) =>
  ({ name: "entrust-ca", ca: { publication: caIssuersUrl ? { caIssuersUrl, ocspUrl: "", crlUrl: "" } : undefined } }) as unknown as IssuingAuthority;

describe("issuerPublicOrigin", () => {
  it("is the base the issuer CA publishes under (lab.json baseUrl), path kept, no trailing slash", () => {
    expect(issuerPublicOrigin(authority("http://127.0.0.1:7800/pki/aia/entrust-ca.p7c"))).toBe("http://127.0.0.1:7800");
    expect(issuerPublicOrigin(authority("http://lab.test/dpclab/pki/aia/entrust-ca.p7c"))).toBe("http://lab.test/dpclab");
  });

  it("a configured URL wins", () => {
    expect(issuerPublicOrigin(authority("http://127.0.0.1:7800/pki/aia/entrust-ca.p7c"), "https://issuer.test/")).toBe("https://issuer.test");
  });

  it("refuses what is not an absolute http(s) URL, and a CA that publishes nowhere", () => {
    expect(() => issuerPublicOrigin(authority("http://x/pki/aia/a.p7c"), "/relative")).toThrow(RangeError);
    expect(() => issuerPublicOrigin(authority("http://x/pki/aia/a.p7c"), "ftp://x")).toThrow(RangeError);
    expect(() => issuerPublicOrigin(authority())).toThrow(DpclabError);
  });
});
