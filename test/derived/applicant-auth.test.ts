import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pivCaHandler } from "../../emulators/piv-ca/index.js";
import { inProcessFetch } from "../../emulators/shared/index.js";
import { DAY_MS } from "../../src/clock.js";
import { verifyPkiAuthResponse } from "../../src/piv/index.js";
import { createHttpRevocationChecker } from "../../src/pki/index.js";
import { refusal } from "../helpers/refusal.js";
import { authenticate, certOf, type DerivedLab, makeDerivedLab, signChallenge } from "./lab.js";

// The issuer's kiosk PKI-AUTH (DC-ISS-04, DC-LNK-01..03, DC-ISS-05) over real SoftHSM cards: the kiosk only runs the
// verifier half (verifyPkiAuthResponse); the card holder's side signs the challenge after the PIN.

const START = new Date("2026-02-01T00:00:00Z");
const NOW = new Date(START.getTime() + DAY_MS);
const GOOD = 0;
const REVOKED = 1;
const TERMINATED = 2;
let l: DerivedLab;

beforeAll(async () => {
  l = await makeDerivedLab({ cards: 3, seed: "applicant-auth", start: START });
});
afterAll(async () => {
  await l?.close();
});
beforeEach(() => l.clock.set(NOW));

describe("ApplicantAuthenticator (kiosk PKI-AUTH)", () => {
  it("authenticates a good card: the session names the card, the active account and keeps the 9A certificate (DC-ISS-05)", async () => {
    const session = await authenticate(l, GOOD);
    expect(session.cardIndex).toBe(GOOD);
    expect(session.account.status).toBe("active");
    expect(session.pivAuthCertificate.serialNumber.toLowerCase()).toBe(l.deck[GOOD]?.certificates["9A"]);
    expect(session.authenticatedAt.toISOString()).toBe(NOW.toISOString());
    expect(l.authenticator.session(session.id)).toBe(session);
    l.clock.advance(16 * 60_000);
    expect((await refusal(Promise.resolve().then(() => l.authenticator.session(session.id)))).code).toBe("session-expired");
  });

  it("refuses a revoked card → pki-auth-failed:revoked (401), by OCSP at the card issuer", async () => {
    l.cardIssuer.revokeCard(REVOKED, "keyCompromise");
    const e = await refusal(authenticate(l, REVOKED));
    expect([e.code, e.status]).toEqual(["pki-auth-failed:revoked", 401]);
    expect(e.message).toContain("per OCSP");
  });

  it("refuses a card whose PIV identity account is terminated, although its certificate is good → account-terminated (403, DC-LNK-03)", async () => {
    l.cardIssuer.terminateAccount(TERMINATED);
    const e = await refusal(authenticate(l, TERMINATED));
    expect([e.code, e.status]).toEqual(["account-terminated", 403]);
  });

  it("refuses a signature over another challenge → pki-auth-failed:challenge-signature-invalid", async () => {
    const ch = l.authenticator.challenge();
    const submission = signChallenge(l, GOOD, ch, (b) => b.map((x) => x ^ 0xff));
    const e = await refusal(l.authenticator.authenticate(submission));
    expect([e.code, e.status]).toEqual(["pki-auth-failed:challenge-signature-invalid", 401]);
  });

  it("refuses a reused challenge (single use), an unknown one and an expired one", async () => {
    const ch = l.authenticator.challenge();
    const submission = signChallenge(l, GOOD, ch);
    await l.authenticator.authenticate(submission);
    expect((await refusal(l.authenticator.authenticate(submission))).code).toBe("pki-auth-failed:challenge-unknown");
    expect((await refusal(l.authenticator.authenticate({ ...submission, challengeId: "nope" }))).code).toBe("pki-auth-failed:challenge-unknown");
    const late = l.authenticator.challenge();
    const lateSubmission = signChallenge(l, GOOD, late);
    l.clock.advance(5 * 60_000);
    expect((await refusal(l.authenticator.authenticate(lateSubmission))).code).toBe("pki-auth-failed:challenge-expired");
  });

  it("refuses the 9A certificate of one card with the signature of another card (cert/key mismatch)", async () => {
    const ch = l.authenticator.challenge();
    const mine = signChallenge(l, GOOD, ch);
    const theirs = signChallenge(l, TERMINATED, ch);
    const e = await refusal(l.authenticator.authenticate({ ...mine, signature: theirs.signature }));
    expect(e.code).toBe("pki-auth-failed:challenge-signature-invalid");
  });

  it("answers malformed submissions with 4xx, never a crash", async () => {
    const bad: unknown[] = [
      undefined,
      {},
      { challengeId: 1, certificate: "", signature: "" },
      { challengeId: "x", certificate: "!!!", signature: "AAAA" },
      { challengeId: l.authenticator.challenge().challengeId, certificate: "AAAA", signature: "AAAA" },
      { challengeId: "x", certificate: "A".repeat(100_000), signature: "AAAA" },
    ];
    for (const b of bad) {
      const e = await refusal(l.authenticator.authenticate(b as never));
      expect(e.status, e.code).toBeGreaterThanOrEqual(400);
      expect(e.status, e.code).toBeLessThan(500);
    }
    // a well-formed certificate that is not a PIV Auth certificate of this PKI
    const ch = l.authenticator.challenge();
    const good = signChallenge(l, GOOD, ch);
    const caCert = Buffer.from(l.cardIssuer.pivCa.certificate.rawData).toString("base64");
    expect((await refusal(l.authenticator.authenticate({ ...good, certificate: caCert }))).code).toMatch(/^pki-auth-failed:/);
  });
});

describe("verifyPkiAuthResponse (the verifier half, src/piv)", () => {
  it("accepts raw and DER ECDSA signatures and reports the card's FASC-N/UUID and the revocation source", async () => {
    const ch = l.authenticator.challenge();
    const s = signChallenge(l, GOOD, ch);
    const common = {
      certificate: certOf(s.certificate),
      challenge: new Uint8Array(Buffer.from(ch.challenge, "base64")),
      trustAnchors: [l.cardIssuer.root.certificate],
      intermediates: [l.cardIssuer.pivCa.certificate],
      revocation: createHttpRevocationChecker(inProcessFetch(pivCaHandler(l.cardIssuer))),
      clock: l.clock,
    };
    const raw = new Uint8Array(Buffer.from(s.signature, "base64"));
    const r = await verifyPkiAuthResponse({ ...common, signature: raw });
    expect(r).toMatchObject({ ok: true, fascn: l.deck[GOOD]?.fascn, cardUuid: l.deck[GOOD]?.cardUuid, revocationSource: "ocsp" });
    const { derEcdsaSignature } = await import("../../src/pki/index.js");
    expect((await verifyPkiAuthResponse({ ...common, signature: derEcdsaSignature(raw) })).ok).toBe(true);
    expect(await verifyPkiAuthResponse({ ...common, signature: new Uint8Array(64) })).toMatchObject({ ok: false, reason: "challenge-signature-invalid" });
    expect(await verifyPkiAuthResponse({ ...common, challenge: new Uint8Array(4), signature: raw })).toMatchObject({ ok: false });
    // a derived-policy requirement the PIV Auth certificate does not meet
    expect(await verifyPkiAuthResponse({ ...common, signature: raw, requiredPolicyOids: ["2.16.840.1.101.3.2.1.3.40"] })).toMatchObject({
      ok: false,
      reason: "policy",
    });
  });
});
