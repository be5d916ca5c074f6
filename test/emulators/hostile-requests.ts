import fc from "fast-check";

/**
 * Requests a careless or hostile client sends to the lab: every route of the tenant, the three issuers, /pki and
 * /__admin, with path segments that are keys every object has (`__proto__`, `constructor`, …), empty, very long or
 * percent-encoded junk, methods Fetch or the routes refuse, wrong content types, and bodies nested deep, with huge
 * numbers, `__proto__` members and wrong types. A segment may also be the id of something that exists (`ids`), so
 * requests reach past the lookups.
 */

const DM = "/tenant/beta/deviceManagement";
const BETA = "/tenant/beta";

/** What a `:param` of a route names: the id of a real one is sometimes used. */
export type IdKind =
  | "settings"
  | "profile"
  | "group"
  | "device"
  | "credential"
  | "serial"
  | "ca"
  | "crl"
  | "p7c"
  | "entrustEnrolment"
  | "intercedeRequest"
  | "registration"
  | "other";
/** Real ids by kind, and kiosk sessions (sent as `Authorization: Bearer`, so requests get past the sign-in). */
export type RealIds = Partial<Record<IdKind, string>> & { sessions?: string[] };

export interface RouteTemplate {
  method: string;
  /** `:kind` segments are filled in (e.g. `/groups/:group/members`). */
  path: string;
}

const t = (method: string, path: string): RouteTemplate => ({ method, path });

export const ROUTES: readonly RouteTemplate[] = [
  // tenant (Graph-shaped)
  t("GET", `${DM}/derivedCredentials`),
  t("POST", `${DM}/derivedCredentials`),
  t("GET", `${DM}/derivedCredentials/:settings`),
  t("PATCH", `${DM}/derivedCredentials/:settings`),
  t("DELETE", `${DM}/derivedCredentials/:settings`),
  t("GET", `${DM}/deviceConfigurations`),
  t("POST", `${DM}/deviceConfigurations`),
  t("GET", `${DM}/deviceConfigurations/:profile`),
  t("PATCH", `${DM}/deviceConfigurations/:profile`),
  t("DELETE", `${DM}/deviceConfigurations/:profile`),
  t("POST", `${DM}/deviceConfigurations/:profile/assign`),
  t("GET", `${DM}/deviceConfigurations/:profile/assignments`),
  t("GET", `${DM}/deviceConfigurations/:profile/derivedCredentialSettings`),
  t("GET", `${DM}/deviceConfigurations/:profile/derivedCredentialSettings/$ref`),
  t("PUT", `${DM}/deviceConfigurations/:profile/derivedCredentialSettings/$ref`),
  t("DELETE", `${DM}/deviceConfigurations/:profile/derivedCredentialSettings/$ref`),
  t("GET", `${BETA}/groups`),
  t("POST", `${BETA}/groups`),
  t("GET", `${BETA}/groups/:group`),
  t("GET", `${BETA}/groups/:group/members`),
  t("POST", `${BETA}/groups/:group/members`),
  t("DELETE", `${BETA}/groups/:group/members/:device`),
  t("GET", `${DM}/managedDevices`),
  t("POST", `${DM}/managedDevices`),
  t("GET", `${DM}/managedDevices/:device`),
  t("PATCH", `${DM}/managedDevices/:device`),
  t("POST", `${DM}/managedDevices/:device/retire`),
  t("POST", `${DM}/managedDevices/:device/syncDevice`),
  // the lab-only device endpoints (docs/intune.md §6.4), and their old Graph-looking paths (404 naming the new ones)
  t("POST", `${DM}/managedDevices/:device/derivedCredential`),
  t("POST", `${DM}/managedDevices/:device/checkIn`),
  t("POST", `/__lab/tenant/managedDevices/:device/derivedCredential`),
  t("POST", `/__lab/tenant/managedDevices/:device/checkIn`),
  t("GET", `${BETA}/identity/conditionalAccess/policies`),
  t("PUT", `${BETA}/identity/conditionalAccess/policies`),
  t("GET", "/tenant/lints"),
  t("GET", "/tenant/outbox"),
  // the issuers' kiosks (PKI-AUTH)
  ...["purebred", "entrust", "intercede"].flatMap((n) => [t("POST", `/issuers/${n}/kiosk/challenge`), t("POST", `/issuers/${n}/kiosk/login`)]),
  // Entrust
  t("POST", "/issuers/entrust/kiosk/enrolments"),
  t("GET", "/issuers/entrust/kiosk/enrolments/:entrustEnrolment"),
  t("GET", "/issuers/entrust/kiosk/enrolments/:entrustEnrolment/qr.svg"),
  t("GET", "/issuers/entrust/kiosk/enrolments/:entrustEnrolment/qr.png"),
  t("POST", "/issuers/entrust/mobile/activate"),
  // Intercede
  t("POST", "/issuers/intercede/kiosk/requests"),
  t("GET", "/issuers/intercede/kiosk/requests/:intercedeRequest"),
  t("GET", "/issuers/intercede/kiosk/requests/:intercedeRequest/qr.svg"),
  t("GET", "/issuers/intercede/kiosk/requests/:intercedeRequest/qr.png"),
  t("POST", "/issuers/intercede/device/activations"),
  t("GET", "/issuers/intercede/device/credentials/:credential/rekey"),
  t("POST", "/issuers/intercede/device/credentials/:credential/rekey"),
  // Purebred
  t("POST", "/issuers/purebred/registrations"),
  t("GET", "/issuers/purebred/registrations/:registration"),
  t("POST", "/issuers/purebred/registrations/:registration/confirm"),
  t("POST", "/issuers/purebred/key-recovery"),
  t("GET", "/issuers/purebred/registrations/:registration/pre-enrolment-profile"),
  t("POST", "/issuers/purebred/registrations/:registration/otp1"),
  t("POST", "/issuers/purebred/registrations/:registration/credentials"),
  // PKI publication
  t("GET", "/pki"),
  t("GET", "/pki/crl/:crl"),
  t("GET", "/pki/aia/:p7c"),
  t("POST", "/pki/ocsp/:ca"),
  t("GET", "/pki/ocsp/:ca/:other"),
  // admin
  t("GET", "/__admin/clock"),
  t("PUT", "/__admin/clock"),
  t("POST", "/__admin/clock/advance"),
  t("GET", "/__admin/pki"),
  t("GET", "/__admin/certificates/:serial"),
  t("GET", "/__admin/outbox"),
  t("POST", "/__admin/devices/:device/lost"),
  t("GET", "/__admin/faults"),
  t("PUT", "/__admin/faults"),
];

/** Keys every plain object has, and other segments that broke lookups. */
export const PROTOTYPE_KEYS = ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "prototype", "__defineGetter__", "isPrototypeOf"];

const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
  fc.constantFrom("", "%", "%zz", "%00", "%2e%2e", "..", "%2F", "%E0%A4%A", "%F0%9F%98%80", "null", "undefined", "NaN", "-1", "1e308", "0x10", " ", "%20"),
  fc.constantFrom("x".repeat(5_000), encodeURIComponent("ü€𝄞".repeat(300)), "00000000-0000-4000-8000-000000000001"),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);

/** OData query options Graph clients send (docs/intune.md §6.3), good and bad, forged tokens and prototype keys included. */
const ODATA_SUFFIXES = [
  "?$top=1",
  "?top=2&select=id",
  "?$top=0",
  "?$top=1000",
  "?$top=-1",
  "?$top=1e3",
  "?$top=1&$top=2",
  "?$select=id,displayName",
  "?$select=__proto__",
  "?$select=constructor,toString",
  "?$select=",
  "?$filter=id%20eq%20'__proto__'",
  "?$filter=id%20eq%20'00000000-0000-4000-8000-000000000001'",
  "?$filter=displayName%20eq%20'x'",
  "?$filter=id%20eq%20'",
  "?$skiptoken=forged",
  "?$skiptoken=WyJtYW5hZ2VkRGV2aWNlcyIsIiJd.AAAA",
  "?$skiptoken=.",
  "?$orderby=id",
  "?$expand=assignments",
  "?$count=true",
  "?$__proto__=1",
];

/** A path for a route: each `:kind` becomes a hostile segment or, sometimes, the id of something real. */
function pathFor(route: RouteTemplate, ids: RealIds): fc.Arbitrary<string> {
  const parts = route.path.split("/");
  const segs = parts.map((part) => {
    if (!part.startsWith(":")) return fc.constant(part);
    const real = ids[part.slice(1) as IdKind];
    return real === undefined
      ? hostileSegment
      : fc.oneof({ weight: 1, arbitrary: fc.constant(encodeURIComponent(real)) }, { weight: 2, arbitrary: hostileSegment });
  });
  const suffix = fc.constantFrom("", "", "", "/", "?x=1", "?__proto__[x]=1&constructor=1", "?%zz", "#frag", "/extra", ...ODATA_SUFFIXES);
  return fc.tuple(fc.tuple(...segs), suffix).map(([s, tail]) => s.join("/") + tail);
}

/** The route's method mostly; otherwise another standard one, a lowercase one or one no route knows. */
const method = (own: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(own) },
    { weight: 2, arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS") },
    { weight: 1, arbitrary: fc.constantFrom(own.toLowerCase(), "PROPFIND", "M-SEARCH", "PURGE", "FOO", "get", "Patch") },
  );

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant("application/json") },
  fc.constantFrom(
    undefined,
    "text/plain",
    "application/merge-patch+json",
    "application/json; charset=utf-16",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/ocsp-request",
    "application/jsonx",
    "",
  ),
);

/** A JSON text nested `depth` deep, as objects or arrays. */
export function deepJson(depth: number, kind: "object" | "array" = "object"): string {
  return kind === "object" ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

/** Property names the routes take (to get past "unknown property"), and the prototype keys. */
const KEYS = [
  "@odata.type",
  "displayName",
  "issuer",
  "notificationType",
  "renewalThresholdPercentage",
  "ssid",
  "authenticationMethod",
  "assignments",
  "platform",
  "osVersion",
  "ownership",
  "userPrincipalName",
  "compliant",
  "deviceId",
  "certificate",
  "serialNumber",
  "notBefore",
  "notAfter",
  "challengeId",
  "signature",
  "qrSession",
  "password",
  "device",
  "csr",
  "otp",
  "applicantSessionId",
  "credentialId",
  "now",
  "by",
  "rate429",
  "rate503",
  "dropRate",
  "slowMs",
  "seed",
  ...PROTOTYPE_KEYS,
];

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(1e308, -1e308, 5e-324, -0, 2 ** 53 + 1, 1.2345678901234568e29, -1, 0, 1.5, Number.MAX_SAFE_INTEGER),
  fc.constantFrom("", "x".repeat(10_000), "99999999999d", "1e308", "+275760-09-13T00:00:00.000Z", "2026-13-01T00:00:00Z", "8d", "-1d", "__proto__"),
  fc.constantFrom(true, false, null, [], {}, [[[]]], { __proto__: null }),
  fc.constantFrom("purebred", "entrustDatacard", "intercede", "ios", "android", "#microsoft.graph.iosEnterpriseWiFiConfiguration", "derivedCredential"),
);

/** `{"__proto__": …}` as JSON text (JSON.stringify of an object literal would drop it). */
const protoBody = fc
  .tuple(fc.constantFrom("__proto__", "constructor", "prototype"), fc.jsonValue({ maxDepth: 2 }))
  .map(([k, v]) => `{"${k}":${JSON.stringify(v) ?? "null"},"constructor":{"prototype":{"polluted":true}},"__proto__":{"polluted":true}}`);

/** Number literals JSON.parse turns into Infinity, -0 or a rounded integer (written as text: JS would round them here). */
const hugeNumberBody = fc
  .tuple(fc.constantFrom(...KEYS), fc.constantFrom("1e400", "-1e400", "123456789012345678901234567890", `1${"0".repeat(400)}`, "-0", "1e-400"))
  .map(([k, n]) => `{"${k}":${n}}`);

const body: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 1, arbitrary: hugeNumberBody },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.dictionary(fc.constantFrom(...KEYS), nastyValue, { maxKeys: 5 }).map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null") },
  { weight: 2, arbitrary: protoBody },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...KEYS), fc.constantFrom(65, 1_000, 50_000), fc.constantFrom("object" as const, "array" as const))
      .map(([k, depth, kind]) => `{"${k}":${deepJson(depth, kind)}}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(deepJson(50_000), deepJson(50_000, "array"), deepJson(64), "", "{", "nul", "{}{}", '{"a":1,}', "\u0000", "\uFEFF{}"),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

const headers = (sessions: string[]) =>
  fc.record(
    {
      authorization: fc.constantFrom(
        "Bearer x",
        "Basic Og==",
        `Bearer ${"a".repeat(2_000)}`,
        "",
        "Bearer __proto__",
        ...sessions.flatMap((s) => [`Bearer ${s}`, `Bearer ${s}`]),
      ),
      "x-dpclab-client": fc.constantFrom("__proto__", "constructor", "x".repeat(64), ""),
      accept: fc.constantFrom("application/json", "*/*", "text/html", "application/problem+json;q=0"),
    },
    { requiredKeys: [] },
  );

export interface HostileRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  body: string | undefined;
  headers: Record<string, string>;
}

/** Requests over every route; `ids` names real objects of the lab (some segments use them). */
export function hostileRequest(ids: RealIds): fc.Arbitrary<HostileRequest> {
  return fc
    .constantFrom(...ROUTES)
    .chain((route) => fc.record({ method: method(route.method), path: pathFor(route, ids), contentType, body, headers: headers(ids.sessions ?? []) }));
}

/** The RequestInit for a hostile request (a GET or HEAD never has a body: Fetch refuses one). */
export function initOf(r: HostileRequest): RequestInit {
  const h = new Headers(r.headers);
  if (r.contentType !== undefined) h.set("content-type", r.contentType);
  const bodyAllowed = !["GET", "HEAD"].includes(r.method.toUpperCase());
  return { method: r.method, headers: h, ...(bodyAllowed && r.body !== undefined ? { body: r.body } : {}) };
}

/** One line naming the request, for failure messages. */
export function describeRequest(r: HostileRequest): string {
  const b = r.body === undefined ? "" : ` body ${r.body.length > 200 ? `${r.body.slice(0, 200)}… (${r.body.length} chars)` : r.body}`;
  return `${r.method} ${r.path.length > 200 ? `${r.path.slice(0, 200)}…` : r.path} [${r.contentType ?? "no content-type"}]${b}`;
}
