import { join } from "node:path";
import { summaryText, thresholdsHeld, writeReport } from "../../../fleet/report/index.js";
import { type IssuerChoice, runFleet } from "../../../fleet/runner/index.js";
import { DpclabError } from "../../errors.js";
import { intFlag, parseFlags } from "../args.js";
import { progressBar } from "../progress.js";

const USAGE =
  "dpclab fleet run [--dir D] --devices N [--mix ios:60,android:40] [--issuer entrust|purebred|intercede|mixed] [--lifetime 365d] [--duration 400d] [--seed S] [--arrival-rate R] [--faults SPEC] [--threshold EXPR]... [--report DIR]";

/**
 * `dpclab fleet run`: a simulated fleet lives through its credentials' lifetime on a virtual clock (in-process, one
 * thread for now), prints a k6-style summary, writes the report files, and exits 1 when a threshold is breached.
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
      transport: { type: "string" },
      workers: { type: "string" },
    },
    USAGE,
  );
  if (positionals.length) throw new DpclabError(`unexpected argument "${positionals[0]}" (usage: ${USAGE})`, "usage");
  const devices = intFlag(values.devices, "--devices", { min: 1, max: 100_000 });
  if (values.transport !== undefined && values.transport !== "inprocess")
    throw new DpclabError(`--transport ${values.transport} is not supported yet (only inprocess)`, "usage");
  if (values.workers !== undefined && intFlag(values.workers, "--workers", { min: 1, max: 1 }) !== 1)
    throw new DpclabError("--workers: only 1 for now", "usage");
  let arrivalRate: number | undefined;
  if (values["arrival-rate"] !== undefined) {
    arrivalRate = Number(values["arrival-rate"]);
    if (!/^\d+(\.\d+)?(e-?\d+)?$/i.test(values["arrival-rate"]) || !(arrivalRate > 0))
      throw new DpclabError(`--arrival-rate must be a positive number of arrivals per second (got "${values["arrival-rate"]}")`, "usage");
  }

  const bar = progressBar(`fleet of ${devices}`);
  const result = await runFleet({
    devices,
    ...(values.mix !== undefined ? { mix: values.mix } : {}),
    ...(values.issuer !== undefined ? { issuer: values.issuer as IssuerChoice } : {}),
    ...(values.lifetime !== undefined ? { lifetime: values.lifetime } : {}),
    ...(values.duration !== undefined ? { duration: values.duration } : {}),
    ...(values.seed !== undefined ? { seed: values.seed } : {}),
    ...(arrivalRate !== undefined ? { arrivalRate } : {}),
    ...(values.faults !== undefined ? { faults: values.faults } : {}),
    ...(values.dir !== undefined ? { dir: values.dir } : {}),
    thresholds: values.threshold ?? [],
    onProgress: (p) => bar.update(p.day, p.days, `sim day ${p.day} · enrolled ${p.enrolled} · renewed ${p.renewed} · failed ${p.failed}`),
  });
  bar.done();
  console.log(summaryText(result));
  if (values.report !== undefined) {
    const files = await writeReport(values.report, result);
    console.log(`report: ${files.reportHtml} (summary.json, junit.xml beside it in ${join(values.report)})`);
  }
  return thresholdsHeld(result) ? 0 : 1;
}
