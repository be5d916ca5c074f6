import { describe, expect, it } from "vitest";
import { DEFAULT_SHARE, parseRelyingParties, relyingPartiesOf } from "../../../fleet/relying-parties/index.js";
import { planFleet } from "../../../fleet/runner/index.js";
import { DpclabError } from "../../../src/errors.js";

const usage = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(DpclabError);
    expect((error as DpclabError).code).toBe("usage");
    return (error as Error).message;
  }
  throw new Error("expected a usage error");
};

describe("--relying-parties spec", () => {
  it("reads kinds with their shares; a kind without one takes the list's last share, else the default", () => {
    expect(parseRelyingParties(undefined)).toBeUndefined();
    expect([...parseRelyingParties("wifi,app")!]).toEqual([
      ["wifi", DEFAULT_SHARE],
      ["app", DEFAULT_SHARE],
    ]);
    expect([...parseRelyingParties("wifi,vpn,app,smime:0.2")!]).toEqual([
      ["wifi", 0.2],
      ["vpn", 0.2],
      ["app", 0.2],
      ["smime", 0.2],
    ]);
    expect([...parseRelyingParties("wifi:1,vpn,app:0.05")!]).toEqual([
      ["wifi", 1],
      ["vpn", 0.05],
      ["app", 0.05],
    ]);
  });

  it("refuses unknown kinds, repeats, empty items and shares outside (0, 1] with one line naming what is wrong", () => {
    expect(usage(() => parseRelyingParties("wifi,radius"))).toMatch(/unknown kind "radius"/);
    expect(usage(() => parseRelyingParties("constructor"))).toMatch(/unknown kind "constructor"/);
    expect(usage(() => parseRelyingParties("__proto__:0.5"))).toMatch(/unknown kind/);
    expect(usage(() => parseRelyingParties("wifi,wifi"))).toMatch(/names wifi twice/);
    expect(usage(() => parseRelyingParties("wifi,,app"))).toMatch(/empty item/);
    expect(usage(() => parseRelyingParties(""))).toMatch(/empty item/);
    for (const share of ["0", "1.5", "-0.1", "abc", "1e-3", "NaN", "Infinity", "0x1", ""])
      expect(
        usage(() => parseRelyingParties(`wifi:${share}`)),
        share,
      ).toMatch(/share|malformed/);
    expect(usage(() => parseRelyingParties("wifi:0.1:2"))).toMatch(/malformed/);
  });

  it("draws each device's relying parties from (seed, device) alone: stable, near the share, S/MIME on iOS only", () => {
    const shares = parseRelyingParties("wifi:0.25,vpn:0.5,app:1,smime:1")!;
    const n = 2000;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const kinds = relyingPartiesOf(shares, "spec-seed", i, i % 2 ? "ios" : "android");
      expect(relyingPartiesOf(shares, "spec-seed", i, i % 2 ? "ios" : "android")).toEqual(kinds);
      if (i % 2 === 0) expect(kinds).not.toContain("smime");
      for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.get("app")).toBe(n);
    expect(counts.get("smime")).toBe(n / 2);
    expect(counts.get("wifi")! / n).toBeGreaterThan(0.2);
    expect(counts.get("wifi")! / n).toBeLessThan(0.3);
    expect(counts.get("vpn")! / n).toBeGreaterThan(0.45);
    expect(counts.get("vpn")! / n).toBeLessThan(0.55);
    // Adding a kind leaves the others' samples alone.
    const fewer = parseRelyingParties("wifi:0.25")!;
    for (let i = 0; i < 200; i++)
      expect(relyingPartiesOf(fewer, "spec-seed", i, "ios").includes("wifi")).toBe(relyingPartiesOf(shares, "spec-seed", i, "ios").includes("wifi"));
  });

  it("is refused with several workers, and with --issuer-change over mixed tenants; the replay command keeps it", () => {
    expect(usage(() => planFleet({ devices: 4, workers: 2, relyingParties: "wifi" }))).toMatch(/one worker/);
    expect(usage(() => planFleet({ devices: 4, issuerChange: "10d:purebred", relyingParties: "app" }))).toMatch(/needs one --issuer/);
    const plan = planFleet({ devices: 4, issuer: "entrust", issuerChange: "10d:purebred", relyingParties: "app:0.5" });
    expect([...plan.relyingParties!]).toEqual([["app", 0.5]]);
  });
});
