import { DAY_MS } from "../../src/clock.js";
import { isRenewalStorm } from "../workloads/index.js";
import type { FleetPlan } from "./fleet-options.js";

/** The `dpclab fleet run` command line that replays a run: the same seed and options (the storm's rate as its --arrival-rate). */
export function replayCommand(plan: FleetPlan, dir: string | undefined): string {
  const parts = [
    "dpclab fleet run",
    ...(dir ? [`--dir ${dir}`] : []),
    `--devices ${plan.devices}`,
    `--mix ${plan.mix.map((m) => `${m.platform}:${m.weight}`).join(",")}`,
    `--issuer ${plan.issuer}`,
    `--lifetime ${plan.lifetimeDays}d`,
    `--duration ${plan.durationMs / DAY_MS}d`,
    `--seed ${plan.seed}`,
    ...(plan.preset !== "none" ? [`--preset ${plan.preset}`] : []),
    ...(plan.transport !== "inprocess" ? [`--transport ${plan.transport}`] : []),
    ...(plan.url ? [`--url ${plan.url}`] : []),
    `--arrival-rate ${isRenewalStorm(plan) ? plan.stormRate : plan.arrivalRate}`,
    ...(plan.faultSpec ? [`--faults ${plan.faultSpec}`] : []),
    ...(plan.churnSpec ? [`--churn ${plan.churnSpec}`] : []),
    ...(plan.populationSpec ? [`--population ${plan.populationSpec}`] : []),
    ...(plan.issuerChangeSpec ? [`--issuer-change ${plan.issuerChangeSpec}`] : []),
    ...(plan.relyingPartiesSpec ? [`--relying-parties ${plan.relyingPartiesSpec}`] : []),
    ...plan.thresholds.map((t) => `--threshold '${t}'`),
  ];
  return parts.join(" ");
}
