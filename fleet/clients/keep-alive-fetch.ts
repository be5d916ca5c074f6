import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/** fetch's signature over node:http, with the connections it keeps open. */
export type KeepAliveFetch = typeof fetch & {
  /** Closes the kept connections (the run is over). */
  close(): void;
};

/** Statuses whose responses carry no body (Fetch: null body status, plus 1xx). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * The simulated phones' HTTP stack over real sockets: fetch's signature, node:http underneath, connections kept
 * alive. undici's fetch spends about as much on WHATWG streams and its request machinery as the emulators spend
 * answering (fleet storm profiles); a fleet sends tens of thousands of small JSON requests. What travels is the same
 * HTTP/1.1. A failure on the wire throws fetch's TypeError("fetch failed") with the cause, so the agents' retry logic
 * treats it as it treats fetch's. Request objects and streamed bodies go to the global fetch.
 */
export function keepAliveFetch(opts: { maxSockets?: number } = {}): KeepAliveFetch {
  const agents = {
    "http:": new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 16 }),
    "https:": new HttpsAgent({ keepAlive: true, maxSockets: opts.maxSockets ?? 16 }),
  };
  const send = (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const body = init.body;
    const inMemory = body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;
    if (input instanceof Request || !inMemory || init.signal) return globalThis.fetch(input, init);
    const url = new URL(String(input));
    if (url.protocol !== "http:" && url.protocol !== "https:") return globalThis.fetch(input, init);
    const method = (init.method ?? "GET").toUpperCase();
    const headers: Record<string, string> = Object.create(null); // header names are keys: none may reach a prototype
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const payload = body === undefined || body === null ? undefined : typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
    if (payload) headers["content-length"] = String(payload.length);
    if (typeof body === "string") headers["content-type"] ??= "text/plain;charset=UTF-8"; // as fetch types a string body
    return new Promise<Response>((resolve, reject) => {
      const fail = (cause: unknown) => reject(new TypeError("fetch failed", { cause }));
      const open = url.protocol === "https:" ? httpsRequest : httpRequest;
      const req = open(url, { method, headers, agent: agents[url.protocol as "http:" | "https:"] }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", fail);
        res.on("aborted", () => fail(new Error("the server closed the connection mid-response")));
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          const bodyBytes = NULL_BODY.has(status) || method === "HEAD" ? null : Buffer.concat(chunks);
          try {
            resolve(new Response(bodyBytes, { status, statusText: res.statusMessage ?? "", headers: responseHeaders(res.headers) }));
          } catch (error) {
            fail(error);
          }
        });
      });
      req.on("error", fail);
      req.end(payload);
    });
  };
  return Object.assign(send as typeof fetch, {
    close: () => {
      agents["http:"].destroy();
      agents["https:"].destroy();
    },
  });
}

function responseHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}
