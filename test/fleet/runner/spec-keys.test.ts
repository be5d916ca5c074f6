import { describe, expect, it } from "vitest";
import { parseFaults, parsePopulation, parseSlips } from "../../../fleet/runner/fleet-options.js";
import { mergeOutcomes } from "../../../fleet/runner/outcome.js";
import { parseChurn } from "../../../fleet/workloads/index.js";
import { DpclabError } from "../../../src/errors.js";

// Issue 10 §1: a spec's key is the user's string. Looked up in an object literal, "constructor" found Object's own
// constructor: --faults constructor:0.5 was silently skipped and --population constructor:1 set a junk key.
const NAMES = ["constructor", "toString", "valueOf", "hasOwnProperty", "prototype"];

describe("fleet spec keys are looked up in Maps", () => {
  it("prototype names in --faults and --population are usage errors; in slips they are not slips", () => {
    for (const name of NAMES) {
      expect(() => parseFaults(`${name}:0.5`, "seed"), name).toThrow(DpclabError);
      expect(() => parsePopulation(`${name}:0.5`), name).toThrow(/bad --population part/);
      expect(() => parseChurn(`${name}:0.5`), name).toThrow(/bad --churn part/);
      expect(Object.keys(parseSlips(`${name}:0.5`))).toEqual(["pinTypo", "cardError", "slowUser"]);
    }
    expect(parseFaults("429:0.1,pin:0.2", "s")).toMatchObject({ rate429: 0.1 });
    expect(parsePopulation("hardware:0.5").hardware).toBe(0.5);
  });

  it("outcomes add up reasons named like prototype properties as plain counts", () => {
    // "__proto__" as an own key, as JSON from a worker or a server has it
    const parsed = { devices: 1, enrolled: 0, renewed: 0, failed: JSON.parse('{"constructor":1,"__proto__":2}'), retired: {}, counts: { toString: 3 } };
    const merged = mergeOutcomes([parsed, parsed]);
    expect(merged.failed).toEqual(JSON.parse('{"__proto__":4,"constructor":2}'));
    expect(Object.getOwnPropertyNames(merged.failed).sort()).toEqual(["__proto__", "constructor"]);
    expect(merged.counts.toString).toBe(6);
  });
});
