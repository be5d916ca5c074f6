import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFECTS } from "../../emulators/derived/index.js";
import { activeHarness, defectsFor, expectFaithful, expectOnlyItsRulesFail, probeOutcome } from "./active-harness.js";

// The active suite against the in-process Intercede MyID emulator: faithful, it passes every rule the suite evaluates
// (its remote rekey too: DC-MNT-01, DC-MNT-04); each defect knob that applies to Intercede makes exactly the rules it
// breaks fail (issue 5 §4: proven able to fail).
const h = activeHarness("intercede");
beforeAll(h.setup);
afterAll(h.teardown);

describe("dpclab conform --issuer intercede (in-process)", () => {
  it("the faithful emulator passes every rule it evaluates; the rest are not applicable with a reason", async () => {
    const { report, evidence } = await h.faithful();
    expectFaithful(report, ["DC-MNT-01", "DC-MNT-04"]);
    expect(evidence.credentials.find((c) => c.name === "C2")?.renews).toBe("C1");
    expect(evidence.lifecycle.find((l) => l.trigger === "rekeyed")?.registry).toMatchObject({ status: "revoked", reason: "superseded" });
  });

  it("what the faithful issuer answered to each probe, rekeys included", async () => {
    const { evidence } = await h.faithful();
    expect(probeOutcome(evidence, "secret-replay")).toBe("refused 409 secret-used");
    expect(probeOutcome(evidence, "secret-late")).toBe("refused 410 secret-expired");
    expect(probeOutcome(evidence, "rekey-wrong-proof")).toBe("refused 401 rekey-proof-invalid");
    expect(probeOutcome(evidence, "rekey-other-keystore")).toBe("refused 409 device-mismatch");
    expect(probeOutcome(evidence, "same-key-renewal")).toBe("refused 409 key-reused");
    expect(probeOutcome(evidence, "terminated-renewal")).toBe("refused 409 credential-revoked");
  });

  for (const defect of defectsFor("intercede")) {
    it(`--defect ${defect}: exactly ${DEFECTS[defect].rules.join(", ")} fail`, async () => {
      const { report, evidence } = await h.run([defect]);
      expectOnlyItsRulesFail(defect, report, (await h.faithful()).report);
      expect(report.evidence[0]?.description).toContain(`defects: ${defect}`);
      if (defect === "same-key-on-renewal") expect(probeOutcome(evidence, "same-key-renewal")).toBe("accepted");
      // The rekey still refuses the terminated cardholder, now because of the account rather than a revoked credential.
      if (defect === "no-revocation-on-termination") expect(probeOutcome(evidence, "terminated-renewal")).toBe("refused 403 account-terminated");
    });
  }
});
