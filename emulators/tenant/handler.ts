import { DpclabError } from "../../src/errors.js";
import { type FetchHandler, JsonResponse, jsonNestsDeeperThan, type Route, router, tooDeepJson } from "../shared/index.js";
import { toGraphAssignments } from "./assignment.js";
import { toGraphProfile } from "./device-configuration.js";
import type { GraphBody, Tenant } from "./tenant.js";

const BETA = "/tenant/beta";
const DM = `${BETA}/deviceManagement`;
const SETTINGS_TYPE = "#microsoft.graph.deviceManagementDerivedCredentialSettings";
const MAX_JSON_CHARS = 256 * 1024;

/**
 * The tenant's Graph-shaped beta API (docs/intune.md §3) plus our lab endpoints (/tenant/lints, /tenant/outbox).
 * JSON bodies only: a wrong content type is 415, invalid JSON 400, unknown properties 400 naming them.
 */
export function tenantHandler(tenant: Tenant): FetchHandler {
  const json = (status: number, body: unknown): Response => JsonResponse.of(body, { status });
  const list = (value: unknown[]): Response => json(200, { value });
  /** Runs a deletion, then answers 204 No Content. */
  const deleted = (remove: () => void): Response => {
    remove();
    return new Response(null, { status: 204 });
  };
  const settingsView = (s: object) => ({ "@odata.type": SETTINGS_TYPE, ...s });

  const routes: Route[] = [
    // §3.1 deviceManagementDerivedCredentialSettings
    { method: "GET", path: `${DM}/derivedCredentials`, handle: () => list(tenant.listDerivedCredentialSettings().map(settingsView)) },
    { method: "POST", path: `${DM}/derivedCredentials`, handle: async (r) => json(201, settingsView(tenant.addDerivedCredentialSettings(await readJson(r)))) },
    { method: "GET", path: `${DM}/derivedCredentials/:id`, handle: (_r, p) => json(200, settingsView(tenant.getDerivedCredentialSettings(id(p)))) },
    {
      method: "PATCH",
      path: `${DM}/derivedCredentials/:id`,
      handle: async (r, p) => json(200, settingsView(tenant.updateDerivedCredentialSettings(id(p), await readJson(r)))),
    },
    { method: "DELETE", path: `${DM}/derivedCredentials/:id`, handle: (_r, p) => deleted(() => tenant.deleteDerivedCredentialSettings(id(p))) },

    // §3.2 deviceConfigurations
    { method: "GET", path: `${DM}/deviceConfigurations`, handle: () => list(tenant.listProfiles().map(toGraphProfile)) },
    { method: "POST", path: `${DM}/deviceConfigurations`, handle: async (r) => json(201, toGraphProfile(tenant.createProfile(await readJson(r)))) },
    { method: "GET", path: `${DM}/deviceConfigurations/:id`, handle: (_r, p) => json(200, toGraphProfile(tenant.getProfile(id(p)))) },
    {
      method: "PATCH",
      path: `${DM}/deviceConfigurations/:id`,
      handle: async (r, p) => json(200, toGraphProfile(tenant.updateProfile(id(p), await readJson(r)))),
    },
    { method: "DELETE", path: `${DM}/deviceConfigurations/:id`, handle: (_r, p) => deleted(() => tenant.deleteProfile(id(p))) },
    {
      method: "POST",
      path: `${DM}/deviceConfigurations/:id/assign`,
      handle: async (r, p) => list(toGraphAssignments(id(p), tenant.assignProfile(id(p), await readJson(r)))),
    },
    {
      method: "GET",
      path: `${DM}/deviceConfigurations/:id/assignments`,
      handle: (_r, p) => list(toGraphAssignments(id(p), tenant.getProfile(id(p)).assignments)),
    },

    // groups of managed devices
    { method: "GET", path: `${BETA}/groups`, handle: () => list(tenant.listGroups()) },
    { method: "POST", path: `${BETA}/groups`, handle: async (r) => json(201, tenant.createGroup(await readJson(r))) },
    { method: "GET", path: `${BETA}/groups/:id`, handle: (_r, p) => json(200, tenant.getGroup(id(p))) },
    { method: "GET", path: `${BETA}/groups/:id/members`, handle: (_r, p) => list(tenant.getGroup(id(p)).members.map((m) => ({ id: m }))) },
    { method: "POST", path: `${BETA}/groups/:id/members`, handle: async (r, p) => json(200, tenant.addGroupMember(id(p), await readJson(r))) },
    { method: "DELETE", path: `${BETA}/groups/:id/members/:deviceId`, handle: (_r, p) => deleted(() => tenant.removeGroupMember(id(p), p.deviceId as string)) },

    // managed devices
    { method: "GET", path: `${DM}/managedDevices`, handle: () => list(tenant.listDevices()) },
    { method: "POST", path: `${DM}/managedDevices`, handle: async (r) => json(201, tenant.enrolDevice(await readJson(r))) },
    { method: "GET", path: `${DM}/managedDevices/:id`, handle: (_r, p) => json(200, tenant.getDevice(id(p))) },
    {
      method: "POST",
      path: `${DM}/managedDevices/:id/retire`,
      handle: async (r, p) => {
        await readJson(r, { emptyObjectOnly: true });
        tenant.retireDevice(id(p));
        return new Response(null, { status: 204 });
      },
    },
    { method: "PATCH", path: `${DM}/managedDevices/:id`, handle: async (r, p) => json(200, tenant.updateDevice(id(p), await readJson(r))) },
    {
      method: "POST",
      path: `${DM}/managedDevices/:id/derivedCredential`,
      handle: async (r, p) => json(201, tenant.registerDerivedCredential(id(p), await readJson(r))),
    },
    {
      method: "POST",
      path: `${DM}/managedDevices/:id/checkIn`,
      handle: async (r, p) => {
        await readJson(r, { emptyObjectOnly: true });
        return json(200, tenant.checkIn(id(p)));
      },
    },

    // our minimal conditional access policy
    { method: "GET", path: `${BETA}/identity/conditionalAccess/policies`, handle: () => json(200, tenant.getConditionalAccess()) },
    { method: "PUT", path: `${BETA}/identity/conditionalAccess/policies`, handle: async (r) => json(200, tenant.setConditionalAccess(await readJson(r))) },

    // lab endpoints
    { method: "GET", path: "/tenant/lints", handle: () => list(tenant.lints()) },
    { method: "GET", path: "/tenant/outbox", handle: () => list(tenant.outbox()) },
  ];
  return router(routes);
}

function id(params: Record<string, string>): string {
  return params.id as string;
}

/**
 * Reads a JSON object body. `emptyObjectOnly`: the body may be absent, and if present must be `{}` (an action with
 * no parameters, such as checkIn).
 */
async function readJson(request: Request, opts: { emptyObjectOnly?: boolean } = {}): Promise<GraphBody> {
  const text = await request.text();
  if (opts.emptyObjectOnly && text.trim() === "") return {};
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") throw new DpclabError(`request bodies are application/json (got "${type || "none"}")`, "unsupported-media-type", 415);
  if (text.length > MAX_JSON_CHARS) throw new DpclabError(`JSON body over ${MAX_JSON_CHARS} characters`, "body-too-large", 413);
  if (jsonNestsDeeperThan(text)) throw tooDeepJson(); // checked at the door too; here for callers of the handler itself
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new DpclabError(`invalid JSON: ${(error as Error).message}`, "invalid-json", 400);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new DpclabError("the JSON body must be an object", "not-an-object", 400);
  if (opts.emptyObjectOnly && Object.keys(body).length > 0) {
    throw new DpclabError(
      `this action takes no parameters (got ${Object.keys(body)
        .map((k) => `"${k}"`)
        .join(", ")})`,
      "unknown-property",
      400,
    );
  }
  return body as GraphBody;
}
