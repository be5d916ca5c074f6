import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFECTS } from "../../emulators/derived/index.js";
import { activeHarness, defectsFor, expectFaithful, expectOnlyItsRulesFail, probeOutcome } from "./active-harness.js";

// The active suite against the in-process Purebred emulator: faithful, it passes every rule the suite evaluates; each
// defect knob that applies to Purebred makes exactly the rules it breaks fail (issue 5 §4: proven able to fail).
const h = activeHarness("purebred");
beforeAll(h.setup);
afterAll(h.teardown);

describe("dpclab conform --issuer purebred (in-process)", () => {
  it("the faithful emulator passes every rule it evaluates; the rest are not applicable with a reason", async () => {
    const { report, evidence } = await h.faithful();
    expectFaithful(report);
    // No remote rekey at Purebred: a renewal is a new agent-supervised enrolment.
    expect(report.results.find((r) => r.id === "DC-MNT-01")).toMatchObject({ status: "not-applicable", detail: expect.stringMatching(/no remote rekey/) });
    expect(evidence.credentials.map((c) => c.name)).toEqual(["C1", "C3", "C5", "C6", "C1r"]);
    expect(evidence.credentials.find((c) => c.name === "C1r")?.renews).toBe("C1");
  });

  it("what the faithful issuer answered to each probe", async () => {
    const { evidence } = await h.faithful();
    expect(probeOutcome(evidence, "revoked-card")).toBe("refused 401 pki-auth-failed:revoked");
    expect(probeOutcome(evidence, "unapproved-device")).toBe("refused 403 device-not-approved");
    expect(probeOutcome(evidence, "bad-proof-of-possession")).toBe("refused 400 csr-signature-invalid");
    expect(probeOutcome(evidence, "secret-replay")).toBe("refused 409 secret-used");
    expect(probeOutcome(evidence, "secret-late")).toBe("refused 410 secret-expired");
    expect(probeOutcome(evidence, "same-key-renewal")).toBe("refused 409 key-reused");
    expect(probeOutcome(evidence, "terminated-renewal")).toBe("refused 403 account-terminated");
    expect(probeOutcome(evidence, "rekey-wrong-proof")).toBe("not-run");
  });

  for (const defect of defectsFor("purebred")) {
    it(`--defect ${defect}: exactly ${DEFECTS[defect].rules.join(", ")} fail`, async () => {
      const { report, evidence } = await h.run([defect]);
      expectOnlyItsRulesFail(defect, report, (await h.faithful()).report);
      expect(report.evidence[0]?.description).toContain(`defects: ${defect}`);
      if (defect === "reusable-otp") expect(probeOutcome(evidence, "secret-replay")).toBe("accepted");
      if (defect === "skip-status-check") expect(probeOutcome(evidence, "revoked-card")).toBe("accepted");
    });
  }
});
