import { handlerRequest } from "./buffered-request.js";
import { isJsonContentType, jsonNestsDeeperThan, tooDeepJson } from "./json-body.js";
import { errorToProblem, problem } from "./problem.js";

/**
 * Every emulator is a Fetch-style handler, written once and mounted either on a real node:http server or
 * dispatched in-process (docs/architecture.md). Agents only ever see a fetch-like function.
 */
export type FetchHandler = {
  (request: Request): Promise<Response>;
  /** Whether some route of this handler matches the path (any method); absent: the handler must be asked. */
  readonly claims?: (pathname: string) => boolean;
};

/**
 * Thrown by a handler to drop the connection without an answer (fault injection). On a socket the server destroys
 * it; in-process it surfaces as the TypeError a real fetch throws on a network failure.
 */
export class DroppedConnection extends Error {
  constructor() {
    super("connection dropped by fault injection");
    this.name = "DroppedConnection";
  }
}

export interface Route {
  method: string;
  /** A path with `:name` segments, e.g. "/pki/ocsp/:ca/:request". */
  path: string;
  handle(request: Request, params: Record<string, string>, url: URL): Promise<Response> | Response;
}

/** Builds a handler from routes; unknown paths are 404 and wrong methods 405, both as problem+json. */
export function router(routes: Route[]): FetchHandler {
  const compiled = routes.map((r) => ({ ...r, parts: r.path.split("/").filter(Boolean) }));
  const claims = (pathname: string) => {
    const segments = pathname.split("/").filter(Boolean);
    return compiled.some((route) => matchPath(route.parts, segments) !== undefined);
  };
  return withClaims(async (request) => {
    const url = new URL(request.url);
    const segments = url.pathname.split("/").filter(Boolean);
    let pathMatched = false;
    for (const route of compiled) {
      const params = matchPath(route.parts, segments);
      if (!params) continue;
      pathMatched = true;
      if (route.method !== request.method && !(route.method === "GET" && request.method === "HEAD")) continue;
      try {
        return await route.handle(request, params, url);
      } catch (error) {
        return errorToProblem(error);
      }
    }
    return pathMatched ? problem(405, `${request.method} is not allowed on ${url.pathname}`) : problem(404, `no such resource: ${url.pathname}`);
  }, claims);
}

/** `handler` answering for the paths `claims` says (e.g. a wrapper around a router, with the router's claims). */
export function withClaims(handler: (request: Request) => Promise<Response>, claims: ((pathname: string) => boolean) | undefined): FetchHandler {
  return claims ? Object.assign(handler, { claims }) : handler;
}

function matchPath(parts: string[], segments: string[]): Record<string, string> | undefined {
  // A trailing ":rest*" segment swallows the remaining segments (base64 in OCSP GET may contain "/").
  const last = parts[parts.length - 1];
  const greedy = last?.endsWith("*") ?? false;
  if (greedy ? segments.length < parts.length : segments.length !== parts.length) return undefined;
  // Keys are our route's parameter names, but a null prototype keeps `params.constructor` & co. absent all the same.
  const params: Record<string, string> = Object.create(null);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const isLast = i === parts.length - 1;
    if (part.startsWith(":")) {
      const value = greedy && isLast ? segments.slice(i).join("/") : (segments[i] as string);
      try {
        params[part.slice(1).replace(/\*$/, "")] = decodeURIComponent(value);
      } catch {
        return undefined;
      }
    } else if (part !== segments[i]) {
      return undefined;
    }
  }
  return params;
}

/**
 * Combines handlers: those that claim the path answer for it (a claimant's 404 is its own answer); a path nobody
 * claims goes to the handlers that cannot say. Of several, the first that does not answer 404 wins. A single one gets
 * the request as is: cloning a request tees its body stream, which costs more than the routing.
 */
export function mount(...handlers: FetchHandler[]): FetchHandler {
  const claims = (pathname: string) => handlers.some((h) => !h.claims || h.claims(pathname));
  return withClaims(async (request) => {
    const { pathname } = new URL(request.url);
    const claimants = handlers.filter((h) => h.claims?.(pathname));
    const candidates = claimants.length > 0 ? claimants : handlers.filter((h) => !h.claims);
    if (candidates.length === 1) return candidates[0]!(request);
    let last: Response | undefined;
    for (const handler of candidates) {
      last = await handler(request.clone());
      if (last.status !== 404) return last;
    }
    return last ?? problem(404, `no such resource: ${pathname}`);
  }, claims);
}

/**
 * A fetch-like function that dispatches to a handler in-process (no sockets), for the fast path: the handler gets a
 * BufferedRequest (no body stream) when the body is already in memory, a real Request otherwise.
 */
export function inProcessFetch(handler: FetchHandler, base = "http://dpclab.invalid"): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    let request: Request;
    if (input instanceof Request) {
      request = input;
      // A caller's own Request (rare: a stream or a re-wrapped request) is held to the same depth limit; reading a
      // clone leaves its body for the handler.
      if (request.body !== null && isJsonContentType(request.headers.get("content-type")) && jsonNestsDeeperThan(await request.clone().text()))
        return errorToProblem(tooDeepJson());
    } else {
      const url = new URL(String(input), base);
      if (init?.body !== undefined && init.body !== null && tooDeep(init)) return errorToProblem(tooDeepJson());
      request = handlerRequest(url, init);
    }
    try {
      return await handler(request);
    } catch (error) {
      if (error instanceof DroppedConnection) throw new TypeError("fetch failed", { cause: error });
      throw error;
    }
  }) as typeof fetch;
}

/** A JSON body in memory nested past MAX_JSON_DEPTH: refused before any handler walks it (json-body.ts). */
function tooDeep(init: RequestInit): boolean {
  const body = init.body;
  if (typeof body !== "string" && !ArrayBuffer.isView(body)) return false;
  if (!isJsonContentType(new Headers(init.headers).get("content-type"))) return false;
  const bytes = typeof body === "string" ? body : new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  return jsonNestsDeeperThan(bytes);
}
