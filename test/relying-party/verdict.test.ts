import { describe, expect, it } from "vitest";
import { reasonFromText } from "../../emulators/relying-party/index.js";

// The refusal reason comes from the relying party's own words; these are lines the real servers printed.
describe("reasonFromText", () => {
  it.each([
    ["client SSL certificate verify error: certificate revoked while reading client request headers", "revoked"],
    ["eap_tls: ERROR: ocsp: Cert status: revoked", "revoked"],
    ["VERIFY ERROR: depth=0, error=certificate revoked: C=US, CN=X", "revoked"],
    ["OCSP: revoked (http://127.0.0.1:7911/pki/ocsp/entrust-ca); VERIFY SCRIPT ERROR: depth=0", "revoked"],
    ["VERIFY ERROR: depth=1, error=self-signed certificate in certificate chain", "untrusted"],
    ["client SSL certificate verify error: (20:unable to get local issuer certificate)", "untrusted"],
    ["verify error: unsupported certificate purpose", "wrong-key-usage"],
    ["certificate has expired", "expired"],
    ["recv() failed (111: Connection refused) while requesting certificate status, responder: 127.0.0.1", "status-unknown"],
    ["VERIFY ERROR: CRL not loaded", "status-unknown"],
    ["eap_tls: ERROR: (TLS) ocsp: Unable to check certificate, failing", "status-unknown"],
    ["something else entirely", "refused"],
  ])("%s → %s", (line, reason) => {
    expect(reasonFromText(line)).toBe(reason);
  });
});
