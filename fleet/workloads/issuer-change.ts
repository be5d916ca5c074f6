// Issuer change (`--issuer-change 200d:intercede`, docs/intune.md §1.3): the admin deletes the tenant's issuer, adds the
// new one and edits the profiles that use the derived credential; devices find their credential invalid at check-in
// and enrol again.
import type { IssuerName } from "../../emulators/derived/index.js";
import { DAY_MS } from "../../src/clock.js";
import type { FleetPreset } from "./preset.js";
import { isRenewalStorm } from "./renewal-storm.js";
import { flagDuration, usage } from "./spec.js";
import type { FleetBasics, ShardView, Workload } from "./workload.js";

export interface IssuerChangeOptions {
  /** The tenants switch to this issuer at this simulated time: "200d:intercede" (docs/intune.md §1.3). */
  issuerChange?: string;
}

export interface IssuerChange {
  /** After the start, in simulated ms. */
  afterMs: number;
  to: IssuerName;
}

export interface IssuerChangePlan {
  issuerChange: IssuerChange | undefined;
  /** The `--issuer-change` text as given (for the replay command). */
  issuerChangeSpec: string | undefined;
}

/** The rest of the plan an issuer change must fit. */
export interface IssuerChangeContext {
  preset: FleetPreset;
  durationMs: number;
  /** A served lab (`--url`) and the one issuer its tenant has. */
  url: string | undefined;
  issuer: string;
}

export function parseIssuerChange(spec: string | undefined, plan: IssuerChangeContext): IssuerChange | undefined {
  if (spec === undefined) return undefined;
  const m = /^\s*([^:]+):(purebred|entrust|intercede)\s*$/.exec(spec);
  if (!m) throw usage(`--issuer-change must look like 200d:intercede (a simulated time, then purebred|entrust|intercede; got ${JSON.stringify(spec)})`);
  const at = (m[1] as string).trim();
  const afterMs = flagDuration(m[1] as string, "--issuer-change");
  if (afterMs <= 0) throw usage(`--issuer-change must come after the start (got ${at})`);
  const change = { afterMs, to: m[2] as IssuerName };
  if (isRenewalStorm(plan)) throw usage("--issuer-change does not combine with --preset renewal-storm (stormed devices do not check in)");
  if (change.afterMs >= plan.durationMs)
    throw usage(`--issuer-change must fall inside the run's --duration, after 0 and before ${plan.durationMs / DAY_MS}d (got ${at})`);
  if (plan.url !== undefined && change.to !== plan.issuer)
    throw usage("--issuer-change with --url would reconfigure the served tenant: run it in-process or self-served");
  return change;
}

function attach(plan: IssuerChangePlan & FleetBasics, shard: ShardView): undefined {
  const change = plan.issuerChange;
  if (!change) return undefined;
  shard.sim.on("issuer-change", async () => shard.changeIssuer(change.to));
  shard.sim.schedule(shard.start.getTime() + change.afterMs, { kind: "issuer-change", subject: 0 });
  return undefined;
}

export const issuerChangeWorkload: Workload<IssuerChangePlan> = { name: "issuer-change", attach };
