import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { DEFECT_NAMES, DEFECTS, type DefectName, type IssuerName } from "../../emulators/derived/index.js";
import { createSuiteLab, inProcessTarget, runActiveSuite } from "../../src/conformance/active/index.js";
import { type ActiveEvidence, type ConformanceReport, judgeIssuer, type ProbeId, type Status } from "../../src/conformance/index.js";

/**
 * Shared by the per-issuer active-suite tests: one lab (six SoftHSM cards, the slow part) per test file, copied for
 * every run; the faithful run's result set, against which each defect must flip exactly its rules to "fail".
 */
export function activeHarness(issuer: IssuerName) {
  let dir = "";
  let faithful: { evidence: ActiveEvidence; report: ConformanceReport } | undefined;
  const run = async (defects: DefectName[] = []): Promise<{ evidence: ActiveEvidence; report: ConformanceReport }> => {
    const target = await inProcessTarget({ issuer, defects, template: join(dir, "lab") });
    try {
      const evidence = await runActiveSuite(target);
      return { evidence, report: judgeIssuer(evidence, { edition: "r1-fpd", evaluatedAt: new Date("2026-06-01T00:00:00Z") }) };
    } finally {
      await target.close();
    }
  };
  return {
    setup: async () => {
      dir = mkdtempSync(join("/dev/shm", `dpclab-active-${issuer}-`));
      await createSuiteLab(join(dir, "lab"));
    },
    teardown: () => rmSync(dir, { recursive: true, force: true }),
    run,
    /** The faithful run, made once. */
    faithful: async (): Promise<{ evidence: ActiveEvidence; report: ConformanceReport }> => {
      faithful ??= await run();
      return faithful;
    },
  };
}

/** The knobs that apply to an issuer (reusable-otp is Purebred's, non-expiring-qr Entrust's and Intercede's). */
export function defectsFor(issuer: IssuerName): DefectName[] {
  return DEFECT_NAMES.filter((d) => (DEFECTS[d].issuers as readonly IssuerName[]).includes(issuer));
}

export function statuses(report: ConformanceReport): Record<string, Status> {
  return Object.fromEntries(report.results.map((r) => [r.id, r.status]));
}

/** Exactly the defect's rules flip to "fail"; every other rule keeps its faithful status. */
export function expectOnlyItsRulesFail(defect: DefectName, report: ConformanceReport, faithful: ConformanceReport): void {
  const rules: readonly string[] = DEFECTS[defect].rules;
  const expected = Object.fromEntries(Object.entries(statuses(faithful)).map(([id, s]) => [id, rules.includes(id) ? "fail" : s]));
  expect(statuses(report)).toEqual(expected);
  for (const r of report.results.filter((x) => x.status === "fail")) expect(r.detail.length, r.id).toBeGreaterThan(10);
}

/** What the faithful emulators must pass whichever issuer: the rules the suite evaluates from any issuer in-process. */
export const ALWAYS_EVALUATED = [
  "DC-ISS-01",
  "DC-ISS-02",
  "DC-ISS-04",
  "DC-ISS-05",
  "DC-ISS-06",
  "DC-ISS-08",
  "DC-ISS-09",
  "DC-ISS-12",
  "DC-LNK-01",
  "DC-LNK-02",
  "DC-MNT-03",
  "DC-MNT-06",
  "DC-TRM-01",
  "DC-TRM-02",
  "DC-TRM-03",
  "DC-TRM-04",
  "DC-TRM-06",
  "DC-KEY-01",
  "DC-LIFE-02",
  ...Array.from({ length: 14 }, (_, i) => `CERT-${String(i + 1).padStart(2, "0")}`),
];

/** How the issuer answered a probe: "refused <status> <code>", "accepted" or "not-run". */
export function probeOutcome(evidence: ActiveEvidence, id: ProbeId): string {
  const o = evidence.probes.find((p) => p.id === id)?.outcome;
  if (!o) return "absent";
  return o.result === "refused" ? `refused ${o.status} ${o.code}` : o.result;
}

/** The faithful run: no rule fails, the expected ones pass, and every not-applicable one says why. */
export function expectFaithful(report: ConformanceReport, alsoPass: string[] = []): void {
  const s = statuses(report);
  expect(report.results.filter((r) => r.status === "fail")).toEqual([]);
  for (const id of [...ALWAYS_EVALUATED, ...alsoPass]) expect(s[id], id).toBe("pass");
  for (const r of report.results.filter((x) => x.status === "not-applicable")) expect(r.detail, r.id).toMatch(/\w{4,}/);
}
