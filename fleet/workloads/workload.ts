import type { IssuerName } from "../../emulators/derived/index.js";
import type { DeviceAgent } from "../agent/index.js";
import type { FleetMetrics } from "../metrics/index.js";
import type { RunOutcome } from "../report/index.js";
import type { DeviceRange, Simulation } from "../sim/index.js";

/** What every workload may read of the plan: the fleet's size, seed and simulated duration. */
export interface FleetBasics {
  seed: string;
  devices: number;
  durationMs: number;
}

/**
 * A workload's view of the shard it runs in: the simulation it schedules its events on, this shard's devices and the
 * admin actions on the shard's stacks. Events carry global device indices.
 */
export interface ShardView {
  readonly sim: Simulation;
  readonly start: Date;
  /** The devices [start, end) this shard simulates. */
  readonly range: DeviceRange;
  readonly metrics: FleetMetrics;
  /** This shard's devices, in index order. */
  readonly agents: readonly DeviceAgent[];
  agentOf(subject: number): DeviceAgent | undefined;
  /** The operator reports a device lost to the stack (tenant) that manages it. */
  reportLost(agent: DeviceAgent, managedDeviceId: string): Promise<{ revoked: unknown[] }>;
  /** The admin switches every stack's tenant to another issuer. */
  changeIssuer(to: IssuerName): Promise<void>;
  /**
   * The renewal storm's coordinator when several workers share the fleet: takes this shard's latest due time
   * (undefined: none settled before the run ended) and resolves to the fleet-wide storm instant.
   */
  readonly stormCoordinator?: ((localDue: number | undefined) => Promise<number>) | undefined;
}

/** What a workload adds to the shard's result (the renewal storm's instant and wall-clock span). */
export interface WorkloadReport {
  stormAt?: number;
  stormWall?: StormWall;
}

/** Wall clock (epoch ms) from the first storm renewal's start to the last one's end. */
export interface StormWall {
  first: number;
  last: number;
}

/** The points at which the shard simulation calls a workload, besides the event handlers it registered. */
export interface WorkloadHooks {
  /** false: an enrolled device does not check in every day (a storm keeps the fleet quiet until it breaks). */
  readonly dailyCheckIns?: false;
  /** Every device's first enrolment settled (succeeded or gave up); called from inside that last enrol event. */
  settled?(sim: Simulation): Promise<void>;
  /** The simulation ended; before the outcome is counted. */
  ended?(): Promise<void>;
  /** Adds the workload's counts to this shard's outcome and says what else it reports. */
  report?(outcome: RunOutcome): WorkloadReport;
}

/**
 * One workload shape (renewal storm, churn, issuer change), the way k6 has one executor per file: its plan fragment
 * `P` comes from its own parse function; `attach` registers its events on a shard and schedules the first ones.
 */
export interface Workload<P> {
  readonly name: string;
  /** This shard's part of the workload; undefined when the plan does not ask for it. */
  attach(plan: P & FleetBasics, shard: ShardView): WorkloadHooks | undefined;
}
