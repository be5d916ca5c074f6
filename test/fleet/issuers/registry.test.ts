import { describe, expect, it } from "vitest";
import { GRAPH_ISSUER, type IssuerName } from "../../../emulators/derived/index.js";
import { issuerWorkflow } from "../../../fleet/issuers/index.js";
import { DpclabError } from "../../../src/errors.js";

// The device side's issuer seam: one workflow per issuer, looked up by name.

describe("issuer workflow registry", () => {
  it("has a workflow for every issuer the tenant names, under that name", () => {
    for (const name of Object.keys(GRAPH_ISSUER) as IssuerName[]) expect(issuerWorkflow(name).name).toBe(name);
  });

  it("knows which workflow needs a registration agent and which rekeys without the kiosk", () => {
    const facts = (["purebred", "entrust", "intercede"] as const).map((n) => [n, issuerWorkflow(n).needsAgent, issuerWorkflow(n).rekey !== undefined]);
    expect(facts).toEqual([
      ["purebred", true, false],
      ["entrust", false, false],
      ["intercede", false, true],
    ]);
  });

  it("refuses a name it has no workflow for (even one on Object.prototype)", () => {
    for (const name of ["xTec", "__proto__", "toString"]) {
      const e = (() => {
        try {
          issuerWorkflow(name as IssuerName);
        } catch (error) {
          return error;
        }
      })();
      expect(e).toBeInstanceOf(DpclabError);
      expect((e as DpclabError).code).toBe("unknown-issuer");
    }
  });
});
