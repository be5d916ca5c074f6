import { describe, expect, it } from "vitest";
import { FleetMetrics, Histogram, SERIES, simDay } from "../../../fleet/metrics/index.js";

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

function worker(offset: number): FleetMetrics {
  const m = new FleetMetrics();
  for (let i = 0; i < 100; i++) {
    m.recordLatency("renew", 10 + ((i * 7 + offset) % 90), T0 + (i % 3) * 1000);
    m.recordLatency("enrol", 50 + i + offset);
  }
  m.increment("devices", 50);
  m.increment("enrolled", 48);
  m.increment("failed:pin-incorrect", 1 + offset);
  m.increment("failed:card-blocked");
  m.check("chain validates", true);
  m.check("chain validates", offset === 0);
  m.series(SERIES.renewalsPerSimDay).tally(simDay(T0 + 300 * DAY), "renewals", 10 + offset);
  m.series(SERIES.fleetStatePerSimDay).sample(simDay(T0), "enrolled", 48);
  return m;
}

describe("FleetMetrics", () => {
  it("merges worker snapshots by adding histograms, counters, checks and series", () => {
    const a = worker(0);
    const b = worker(1);
    const main = new FleetMetrics();
    main.mergeSnapshot(JSON.parse(JSON.stringify(a.snapshot())));
    main.mergeSnapshot(JSON.parse(JSON.stringify(b.snapshot())));

    const direct = new Histogram().merge(a.latency("renew")!).merge(b.latency("renew")!);
    expect(main.latency("renew")!.percentile(95)).toBe(direct.percentile(95));
    expect(main.latency("renew")!.count).toBe(200);
    expect(main.steps()).toEqual(["enrol", "renew"]); // flow order, not alphabetical
    expect(main.counter("devices")).toBe(100);
    expect(main.counter("failed")).toBe(1 + 2 + 2); // a family without its own counter sums its members
    expect(main.failuresByReason()).toEqual({ "card-blocked": 2, "pin-incorrect": 3 });
    expect(main.checks()).toEqual({ "chain validates": { passes: 3, fails: 1 } });
    expect(main.series(SERIES.renewalsPerSimDay).value(simDay(T0 + 300 * DAY), "renewals")).toBe(21);
    expect(main.series(SERIES.fleetStatePerSimDay).value(simDay(T0), "enrolled")).toBe(96);
    const perSecond = main.latencyOverTime("renew");
    expect([...perSecond.keys()]).toEqual([T0 / 1000, T0 / 1000 + 1, T0 / 1000 + 2]);
    expect([...perSecond.values()].reduce((n, h) => n + h.count, 0)).toBe(200);
  });

  it("snapshots are plain, stable JSON", () => {
    const s = worker(0).snapshot();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(JSON.stringify(worker(0).snapshot())).toBe(JSON.stringify(s));
    expect(FleetMetrics.fromSnapshot(s).snapshot()).toEqual(s);
  });

  it("refuses a snapshot of another version", () => {
    expect(() => new FleetMetrics().mergeSnapshot({ ...worker(0).snapshot(), version: 2 as 1 })).toThrow(/version/);
  });
});
