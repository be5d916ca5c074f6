import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFECTS } from "../../emulators/derived/index.js";
import { activeHarness, defectsFor, expectFaithful, expectOnlyItsRulesFail, probeOutcome } from "./active-harness.js";

// The active suite against the in-process Entrust emulator: faithful, it passes every rule the suite evaluates; each
// defect knob that applies to Entrust makes exactly the rules it breaks fail (issue 5 §4: proven able to fail).
const h = activeHarness("entrust");
beforeAll(h.setup);
afterAll(h.teardown);

describe("dpclab conform --issuer entrust (in-process)", () => {
  it("the faithful emulator passes every rule it evaluates; the rest are not applicable with a reason", async () => {
    const { report, evidence } = await h.faithful();
    expectFaithful(report);
    expect(evidence.transcripts?.records.length).toBeGreaterThanOrEqual(evidence.credentials.length);
    // Every CERT row was judged on every credential, with the chain the issuer delivered.
    const pathTest = report.tests.find((t) => t.test === "T-CERT-01-2");
    expect(pathTest?.status).toBe("pass");
    for (const name of ["C1", "C3", "C5", "C6", "C1r"]) expect(pathTest?.detail).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it("what the faithful issuer answered to each probe", async () => {
    const { evidence } = await h.faithful();
    expect(probeOutcome(evidence, "secret-replay")).toBe("refused 409 secret-used");
    expect(probeOutcome(evidence, "secret-late")).toBe("refused 410 secret-expired");
    expect(probeOutcome(evidence, "same-key-renewal")).toBe("refused 409 key-reused");
    expect(probeOutcome(evidence, "terminated-enrolment")).toBe("refused 403 account-terminated");
    const lost = evidence.lifecycle.find((l) => l.trigger === "device-lost");
    expect(lost?.registry).toMatchObject({ status: "revoked", reason: "keyCompromise" });
    expect(lost?.ocsp).toMatchObject({ status: "revoked", reason: "keyCompromise" });
  });

  for (const defect of defectsFor("entrust")) {
    it(`--defect ${defect}: exactly ${DEFECTS[defect].rules.join(", ")} fail`, async () => {
      const { report, evidence } = await h.run([defect]);
      expectOnlyItsRulesFail(defect, report, (await h.faithful()).report);
      expect(report.evidence[0]?.description).toContain(`defects: ${defect}`);
      if (defect === "non-expiring-qr") expect(probeOutcome(evidence, "secret-late")).toBe("accepted");
      if (defect === "same-key-on-renewal") expect(probeOutcome(evidence, "same-key-renewal")).toBe("accepted");
    });
  }
});
