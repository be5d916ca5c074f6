import { describe, expect, it } from "vitest";
import { SERIES } from "../../../fleet/metrics/index.js";
import { runFleet } from "../../../fleet/runner/index.js";

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

describe("a fleet's year (issue 4 §6)", () => {
  it("200 devices, both platforms, all three issuers, a simulated year with renewals and an issuer change: every device accounted for", async () => {
    const r = await runFleet({
      devices: 200,
      issuer: "mixed",
      seed: "fleet-year",
      lifetime: "120d",
      duration: "365d",
      issuerChange: "180d:entrust",
      churn: "lost:0.02,unenrol:0.02",
      workers: 2,
    });
    const o = r.outcome;
    console.log(`[fleet year] ${JSON.stringify(o)}`);
    expect(o.devices).toBe(200);
    expect(o.enrolled + o.renewed + sum(o.failed) + sum(o.retired)).toBe(200);
    expect(o.failed).toEqual({});
    expect(sum(o.retired)).toBeGreaterThan(0);
    expect(o.counts.ios).toBeGreaterThan(0);
    expect(o.counts.android).toBeGreaterThan(0);
    // the tenants moved to Entrust: everyone still in the fleet at the change enrolled again with it
    expect(o.counts["re-enrolments"]).toBeGreaterThan(100);
    expect(o.counts["issuer:entrust"]).toBeGreaterThan(190 - sum(o.retired));
    // renewals before the change (Purebred, Entrust, Intercede credentials at 80 % of 120 days) and after it
    const perDay = Object.entries(r.metrics.series[SERIES.renewalsPerSimDay] ?? {}).filter(([, row]) => (row.renewals ?? 0) > 0);
    const days = perDay.map(([d]) => Number(d) - Number(perDay[0]?.[0] ?? 0));
    expect(days.some((d) => d < 100)).toBe(true);
    expect(o.counts.renewals).toBeGreaterThan(200);
    expect(o.counts["profiles:failed"]).toBeUndefined();
  }, 300_000);
});
