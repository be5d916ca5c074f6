import { rmSync } from "node:fs";
import { join } from "node:path";
import { type IssuerName, issuerCaName } from "../../emulators/derived/index.js";
import { inProcessFetch, serve } from "../../emulators/shared/index.js";
import { createLabStack } from "../../emulators/stack/index.js";
import type { VirtualClock } from "../../src/clock.js";
import type { LabDir } from "../../src/lab/index.js";
import { type LabStore, MemoryStore, openStore, SqliteStore } from "../../src/store/index.js";
import { JsonClient, keepAliveFetch } from "../clients/index.js";
import type { FleetPlan } from "./fleet-options.js";
import type { IssuerLink } from "./issuer-link.js";
import { changeTenantIssuer, configureTenant } from "./tenant-admin.js";

/** The origin stamped into a fleet lab's certificates, and where in-process requests pretend to go. */
export const BASE_URL = "http://127.0.0.1:7800";

/**
 * A stack built here on the run's clock; with `http`, mounted on a loopback socket the agents reach by real HTTP. Its
 * state is the run's own: in memory, or (`--store sqlite`) in a fresh SQLite file per worker and issuer.
 */
export async function localLink(
  lab: LabDir,
  name: IssuerName,
  clock: VirtualClock,
  plan: FleetPlan,
  where: { http: boolean; agentCard: number; worker: number },
): Promise<IssuerLink> {
  const { http, agentCard } = where;
  const store =
    plan.store === "memory"
      ? new MemoryStore()
      : plan.store === "sqlite"
        ? freshSqliteStore(join(lab.root, "fleet-state", `worker-${where.worker}-${name}.db`))
        : openStore(plan.store, "");
  const stack = await createLabStack(lab, { clock, purebredAgents: [agentCard], validityDays: plan.lifetimeDays, store });
  const groupId = await configureTenant(new JsonClient(inProcessFetch(stack.handler, BASE_URL), BASE_URL), stack.cardIssuer.root.certificate.rawData, name);
  if (Object.keys(plan.faults).length) stack.faults.set({ ...plan.faults, seed: `${plan.faults.seed}/${name}` });
  const server = http ? await serve(stack.handler, { host: "127.0.0.1", port: 0 }) : undefined;
  const client = server ? keepAliveFetch() : undefined;
  // The issuers whose credentials this stack issued: it answers their CAs' status, not another stack's.
  const used = new Set<string>([issuerCaName(name)]);
  return {
    fetch: client ?? inProcessFetch(stack.handler, BASE_URL),
    baseUrl: server ? server.url : BASE_URL,
    assign: (deviceId) => {
      stack.tenant.addGroupMember(groupId, { deviceId });
    },
    tick: async () => stack.tick(),
    injected: async () => ({ ...stack.faults.injected }),
    reportLost: async (deviceId) => stack.reportLost(deviceId),
    changeIssuer: async (to) => {
      await changeTenantIssuer(new JsonClient(inProcessFetch(stack.handler, BASE_URL), BASE_URL), to);
      used.add(issuerCaName(to));
    },
    incidents: () => [],
    statusAuthority: (caName) => {
      const card = [stack.cardIssuer.root, stack.cardIssuer.pivCa].find((a) => a.name === caName);
      return card ?? (used.has(caName) ? stack.authorities().find((a) => a.name === caName) : undefined);
    },
    close: async () => {
      client?.close();
      await server?.close();
      store.close();
    },
  };
}

/** A new run starts from nothing: an earlier run's file (and its WAL) is removed first. */
function freshSqliteStore(path: string): LabStore {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
  return SqliteStore.open(path);
}
