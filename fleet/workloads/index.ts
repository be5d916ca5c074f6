// Workload shapes the shard simulation runs besides enrolment and daily check-ins, one per file with its own options,
// validation and hooks. A new shape: a module with a parse function and a Workload, then a line in WORKLOADS.
import { type ChurnOptions, type ChurnPlan, churnWorkload } from "./churn.js";
import { type IssuerChangeOptions, type IssuerChangePlan, issuerChangeWorkload } from "./issuer-change.js";
import { type RenewalStormOptions, type RenewalStormPlan, renewalStormWorkload } from "./renewal-storm.js";
import type { FleetBasics, ShardView, Workload, WorkloadHooks } from "./workload.js";

export { type ChurnOptions, type ChurnPlan, type ChurnRates, churnOf, parseChurn } from "./churn.js";
export { type IssuerChange, type IssuerChangeContext, type IssuerChangeOptions, type IssuerChangePlan, parseIssuerChange } from "./issuer-change.js";
export { type FleetPreset, PRESETS, parsePreset } from "./preset.js";
export {
  arrivalRates,
  isRenewalStorm,
  type RenewalStormOptions,
  type RenewalStormPlan,
  stormDayCounts,
  stormDuration,
  stormInstant,
  stormSummary,
} from "./renewal-storm.js";
export { flagDuration, usage } from "./spec.js";
export type { FleetBasics, ShardView, StormWall, WorkloadHooks, WorkloadReport } from "./workload.js";

/** The workload shapes' flags, as `runFleet` takes them (text, as the CLI passes it). */
export type WorkloadOptions = RenewalStormOptions & ChurnOptions & IssuerChangeOptions;

/** Everything of the plan the workloads read. */
export type WorkloadPlan = FleetBasics & RenewalStormPlan & ChurnPlan & IssuerChangePlan;

/**
 * In this order: each schedules its first events when attached, and events due at one instant run in the order they
 * were scheduled, so the order is part of what a seed means.
 */
const WORKLOADS: readonly Workload<WorkloadPlan>[] = [renewalStormWorkload, churnWorkload, issuerChangeWorkload];

/** Attaches every workload the plan asks for to one shard; the hooks of those that have any. */
export function attachWorkloads(plan: WorkloadPlan, shard: ShardView): WorkloadHooks[] {
  return WORKLOADS.flatMap((w) => w.attach(plan, shard) ?? []);
}
