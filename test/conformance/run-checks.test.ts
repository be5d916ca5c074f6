import { describe, expect, it } from "vitest";
import { type Check, fail, pass, runChecks, shallFailures } from "../../src/conformance/index.js";

// The runner is evidence-agnostic: a later suite (issuer transcripts, lifecycle histories) brings its own evidence
// type and checks. These use a toy transcript to pin the folding rules and the exit-code rule.

interface Transcript {
  recheckAfterDays?: number;
  puk: boolean;
}

const at = new Date("2026-01-01T00:00:00Z");
const run = (checks: Check<Transcript>[], t: Transcript, edition: "2014" | "r1-ipd" | "r1-fpd" = "r1-fpd") =>
  runChecks(checks, t, { edition, evaluatedAt: at, evidence: [{ kind: "transcript", label: "toy", description: "a toy transcript" }] });

const recheck: Check<Transcript> = {
  id: "T-DC-ISS-06-1",
  rule: "DC-ISS-06",
  title: "revocation of the PIV Authentication certificate re-checked seven days after issuance",
  judge: (t) => (t.recheckAfterDays === 7 ? pass("re-checked on day 7") : fail("no 7-day recheck")),
};
const puk: Check<Transcript> = {
  id: "T-DC-ACT-04-1",
  rule: "DC-ACT-04",
  title: "a blocked secret is reset with the PUK",
  judge: (t) => (t.puk ? pass("reset with the PUK") : fail("no PUK")),
};

describe("runChecks", () => {
  it("a failed 'should' rule is reported but is not a 'shall' failure", () => {
    const report = run([recheck], { puk: true });
    expect(report.results).toEqual([{ id: "DC-ISS-06", status: "fail", detail: "no 7-day recheck" }]);
    expect(shallFailures(report)).toEqual([]);
  });

  it("strength follows the edition: DC-ACT-04 is 'shall' in the ipd and 'may' in the fpd", () => {
    expect(shallFailures(run([puk], { puk: false }, "r1-ipd")).map((r) => r.id)).toEqual(["DC-ACT-04"]);
    expect(shallFailures(run([puk], { puk: false }, "r1-fpd"))).toEqual([]);
  });

  it("a rule outside the edition is not applicable and its checks are not run", () => {
    const exploding: Check<Transcript> = { ...puk, judge: () => expect.unreachable("judged a 2014-absent rule") };
    const report = run([exploding], { puk: false }, "2014");
    expect(report.results[0]).toMatchObject({ id: "DC-ACT-04", status: "not-applicable", detail: expect.stringMatching(/2014/) });
  });

  it("a check that throws is a failure that says so, not a crash", () => {
    const broken: Check<Transcript> = { ...recheck, judge: () => JSON.parse("{") };
    expect(run([broken], { puk: true }).results[0]).toMatchObject({ status: "fail", detail: expect.stringMatching(/^could not be judged: /) });
  });

  it("folds a rule's tests: any fail fails it; pass needs one pass; all n/a is n/a", () => {
    const na: Check<Transcript> = { ...recheck, id: "T-DC-ISS-06-2", judge: () => ({ status: "not-applicable", detail: "needs more" }) };
    expect(run([recheck, na], { recheckAfterDays: 7, puk: true }).results[0]).toEqual({
      id: "DC-ISS-06",
      status: "pass",
      detail: "re-checked on day 7; needs more",
    });
    expect(run([na], { puk: true }).results[0]?.status).toBe("not-applicable");
    expect(run([recheck, na], { puk: true }).results[0]).toEqual({ id: "DC-ISS-06", status: "fail", detail: "no 7-day recheck" });
  });

  it("refuses a check of a rule the catalogue does not have", () => {
    expect(() => run([{ ...recheck, rule: "DC-XYZ-99" }], { puk: true })).toThrow(/not in the catalogue/);
  });
});
