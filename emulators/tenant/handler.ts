import { DpclabError } from "../../src/errors.js";
import { type FetchHandler, JsonResponse, jsonNestsDeeperThan, type Route, router, tooDeepJson } from "../shared/index.js";
import { toGraphAssignments } from "./assignment.js";
import { profileProperties, toGraphProfile } from "./device-configuration.js";
import { MANAGED_DEVICE_PROPERTIES } from "./managed-device.js";
import { collectionPage, type ODataQuery, parseODataQuery, type QueryKind, SkipTokens, selectProperties } from "./odata.js";
import type { GraphBody, Tenant } from "./tenant.js";

const BETA = "/tenant/beta";
const DM = `${BETA}/deviceManagement`;
/**
 * The tenant's lab-only endpoints (docs/intune.md §6.4): what a device does that Graph has no API for. Beside the lab's
 * operator API under /__admin, but not behind its token nor past its fault injection: devices call these.
 */
export const LAB_TENANT = "/__lab/tenant";
const SETTINGS_PROPERTIES = ["@odata.type", "id", "displayName", "helpUrl", "issuer", "notificationType", "renewalThresholdPercentage"];
const GROUP_PROPERTIES = ["id", "displayName", "description", "members"];
const SETTINGS_TYPE = "#microsoft.graph.deviceManagementDerivedCredentialSettings";
const MAX_JSON_CHARS = 256 * 1024;

export interface TenantHandlerOptions {
  /**
   * The lab's base URL, on which `@odata.nextLink` is built (answers never take a URL from the request's Host);
   * without one the link is relative to the request's origin.
   */
  baseUrl?: string;
}

/**
 * The tenant's Graph-shaped beta API (docs/intune.md §3, §6) plus the lab-only endpoints of §6.4 (/__lab/tenant/…,
 * /tenant/lints, /tenant/outbox). JSON bodies only: a wrong content type is 415, invalid JSON 400, unknown properties
 * 400 naming them. Collections take $select, $filter by id and $top with @odata.nextLink paging (§6.3).
 */
export function tenantHandler(tenant: Tenant, options: TenantHandlerOptions = {}): FetchHandler {
  const json = (status: number, body: unknown): Response => JsonResponse.of(body, { status });
  const list = (value: unknown[]): Response => json(200, { value });
  const tokens = new SkipTokens(tenant.skipTokenKey);
  const query = (url: URL, kind: QueryKind, known: readonly string[], collection: string): ODataQuery => parseODataQuery(url, kind, known, tokens, collection);
  /** A Graph collection GET: the options are read (400 on bad ones) before anything is listed. */
  const page = <T extends { id: string }>(url: URL, known: readonly string[], collection: string, items: () => T[], view: (item: T) => object): Response => {
    const q = query(url, "collection", known, collection);
    return json(
      200,
      collectionPage(items(), q, (i) => view(i) as Record<string, unknown>, { url, base: options.baseUrl, tokens, collection }),
    );
  };
  const entity = (url: URL, known: readonly string[], value: () => object): Response => {
    const q = query(url, "entity", known, "");
    return json(200, selectProperties(value() as Record<string, unknown>, q.select));
  };
  const noContent = () => new Response(null, { status: 204 });
  const ref = (settingsId: string) => {
    const path = `${DM}/derivedCredentials/${encodeURIComponent(settingsId)}`;
    return options.baseUrl === undefined ? path : new URL(path, options.baseUrl).toString();
  };
  /** An old path of a lab-only endpoint: 404 naming the new one (kept for one release, docs/intune.md §6.4). */
  const moved = (method: string, old: string, now: string): Route => ({
    method,
    path: `${DM}/managedDevices/:id/${old}`,
    handle: () => {
      throw new DpclabError(
        `${old} is not a Microsoft Graph action: it moved to the lab-only ${method} ${LAB_TENANT}/managedDevices/{id}/${now} (docs/intune.md §6.4)`,
        "moved-to-lab-namespace",
        404,
      );
    },
  });
  /** Runs a deletion, then answers 204 No Content. */
  const deleted = (remove: () => void): Response => {
    remove();
    return new Response(null, { status: 204 });
  };
  const settingsView = (s: object) => ({ "@odata.type": SETTINGS_TYPE, ...s });

  const routes: Route[] = [
    // §3.1 deviceManagementDerivedCredentialSettings
    {
      method: "GET",
      path: `${DM}/derivedCredentials`,
      handle: (_r, _p, url) => page(url, SETTINGS_PROPERTIES, "derivedCredentials", () => tenant.listDerivedCredentialSettings(), settingsView),
    },
    { method: "POST", path: `${DM}/derivedCredentials`, handle: async (r) => json(201, settingsView(tenant.addDerivedCredentialSettings(await readJson(r)))) },
    {
      method: "GET",
      path: `${DM}/derivedCredentials/:id`,
      handle: (_r, p, url) => entity(url, SETTINGS_PROPERTIES, () => settingsView(tenant.getDerivedCredentialSettings(id(p)))),
    },
    {
      method: "PATCH",
      path: `${DM}/derivedCredentials/:id`,
      handle: async (r, p) => json(200, settingsView(tenant.updateDerivedCredentialSettings(id(p), await readJson(r)))),
    },
    { method: "DELETE", path: `${DM}/derivedCredentials/:id`, handle: (_r, p) => deleted(() => tenant.deleteDerivedCredentialSettings(id(p))) },

    // §3.2 deviceConfigurations
    {
      method: "GET",
      path: `${DM}/deviceConfigurations`,
      handle: (_r, _p, url) => page(url, profileProperties(), "deviceConfigurations", () => tenant.listProfiles(), toGraphProfile),
    },
    { method: "POST", path: `${DM}/deviceConfigurations`, handle: async (r) => json(201, toGraphProfile(tenant.createProfile(await readJson(r)))) },
    {
      method: "GET",
      path: `${DM}/deviceConfigurations/:id`,
      handle: (_r, p, url) => entity(url, profileProperties(), () => toGraphProfile(tenant.getProfile(id(p)))),
    },
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
    // §6.2 the derivedCredentialSettings navigation property
    {
      method: "GET",
      path: `${DM}/deviceConfigurations/:id/derivedCredentialSettings`,
      handle: (_r, p, url) => entity(url, SETTINGS_PROPERTIES, () => settingsView(tenant.getProfileDerivedCredentialSettings(id(p)))),
    },
    {
      method: "GET",
      path: `${DM}/deviceConfigurations/:id/derivedCredentialSettings/$ref`,
      handle: (_r, p) => json(200, { "@odata.id": ref(tenant.getProfileDerivedCredentialSettings(id(p)).id) }),
    },
    {
      method: "PUT",
      path: `${DM}/deviceConfigurations/:id/derivedCredentialSettings/$ref`,
      handle: async (r, p) => {
        tenant.linkProfileDerivedCredentialSettings(id(p), await readJson(r));
        return noContent();
      },
    },
    {
      method: "DELETE",
      path: `${DM}/deviceConfigurations/:id/derivedCredentialSettings/$ref`,
      handle: (_r, p) => deleted(() => tenant.unlinkProfileDerivedCredentialSettings(id(p))),
    },
    {
      method: "GET",
      path: `${DM}/deviceConfigurations/:id/assignments`,
      handle: (_r, p) => list(toGraphAssignments(id(p), tenant.getProfile(id(p)).assignments)),
    },

    // groups of managed devices
    {
      method: "GET",
      path: `${BETA}/groups`,
      handle: (_r, _p, url) =>
        page(
          url,
          GROUP_PROPERTIES,
          "groups",
          () => tenant.listGroups(),
          (g) => g,
        ),
    },
    { method: "POST", path: `${BETA}/groups`, handle: async (r) => json(201, tenant.createGroup(await readJson(r))) },
    { method: "GET", path: `${BETA}/groups/:id`, handle: (_r, p) => json(200, tenant.getGroup(id(p))) },
    { method: "GET", path: `${BETA}/groups/:id/members`, handle: (_r, p) => list(tenant.getGroup(id(p)).members.map((m) => ({ id: m }))) },
    {
      method: "POST",
      path: `${BETA}/groups/:id/members`,
      handle: async (r, p) => {
        tenant.addGroupMember(id(p), await readJson(r));
        return json(200, tenant.getGroup(id(p)));
      },
    },
    { method: "DELETE", path: `${BETA}/groups/:id/members/:deviceId`, handle: (_r, p) => deleted(() => tenant.removeGroupMember(id(p), p.deviceId as string)) },

    // managed devices
    {
      method: "GET",
      path: `${DM}/managedDevices`,
      handle: (_r, _p, url) =>
        page(
          url,
          MANAGED_DEVICE_PROPERTIES,
          "managedDevices",
          () => tenant.listDevices(),
          (d) => d,
        ),
    },
    { method: "POST", path: `${DM}/managedDevices`, handle: async (r) => json(201, tenant.enrolDevice(await readJson(r))) },
    { method: "GET", path: `${DM}/managedDevices/:id`, handle: (_r, p, url) => entity(url, MANAGED_DEVICE_PROPERTIES, () => tenant.getDevice(id(p))) },
    {
      method: "POST",
      path: `${DM}/managedDevices/:id/retire`,
      handle: async (r, p) => {
        await readJson(r, { emptyObjectOnly: true });
        tenant.retireDevice(id(p));
        return new Response(null, { status: 204 });
      },
    },
    {
      // §6.1 Graph's syncDevice: no request body (an empty {} is tolerated), 204
      method: "POST",
      path: `${DM}/managedDevices/:id/syncDevice`,
      handle: async (r, p) => {
        await readJson(r, { emptyObjectOnly: true });
        tenant.syncDevice(id(p));
        return noContent();
      },
    },
    { method: "PATCH", path: `${DM}/managedDevices/:id`, handle: async (r, p) => json(200, tenant.updateDevice(id(p), await readJson(r))) },
    moved("POST", "derivedCredential", "derivedCredential"),
    moved("POST", "checkIn", "checkIn"),

    // §6.4 lab-only: what a device does that Graph has no endpoint for
    {
      method: "POST",
      path: `${LAB_TENANT}/managedDevices/:id/derivedCredential`,
      handle: async (r, p) => json(201, tenant.registerDerivedCredential(id(p), await readJson(r))),
    },
    {
      method: "POST",
      path: `${LAB_TENANT}/managedDevices/:id/checkIn`,
      handle: async (r, p) => {
        await readJson(r, { emptyObjectOnly: true });
        return json(200, tenant.checkIn(id(p)));
      },
    },

    // our minimal conditional access policy
    { method: "GET", path: `${BETA}/identity/conditionalAccess/policies`, handle: () => json(200, tenant.getConditionalAccess()) },
    { method: "PUT", path: `${BETA}/identity/conditionalAccess/policies`, handle: async (r) => json(200, tenant.setConditionalAccess(await readJson(r))) },

    // lab-only, for the admin (§6.4)
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
