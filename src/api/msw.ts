import { HttpResponse, http, type RequestHandler } from "msw";
import { DroppedConnection } from "../../emulators/shared/index.js";
import { DpclabError } from "../errors.js";
import type { Lab } from "./lab.js";

export interface DpclabHandlersOptions {
  /**
   * Where the lab answers, e.g. `https://tenant.example.test` or `https://api.example.test/dpclab` (a path is a
   * prefix, stripped before the lab sees the request). Every path under it reaches the lab.
   */
  origin: string;
  /**
   * Also answer at the lab's own base URL (default true): the URLs the lab hands out — AIA, CRL and OCSP in its
   * certificates, QR codes, enrolment profiles — then resolve too, without a server.
   */
  baseUrl?: boolean;
}

/**
 * msw 2 request handlers that pass every request under `origin` to the lab's Fetch handler in-process, so client code
 * written against `https://tenant.example.test/…` runs against the emulators with no socket. Use with `setupServer`
 * (node) or `setupWorker`. Fault knobs: `lab.faults.set({ rate503: 1 })`, or `PUT ORIGIN/__admin/faults` (open in-process).
 */
export function dpclabHandlers(lab: Lab, options: DpclabHandlersOptions): RequestHandler[] {
  const mounts = [parseMount(options.origin)];
  if (options.baseUrl !== false) {
    const own = parseMount(lab.baseUrl);
    if (own.origin !== mounts[0]?.origin || own.prefix !== mounts[0]?.prefix) mounts.push(own);
  }
  return mounts.map(({ origin, prefix }) =>
    http.all(`${origin}${prefix}/*`, async ({ request }) => {
      const url = new URL(request.url);
      const path = url.pathname.slice(prefix.length) || "/";
      const target = new URL(`${path}${url.search}`, lab.baseUrl);
      const hasBody = request.method !== "GET" && request.method !== "HEAD";
      const forwarded = new Request(target, {
        method: request.method,
        headers: request.headers,
        body: hasBody ? await request.arrayBuffer() : undefined,
        redirect: "manual",
      });
      let response: Response;
      try {
        response = await lab.handler(forwarded);
      } catch (error) {
        if (error instanceof DroppedConnection) return HttpResponse.error(); // fetch rejects, as on a dropped socket
        throw error;
      }
      const location = response.headers.get("location");
      if (location?.startsWith(lab.baseUrl)) {
        const headers = new Headers(response.headers);
        headers.set("location", `${origin}${prefix}${location.slice(lab.baseUrl.length)}`);
        return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
      }
      return response;
    }),
  );
}

function parseMount(text: string): { origin: string; prefix: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DpclabError(
      `origin must be an absolute http(s) URL such as https://tenant.example.test (got ${JSON.stringify(String(text).slice(0, 64))})`,
      "usage",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new DpclabError(`origin must be http or https (got ${url.protocol})`, "usage");
  if (url.search || url.hash) throw new DpclabError("origin must not have a query or fragment", "usage");
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, "") };
}
