import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { DpclabError } from "../../src/errors.js";
import { handlerRequest, isForbiddenMethod } from "./buffered-request.js";
import { DroppedConnection, type FetchHandler } from "./handler.js";
import { isJsonContentType, jsonNestsDeeperThan, tooDeepJson } from "./json-body.js";
import { errorToProblem, problem, problemDetails, problemTitle } from "./problem.js";

export interface RunningServer {
  /** e.g. http://127.0.0.1:7800 */
  url: string;
  close(): Promise<void>;
}

/** Request bodies above this are refused with 413: no emulator message comes close. */
const MAX_BODY_BYTES = 1 << 20;

/** Mounts a Fetch-style handler on a real node:http server, bound to 127.0.0.1 unless told otherwise. */
export async function serve(handler: FetchHandler, opts: { host?: string; port?: number } = {}): Promise<RunningServer> {
  const host = opts.host ?? "127.0.0.1";
  const shownHost = host.includes(":") ? `[${host}]` : host;
  let authority = shownHost; // with the port once listening: what a request without a Host header is for
  // requireHostHeader off: Node's own 400 for a missing Host has no body; dispatch answers it as problem+json.
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    void dispatch(handler, req, res, authority);
  });
  server.keepAliveTimeout = 5_000;
  // What Node answers itself (bad request line or headers, 431, timeouts, CONNECT, Expect) gets a problem too.
  server.on("clientError", answerClientError);
  server.on("connect", (_req: IncomingMessage, socket: Duplex) => writeRawProblem(socket, 405, "CONNECT is not supported by the dpclab emulators"));
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    void send(req, res, problem(417, `only "Expect: 100-continue" is supported (got "${String(req.headers.expect).slice(0, 64)}")`, { code: "bad-expect" }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  authority = `${shownHost}:${port}`;
  return {
    url: `http://${authority}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function dispatch(handler: FetchHandler, req: IncomingMessage, res: ServerResponse, authority: string): Promise<void> {
  let response: Response;
  try {
    const body = await readBody(req);
    response = body === "too-large" ? problem(413, `request body over ${MAX_BODY_BYTES} bytes`) : await handler(toRequest(req, body, authority));
  } catch (error) {
    if (error instanceof DroppedConnection) {
      req.socket.destroy();
      return;
    }
    response = errorToProblem(error);
  }
  await send(req, res, response);
}

/** The Fetch request for what came off the socket; bad input (method, Host, target, headers, JSON depth) is a 4xx DpclabError. */
function toRequest(req: IncomingMessage, body: Buffer, authority: string): Request {
  const method = req.method ?? "GET";
  // Fetch refuses these methods outright (a Request cannot be built): they were 500s.
  if (isForbiddenMethod(method)) throw new DpclabError(`${method} is not supported by the dpclab emulators`, "method-not-allowed", 405);
  const headers = new Headers();
  // rawHeaders, not req.headers: names from outside never become keys of a plain object.
  const raw = req.rawHeaders;
  try {
    for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  } catch {
    throw new DpclabError("a request header is not valid", "bad-header", 400);
  }
  const url = requestUrl(req.url ?? "/", hostOf(req, authority));
  const hasBody = method !== "GET" && method !== "HEAD";
  if (hasBody && body.length > 0 && isJsonContentType(headers.get("content-type")) && jsonNestsDeeperThan(body)) throw tooDeepJson();
  return handlerRequest(url, { method, headers, ...(hasBody ? { body: new Uint8Array(body) } : {}) });
}

/** host[:port] as RFC 3986 allows it (reg-name, IPv4, [IPv6]); HTTP/1.1 demands a 400 for anything else (RFC 9112 §3.2). */
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(:[0-9]{0,5})?$/;

function hostOf(req: IncomingMessage, authority: string): string {
  const host = req.headers.host;
  if (host === undefined) {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) throw new DpclabError("an HTTP/1.1 request needs a Host header", "bad-host", 400);
    return authority;
  }
  if (!HOST.test(host)) throw new DpclabError(`not a valid Host header: "${host.slice(0, 100)}"`, "bad-host", 400);
  return host;
}

/**
 * The URL of the request target (RFC 9112 §3.2): origin-form "/path?query" on the Host's authority, or absolute-form.
 * The path is set, not resolved against the authority: a target such as "//other/x" must not change the host.
 */
function requestUrl(target: string, host: string): URL {
  try {
    if (target.startsWith("/")) {
      const url = new URL(`http://${host}`);
      const q = target.indexOf("?");
      url.pathname = q < 0 ? target : target.slice(0, q);
      url.search = q < 0 ? "" : target.slice(q);
      return url;
    }
    if (/^https?:\/\//i.test(target)) return new URL(target);
  } catch {
    throw new DpclabError(`not a valid request target or Host: "${target.slice(0, 100)}" on "${host.slice(0, 100)}"`, "bad-target", 400);
  }
  throw new DpclabError(`not a request target the emulators answer: "${target.slice(0, 100)}"`, "bad-target", 400);
}

/**
 * Writes the handler's answer. Whatever fails here (a body that cannot be read, a status Node refuses) is a bug, yet
 * it must not become an unhandled rejection that ends the process: a 500 problem while nothing was sent, else the
 * connection is cut.
 */
async function send(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  try {
    const payload = req.method === "HEAD" ? undefined : Buffer.from(await response.arrayBuffer());
    const headers: string[] = [];
    for (const [name, value] of response.headers) headers.push(name, value);
    res.writeHead(response.status, headers);
    res.end(payload);
  } catch (error) {
    if (res.headersSent) {
      req.socket.destroy();
      return;
    }
    const fallback = errorToProblem(error);
    res.writeHead(fallback.status, { "content-type": "application/problem+json" });
    res.end(await fallback.text());
  }
}

/** Node's parser errors as problem+json (it would answer a bare "400 Bad Request"), where the socket still takes it. */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const status =
    error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" || error.code === "ERR_HTTP_HEADERS_TIMEOUT" ? 408 : 400;
  const detail =
    status === 431
      ? "the request's headers are too large"
      : status === 408
        ? "the request did not arrive in time"
        : `the request is not valid HTTP/1.1 (${error.code ?? "parse error"})`;
  writeRawProblem(socket, status, detail, { code: (error.code ?? "bad-request").toLowerCase() });
}

/** Writes a whole problem+json answer on a raw socket and closes it (nothing of a response went out yet). */
function writeRawProblem(socket: Duplex, status: number, detail: string, extra: Record<string, unknown> = {}): void {
  const message = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || message?.headersSent) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(problemDetails(status, detail, extra));
  socket.end(
    `HTTP/1.1 ${status} ${problemTitle(status)}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function readBody(req: IncomingMessage): Promise<Buffer | "too-large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve("too-large");
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Whether a --host binds only this machine's loopback interface (127/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
