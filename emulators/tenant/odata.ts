import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { bad } from "./input.js";

/**
 * The OData query options Graph clients send (docs/intune.md §6.3): `$select`, `$filter` by id, `$top` with
 * `@odata.nextLink` paging through an opaque `$skiptoken`. On Graph beta the `$` prefix is optional, so `top=10` is
 * `$top=10` too. Anything else that looks like a system query option is refused with a 400 naming what is supported;
 * other parameters are ignored, as Graph ignores them. Outside strings are only ever compared, never used as keys.
 */
export interface ODataQuery {
  select?: readonly string[];
  filterId?: string;
  top?: number;
  /** The id after which the page starts (from a verified $skiptoken). */
  after?: string;
}

/** The options the lab reads; the other OData system query options are refused by name. */
const SUPPORTED = ["select", "filter", "top", "skiptoken"] as const;
type Supported = (typeof SUPPORTED)[number];
const UNSUPPORTED = ["expand", "orderby", "skip", "count", "search", "format", "apply", "compute", "levels", "index", "schemaversion", "deltatoken"];
/** Graph's `$top` bound for most collections; the issue asks for 1..999 as well. */
export const MAX_TOP = 999;
const MAX_OPTION_CHARS = 2048;

export type QueryKind = "collection" | "entity";

/**
 * Reads the query options of a GET. `known`: the entity's top-level properties ($select names only these). An entity
 * (a GET by id) takes only `$select`. Throws a 400 DpclabError on anything else; nothing has changed by then.
 */
export function parseODataQuery(url: URL, kind: QueryKind, known: readonly string[], tokens: SkipTokens, collection: string): ODataQuery {
  const raw = new Map<Supported, string>();
  for (const [name, value] of url.searchParams) {
    const bare = name.startsWith("$") ? name.slice(1) : name;
    const option = bare.toLowerCase();
    const supported = SUPPORTED.find((s) => s === option);
    if (!supported) {
      if (name.startsWith("$") || UNSUPPORTED.includes(option)) {
        throw bad(
          `the query option "${name.slice(0, 40)}" is not supported here: this tenant supports ${kind === "collection" ? "$select, $filter (id eq '…'), $top (1..999) and $skiptoken (from @odata.nextLink)" : "$select"} (docs/intune.md §6.3)`,
          "unsupported-query-option",
        );
      }
      continue; // not a system query option: ignored, as Graph does
    }
    if (raw.has(supported)) throw bad(`the query option $${supported} is given twice`, "duplicate-query-option");
    if (value.length > MAX_OPTION_CHARS) throw bad(`$${supported} is longer than ${MAX_OPTION_CHARS} characters`, "invalid-query-option");
    raw.set(supported, value);
  }
  const query: ODataQuery = {};
  for (const [option, value] of raw) {
    if (kind === "entity" && option !== "select") {
      throw bad(`$${option} applies to collections; a single entity takes only $select (docs/intune.md §6.3)`, "unsupported-query-option");
    }
    if (option === "select") query.select = parseSelect(value, known);
    else if (option === "filter") query.filterId = parseFilter(value);
    else if (option === "top") query.top = parseTop(value);
    else query.after = tokens.read(value, collection);
  }
  return query;
}

function parseSelect(value: string, known: readonly string[]): string[] {
  const names = value.split(",").map((n) => n.trim());
  if (names.some((n) => n === "")) throw bad(`$select is a comma-separated list of property names (got "${value.slice(0, 80)}")`, "invalid-select");
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw bad(
      `$select names unknown propert${unknown.length === 1 ? "y" : "ies"} ${unknown
        .slice(0, 10)
        .map((n) => JSON.stringify(n.slice(0, 64)))
        .join(", ")} (known: ${known.join(", ")})`,
      "invalid-select",
    );
  }
  return [...new Set(names)];
}

/** `id eq 'x'` only (an OData string literal: single quotes, a quote doubled inside). */
function parseFilter(value: string): string {
  const match = /^\s*id\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(value);
  if (!match) {
    throw bad(
      `$filter supports only "id eq '<id>'" here (got "${value.slice(0, 80)}"); Graph's other filters are not emulated (docs/intune.md §6.3)`,
      "unsupported-filter",
    );
  }
  return (match[1] as string).replaceAll("''", "'");
}

function parseTop(value: string): number {
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > MAX_TOP) {
    throw bad(`$top must be an integer from 1 to ${MAX_TOP} (got "${value.slice(0, 40)}")`, "invalid-top");
  }
  return Number(value);
}

/**
 * Opaque `$skiptoken`s: the collection and the last id of the page, MACed with the lab's key (kept in its store). A
 * token another collection, another lab or a client made is refused (400): it is not a cursor to guess at.
 * Ids are in creation order, so the next page is what follows that id even if items were deleted meanwhile.
 */
export class SkipTokens {
  readonly #key: Uint8Array;

  /** `key`: the lab's (Tenant.skipTokenKey), so a token from another server on the same store, or from before a restart, is good. */
  constructor(key: Uint8Array = randomBytes(32)) {
    this.#key = key;
  }

  make(collection: string, lastId: string): string {
    const payload = Buffer.from(JSON.stringify([collection, lastId])).toString("base64url");
    return `${payload}.${this.#mac(payload)}`;
  }

  read(token: string, collection: string): string {
    const forged = () => bad(`$skiptoken is not one this tenant issued for ${collection}: follow @odata.nextLink as given`, "invalid-skiptoken");
    const [payload, mac, ...rest] = token.split(".");
    if (!payload || !mac || rest.length > 0) throw forged();
    const expected = Buffer.from(this.#mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw forged();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      throw forged();
    }
    if (!Array.isArray(parsed) || parsed.length !== 2 || parsed[0] !== collection || typeof parsed[1] !== "string") throw forged();
    return parsed[1];
  }

  #mac(payload: string): string {
    return createHmac("sha256", this.#key).update(payload).digest("base64url");
  }
}

/** Projects an entity onto `$select` (its "@odata.type" stays: it says which derived type the entity is). */
export function selectProperties(entity: Record<string, unknown>, select: readonly string[] | undefined): Record<string, unknown> {
  if (!select) return entity;
  const out: Record<string, unknown> = {};
  if (entity["@odata.type"] !== undefined) out["@odata.type"] = entity["@odata.type"];
  for (const name of select) if (Object.hasOwn(entity, name)) out[name] = entity[name];
  return out;
}

/**
 * One page of a collection: filtered by id, after the token's id, at most `$top` items, projected by `$select`, with
 * `@odata.nextLink` (the request's own path and options on the lab's base URL, or relative without one) while more remain. Without
 * `$top` the whole collection is one page.
 */
export function collectionPage<T extends { id: string }>(
  items: readonly T[],
  query: ODataQuery,
  view: (item: T) => Record<string, unknown>,
  next: { url: URL; base: string | undefined; tokens: SkipTokens; collection: string },
): { value: Record<string, unknown>[]; "@odata.nextLink"?: string } {
  let rest = query.filterId === undefined ? items : items.filter((i) => i.id === query.filterId);
  if (query.after !== undefined) {
    const after = query.after;
    rest = rest.filter((i) => i.id > after);
  }
  const page = query.top === undefined ? rest : rest.slice(0, query.top);
  const body: { value: Record<string, unknown>[]; "@odata.nextLink"?: string } = { value: page.map((i) => selectProperties(view(i), query.select)) };
  const last = page[page.length - 1];
  if (last && page.length < rest.length) {
    // Never the request's Host: the lab's base URL, or (none given) a link relative to the request's origin.
    // The request's other options as it wrote them ($top, not %24top), the old token replaced (a token is URL-safe).
    const kept = next.url.search
      .slice(1)
      .split("&")
      .filter((part) => part !== "" && !/^(\$|%24)?skiptoken(=|$)/i.test(part));
    const path = `${next.url.pathname}?${[...kept, `$skiptoken=${next.tokens.make(next.collection, last.id)}`].join("&")}`;
    body["@odata.nextLink"] = next.base === undefined ? path : new URL(path, next.base).toString();
  }
  return body;
}
