import { describe, expect, it } from "vitest";
import { evaluateThresholds, FleetMetrics, parseThreshold } from "../../../fleet/metrics/index.js";
import { DpclabError } from "../../../src/errors.js";

describe("parseThreshold", () => {
  it("reads k6-style expressions, converting durations to ms and percents to fractions", () => {
    expect(parseThreshold("renew.p95<200ms")).toMatchObject({ metric: "renew", aggregation: { kind: "percentile", p: 95 }, op: "<", value: 200 });
    expect(parseThreshold("enrol.p99<=1.5s")).toMatchObject({ metric: "enrol", op: "<=", value: 1500 });
    expect(parseThreshold("errors.rate<0.01")).toMatchObject({ metric: "errors", aggregation: { kind: "rate" }, value: 0.01 });
    expect(parseThreshold("failed<5")).toMatchObject({ metric: "failed", aggregation: { kind: "value" }, value: 5 });
    expect(parseThreshold(" end-to-end.p(99.9) < 2m ")).toMatchObject({ metric: "end-to-end", aggregation: { p: 99.9 }, value: 120_000 });
    expect(parseThreshold("pki-auth.max<500us").value).toBeCloseTo(0.5);
    expect(parseThreshold("checks.rate>=99%").value).toBeCloseTo(0.99);
    expect(parseThreshold("failed:pin-incorrect===0")).toMatchObject({ metric: "failed:pin-incorrect", op: "==" });
    expect(parseThreshold("renew.med<100")).toMatchObject({ aggregation: { kind: "percentile", p: 50 }, value: 100 });
  });

  it.each([
    ["renew.p95", /no comparison operator/],
    ["renew.p95<<200ms", /"<200ms" is not a number/],
    ["renew.p95=>200", /"=>" is not an operator/],
    ["renew.p95<fast", /"fast" is not a number/],
    ["renew.p95<200 hours", /"200 hours" is not a number/],
    ["renew.p101<200", /"p101" is above 100/],
    ["renew.avgg<200", /unknown aggregation "avgg"/],
    ["1renew.p95<200", /"1renew" is not a metric name/],
    ["<200", /"" is not a metric name/],
    ["failed<5ms", /"ms" is a duration unit, but failed is not a latency/],
    ["renew.p95<5%", /"%" is not a duration unit/],
    ["checks.p95<5", /"checks" only supports .rate/],
  ])("rejects %s naming the bad part", (expr, why) => {
    let error: unknown;
    try {
      parseThreshold(expr);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DpclabError);
    expect((error as DpclabError).code).toBe("bad-threshold");
    expect((error as DpclabError).message).toMatch(why);
    expect((error as DpclabError).message).toContain(JSON.stringify(expr));
  });
});

describe("evaluateThresholds", () => {
  const m = new FleetMetrics();
  for (let i = 1; i <= 100; i++) m.recordLatency("renew", i); // p95 = 95 ms
  m.recordLatency("enrol", 1600);
  m.increment("devices", 200);
  m.increment("failed:pin-incorrect", 3);
  m.check("chain validates", true);
  m.check("chain validates", false);

  it("measures and compares each threshold", () => {
    const results = evaluateThresholds(
      ["renew.p95<200ms", "renew.p95<90", "enrol.p99<=1.5s", "errors.rate<0.01", "failed<5", "failed:card-blocked==0", "checks.rate>=0.5", "renew.count==100"],
      m.snapshot(),
    );
    expect(results.map((r) => [r.expression, r.ok])).toEqual([
      ["renew.p95<200ms", true],
      ["renew.p95<90", false],
      ["enrol.p99<=1.5s", false],
      ["errors.rate<0.01", false],
      ["failed<5", true],
      ["failed:card-blocked==0", true],
      ["checks.rate>=0.5", true],
      ["renew.count==100", true],
    ]);
    expect(results[0]!.actual).toBeCloseTo(95, 1);
    expect(results[0]!.unit).toBe("ms");
    expect(results[3]!.actual).toBeCloseTo(3 / 200);
    expect(results[4]!).toMatchObject({ actual: 3, unit: "count" });
  });

  it("breaches a latency threshold on a step that never ran instead of passing it vacuously", () => {
    const [r] = evaluateThresholds(["issue.p95<200ms"], m);
    expect(r).toMatchObject({ ok: false, actual: null, detail: "no samples for issue" });
  });
});
