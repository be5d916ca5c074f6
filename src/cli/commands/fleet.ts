import { join } from "node:path";
import { SERIES } from "../../../fleet/metrics/index.js";
import type { RunResult } from "../../../fleet/report/index.js";
import { runPassed, summaryText, writeReport } from "../../../fleet/report/index.js";
import { type FleetOptions, type IssuerChoice, PRESETS, runFleet } from "../../../fleet/runner/index.js";
import { DpclabError } from "../../errors.js";
import { intFlag, parseFlags } from "../args.js";
import { progressBar } from "../progress.js";

// The presets are the workload registry's (fleet/workloads), so a new one shows here.
const USAGE =
  "dpclab fleet run [--dir D] --devices N [--mix ios:60,android:40] [--issuer entrust|purebred|intercede|mixed] [--lifetime 365d] [--duration 400d] [--seed S] [--arrival-rate R] " +
  `[--preset ${PRESETS.filter((p) => p !== "none").join("|")}] [--transport inprocess|http] [--url URL] [--store memory|sqlite] [--ride-out 60s] [--workers K] [--faults SPEC] [--churn lost:R,unenrol:R] ` +
  "[--population SPEC] [--issuer-change 200d:ISSUER] [--relying-parties wifi,vpn,app,smime[:SHARE]] [--threshold EXPR]... [--report DIR]";

/**
 * `dpclab fleet run`: a simulated fleet lives through its credentials' lifetime on a virtual clock (in-process, on
 * `--workers K` threads: default 1), prints a k6-style summary, writes the report files, and exits 1 when a threshold is breached.
 */
export async function fleetCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "run") throw new DpclabError(`${sub === undefined ? "a subcommand is required" : `unknown subcommand "${sub}"`} (usage: ${USAGE})`, "usage");
  const { values, positionals } = parseFlags(
    rest,
    {
      dir: { type: "string" },
      devices: { type: "string" },
      mix: { type: "string" },
      issuer: { type: "string" },
      lifetime: { type: "string" },
      duration: { type: "string" },
      seed: { type: "string" },
      "arrival-rate": { type: "string" },
      faults: { type: "string" },
      threshold: { type: "string", multiple: true },
      report: { type: "string" },
      preset: { type: "string" },
      transport: { type: "string" },
      url: { type: "string" },
      store: { type: "string" },
      "ride-out": { type: "string" },
      workers: { type: "string" },
      churn: { type: "string" },
      population: { type: "string" },
      "issuer-change": { type: "string" },
      "relying-parties": { type: "string" },
    },
    USAGE,
  );
  if (positionals.length) throw new DpclabError(`unexpected argument "${positionals[0]}" (usage: ${USAGE})`, "usage");
  const devices = intFlag(values.devices, "--devices", { min: 1, max: 100_000 });
  const workers = values.workers === undefined ? undefined : intFlag(values.workers, "--workers", { min: 1, max: devices });
  let arrivalRate: number | undefined;
  if (values["arrival-rate"] !== undefined) {
    arrivalRate = Number(values["arrival-rate"]);
    if (!/^\d+(\.\d+)?(e-?\d+)?$/i.test(values["arrival-rate"]) || !(arrivalRate > 0))
      throw new DpclabError(`--arrival-rate must be a positive number of arrivals per second (got "${values["arrival-rate"]}")`, "usage");
  }

  return runFleetAndReport(
    {
      devices,
      ...(values.mix !== undefined ? { mix: values.mix } : {}),
      ...(values.issuer !== undefined ? { issuer: values.issuer as IssuerChoice } : {}),
      ...(values.lifetime !== undefined ? { lifetime: values.lifetime } : {}),
      ...(values.duration !== undefined ? { duration: values.duration } : {}),
      ...(values.seed !== undefined ? { seed: values.seed } : {}),
      ...(arrivalRate !== undefined ? { arrivalRate } : {}),
      ...(values.faults !== undefined ? { faults: values.faults } : {}),
      ...(values.churn !== undefined ? { churn: values.churn } : {}),
      ...(values.population !== undefined ? { population: values.population } : {}),
      ...(values["issuer-change"] !== undefined ? { issuerChange: values["issuer-change"] } : {}),
      ...(values["relying-parties"] !== undefined ? { relyingParties: values["relying-parties"] } : {}),
      ...(values.preset !== undefined ? { preset: values.preset } : {}),
      ...(values.transport !== undefined ? { transport: values.transport } : {}),
      ...(values.url !== undefined ? { url: values.url } : {}),
      ...(values.store !== undefined ? { store: values.store } : {}),
      ...(values["ride-out"] !== undefined ? { rideOut: values["ride-out"] } : {}),
      ...(values.dir !== undefined ? { dir: values.dir } : {}),
      ...(workers !== undefined ? { workers } : {}),
      thresholds: values.threshold ?? [],
    },
    values.report,
  );
}

/**
 * Runs a fleet with a progress bar, prints the k6-style summary and renewals per day, writes the report files when
 * asked; 0 when every threshold held and a served lab stayed up, else 1.
 */
export async function runFleetAndReport(options: Omit<FleetOptions, "onProgress">, reportDir: string | undefined): Promise<number> {
  const bar = progressBar(`fleet of ${options.devices}`);
  const result = await runFleet({
    ...options,
    onProgress: (p) => bar.update(p.day, p.days, `sim day ${p.day} · enrolled ${p.enrolled} · renewed ${p.renewed} · failed ${p.failed}`),
  });
  bar.done();
  console.log(summaryText(result));
  console.log(renewalsPerDayText(result));
  if (reportDir !== undefined) {
    const files = await writeReport(reportDir, result);
    console.log(`report: ${files.reportHtml} (summary.json, junit.xml beside it in ${join(reportDir)})`);
  }
  for (const incident of result.incidents ?? []) console.error(`dpclab: ${incident}`);
  return runPassed(result) ? 0 : 1;
}

/** Renewals per simulated day (the days that had any), e.g. a renewal storm's single day. */
export function renewalsPerDayText(r: RunResult): string {
  const start = Math.floor(Date.parse(r.simulated.start) / 86_400_000);
  const rows = Object.entries(r.metrics.series[SERIES.renewalsPerSimDay] ?? {})
    .map(([day, row]) => [Number(day) - start, row.renewals ?? 0] as const)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a - b);
  if (rows.length === 0) return "  renewals per simulated day: none";
  const shown = rows.length > 12 ? [...rows.slice(0, 6), ...rows.slice(-6)] : rows;
  const cells = shown.map(([day, n]) => `day ${day}: ${n}`);
  if (rows.length > 12) cells.splice(6, 0, `… (${rows.length - 12} more days)`);
  return `  renewals per simulated day: ${cells.join(" · ")}`;
}
