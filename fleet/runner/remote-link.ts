import type { IssuerName } from "../../emulators/derived/index.js";
import { DAY_MS, type VirtualClock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import { SeededRandom } from "../../src/random.js";
import { X509Certificate } from "../../src/x509.js";
import { retryingFetch } from "../agent/index.js";
import { JsonClient, keepAliveFetch } from "../clients/index.js";
import { adminFetch } from "./admin-fetch.js";
import type { FleetPlan } from "./fleet-options.js";
import type { IssuerLink } from "./issuer-link.js";
import { isConnectionLost, ServerWatch } from "./server-watch.js";

/** How often (real time) a run looks whether a served lab that went away answers again (for plan.rideOutMs). */
const RIDE_OUT_POLL_MS = 100;

import { changeTenantIssuer, configureTenant } from "./tenant-admin.js";

/**
 * A running `dpclab serve`: its clock follows the run's VirtualClock (PUT /__admin/clock before any request once the
 * local clock moved, so both agree whenever the server looks), its due checks run server-side on each clock change
 * (the admin clock hook), faults go through /__admin/faults and are restored afterwards.
 */
export async function remoteLink(url: string, name: IssuerName, clock: VirtualClock, plan: FleetPlan): Promise<IssuerLink> {
  const watch = new ServerWatch(url, () => clock.now());
  // Every request to the server, the admin's included, is watched. A server that went away (killed, restarting) is
  // waited for in real time and the request sent again, for up to plan.rideOutMs: a lab on a durable store comes back
  // with its state (issue 14). Past that, a refused connection is an incident of the run.
  // Shared by every request: once an outage outlasted the ride-out, requests fail at once until one gets through.
  let down: { since: number; gaveUp: boolean } | undefined;
  const watched = (inner: typeof fetch) =>
    (async (input: RequestInfo | URL, init?: RequestInit) => {
      const template = input instanceof Request ? input.clone() : undefined;
      for (;;) {
        try {
          const response = await inner(template ? template.clone() : input, init);
          if (down && !down.gaveUp) watch.recovered(performance.now() - down.since);
          down = undefined;
          return response;
        } catch (error) {
          if (isConnectionLost(error)) down ??= { since: performance.now(), gaveUp: false };
          if (!down || down.gaveUp || performance.now() - down.since > plan.rideOutMs) {
            if (down) down.gaveUp = true;
            watch.failed(error);
            throw error;
          }
          await new Promise((resolve) => setTimeout(resolve, RIDE_OUT_POLL_MS));
        }
      }
    }) as typeof fetch;
  const toAdmin = watched(adminFetch());
  const admin = new JsonClient(toAdmin, url);
  const put = async (path: string, body: unknown): Promise<unknown> => {
    const res = await toAdmin(new URL(path, url), { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new DpclabError(`PUT ${path}: ${res.status} ${text.slice(0, 200)}`, `http-${res.status}`, res.status);
    return text ? JSON.parse(text) : undefined;
  };
  let synced = -1;
  const sync = async () => {
    const now = clock.now().getTime();
    if (now === synced) return;
    watch.observe(await put("/__admin/clock", { now: new Date(now).toISOString() }));
    synced = now;
  };
  const client = keepAliveFetch();
  const devicesFetch = watched(client);
  const agentFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    await sync();
    return devicesFetch(input, init);
  }) as typeof fetch;
  await sync();
  const pki = await admin.get<{ roots: { pem: string }[] }>("/__admin/pki");
  const rootPem = pki.roots[0]?.pem;
  if (!rootPem) throw new DpclabError(`${url} publishes no root (GET /__admin/pki)`, "bad-server");
  const groupId = await configureTenant(admin, new X509Certificate(rootPem).rawData, name);
  const knobsBefore = await admin.get<Record<string, unknown> & { injected: Record<string, number> }>("/__admin/faults");
  const { injected: injectedBefore, ...restore } = knobsBefore;
  if (Object.keys(plan.faults).length) await put("/__admin/faults", { ...plan.faults, seed: `${plan.faults.seed}/${name}` });
  // Group assignment is the admin's call: retried on injected faults with its own random stream (not a device's).
  const adminRetrying = new JsonClient(retryingFetch(agentFetch, { clock, random: new SeededRandom(`${plan.seed}/admin/${name}`) }), url);
  return {
    fetch: agentFetch,
    baseUrl: url,
    assign: async (deviceId) => {
      await adminRetrying.post(`/tenant/beta/groups/${groupId}/members`, { deviceId });
    },
    tick: async () => {
      await sync();
      // The clock hook runs the server's due checks; the answer names the server's instance (a restart shows here).
      watch.observe(await admin.post("/__admin/clock/advance", { by: 0 }));
    },
    reportLost: async (deviceId) => {
      await sync();
      return admin.post<{ revoked: unknown[] }>(`/__admin/devices/${encodeURIComponent(deviceId)}/lost`, {});
    },
    changeIssuer: async (to) => {
      await sync();
      await changeTenantIssuer(admin, to);
    },
    injected: async () => {
      let now: { injected: Record<string, number> };
      try {
        now = await admin.get<{ injected: Record<string, number> }>("/__admin/faults");
      } catch (error) {
        if (watch.incidents().length > 0) return {}; // the server went away: its counts went with it (reported)
        throw error;
      }
      return Object.fromEntries(Object.entries(now.injected).map(([k, n]) => [k, n - (injectedBefore[k] ?? 0)]));
    },
    incidents: () => watch.incidents(),
    notes: () => watch.notes(),
    close: async () => {
      client.close();
      if (Object.keys(plan.faults).length) await put("/__admin/faults", restore);
    },
  };
}

/** The first midnight (UTC) at or after both the served clock and the fleet's nominal start. */
export async function servedStart(url: string, nominal: Date): Promise<Date> {
  let now: string;
  try {
    ({ now } = await new JsonClient(adminFetch(), url).get<{ now: string }>("/__admin/clock"));
  } catch (error) {
    throw new DpclabError(`cannot reach the lab at ${url} (GET /__admin/clock): ${(error as Error).message}`, "unreachable");
  }
  const at = Math.max(Date.parse(now), nominal.getTime());
  return new Date(Math.ceil(at / DAY_MS) * DAY_MS);
}
