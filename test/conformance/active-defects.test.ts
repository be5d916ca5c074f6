import { describe, expect, it } from "vitest";
import { DEFECT_NAMES, DEFECTS, type IssuerName, parseDefect } from "../../emulators/derived/index.js";
import { ruleById, strengthIn } from "../../src/conformance/index.js";
import type { DpclabError } from "../../src/errors.js";

// The defect knobs as data (emulators/derived/defects.ts): exactly the twelve names of issue 5 §4, each breaking
// catalogue rules, each usable only on the issuers it applies to.

describe("defect knobs", () => {
  it("are exactly the twelve names of issue 5 §4", () => {
    expect([...DEFECT_NAMES].sort()).toEqual(
      [
        "skip-status-check",
        "wrong-policy-oid",
        "reuse-card-uuid",
        "four-year-validity",
        "no-eku",
        "https-aia",
        "no-ocsp",
        "same-key-on-renewal",
        "no-seven-day-recheck",
        "no-revocation-on-termination",
        "reusable-otp",
        "non-expiring-qr",
      ].sort(),
    );
  });

  it('each breaks catalogue rules in r1-fpd, all "shall" except the seven-day recheck (DC-ISS-06) and no-eku (CERT-03a/b) ("should")', () => {
    for (const name of DEFECT_NAMES) {
      const strengths = DEFECTS[name].rules.map((id) => {
        const rule = ruleById(id);
        expect(rule, `${name}: ${id}`).toBeDefined();
        expect(rule?.editions, `${name}: ${id}`).toContain("r1-fpd");
        return rule ? strengthIn(rule, "r1-fpd") : undefined;
      });
      expect(strengths.includes("shall"), name).toBe(name !== "no-seven-day-recheck" && name !== "no-eku");
    }
  });

  it("apply to their issuers only: reusable-otp is Purebred's, non-expiring-qr Entrust's and Intercede's", () => {
    const usage = (name: string, issuer: IssuerName) => {
      try {
        parseDefect(name, issuer);
        return "ok";
      } catch (error) {
        return `${(error as DpclabError).code}: ${(error as Error).message}`;
      }
    };
    expect(usage("reusable-otp", "purebred")).toBe("ok");
    expect(usage("reusable-otp", "entrust")).toBe('usage: defect "reusable-otp" does not apply to entrust (it is a defect of purebred)');
    expect(usage("non-expiring-qr", "intercede")).toBe("ok");
    expect(usage("non-expiring-qr", "purebred")).toMatch(/^usage: .*does not apply to purebred \(it is a defect of entrust and intercede\)/);
    expect(usage("no-eku", "intercede")).toBe("ok");
    expect(usage("constructor", "entrust")).toMatch(/^usage: unknown defect "constructor"/);
  });
});
