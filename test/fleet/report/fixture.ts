import { evaluateThresholds, FleetMetrics, SERIES, simDay } from "../../../fleet/metrics/index.js";
import type { RunResult } from "../../../fleet/report/index.js";

export const HOSTILE = `</td><script>alert("x")</script><img src="http://evil.test/x.png"> & ' \u0001`;
const DAY = 86_400_000;

/** A small deterministic PRNG, so a "run" is a function of its seed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * A fake run: outcome counts depend only on the seed; latencies and wall times also depend on `jitter`, as real
 * timings do between two runs with the same seed. Two workers' snapshots are merged as the runner will.
 */
export function fakeRun(seed: number, opts: { jitter?: number; thresholds?: string[]; hostile?: boolean } = {}): RunResult {
  const outcomeRandom = lcg(seed);
  const timing = lcg(seed * 31 + (opts.jitter ?? 0) + 1);
  const wallStart = Date.UTC(2026, 4, 1, 12, 0, 0) + (opts.jitter ?? 0) * 1000;
  const simStart = Date.UTC(2026, 0, 1);
  const main = new FleetMetrics();
  const devices = 300;
  let enrolled = 0;
  let renewed = 0;
  const failed: Record<string, number> = {};
  for (let w = 0; w < 2; w++) {
    const m = new FleetMetrics();
    for (let d = w; d < devices; d += 2) {
      m.increment("devices");
      const t = wallStart + Math.floor(timing() * 8000);
      if (outcomeRandom() < 0.03) {
        const reason = opts.hostile && d === 0 ? HOSTILE : outcomeRandom() < 0.5 ? "pin-incorrect" : "http-503-exhausted";
        m.increment(`failed:${reason}`);
        failed[reason] = (failed[reason] ?? 0) + 1;
        continue;
      }
      m.recordLatency("pki-auth", 5 + timing() * 20, t);
      m.recordLatency("enrol", 40 + timing() * 200, t);
      m.recordLatency("issue", 3 + timing() * 10, t);
      m.recordLatency("profile-apply", 1 + timing() * 4, t);
      m.increment("enrolled");
      enrolled++;
      m.check("chain validates", true);
      m.check("key usage fits profile", outcomeRandom() > 0.01);
      const renewDay = 292 + Math.floor(outcomeRandom() * 20);
      m.recordLatency("renew", 60 + timing() * 120, t + 500);
      m.recordLatency("end-to-end", 120 + timing() * 400, t + 500);
      m.series(SERIES.renewalsPerSimDay).tally(simDay(simStart + renewDay * DAY), "renewals");
      m.increment("renewed");
      renewed++;
    }
    for (let day = 0; day <= 400; day += 10) {
      const state = m.series(SERIES.fleetStatePerSimDay);
      const bucket = simDay(simStart + day * DAY);
      state.sample(bucket, "enrolled", day < 292 ? 140 : 145);
      state.sample(bucket, "renewal-due", day >= 292 && day < 312 ? 40 : 0);
      state.sample(bucket, "failed", 4);
    }
    main.mergeSnapshot(JSON.parse(JSON.stringify(m.snapshot())));
  }
  const metrics = main.snapshot();
  const thresholds = opts.thresholds ?? ["renew.p95<200ms", "enrol.p99<=1.5s", "errors.rate<0.01", "failed<50"];
  return {
    seed,
    command: `dpclab fleet run --devices ${devices} --seed ${seed} --duration 400d${opts.hostile ? ` --threshold '${HOSTILE}'` : ""}`,
    options: { devices, duration: "400d", workers: 2 },
    wall: { startedAt: new Date(wallStart).toISOString(), finishedAt: new Date(wallStart + 9_000).toISOString() },
    simulated: { start: new Date(simStart).toISOString(), end: new Date(simStart + 400 * DAY).toISOString() },
    outcome: { devices, enrolled, renewed, failed, retired: {}, counts: { android: 120, ios: 180 } },
    metrics,
    thresholds: evaluateThresholds(thresholds, metrics).map((t) => (opts.hostile ? { ...t, expression: `${t.expression} ${HOSTILE}` } : t)),
  };
}
