import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { handlerRequest } from "./buffered-request.js";
import { DroppedConnection, type FetchHandler } from "./handler.js";
import { errorToProblem, problem } from "./problem.js";

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
  const server = createServer((req, res) => {
    void dispatch(handler, req, res, host);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function dispatch(handler: FetchHandler, req: IncomingMessage, res: ServerResponse, host: string): Promise<void> {
  let response: Response;
  try {
    const body = await readBody(req);
    if (body === "too-large") {
      response = problem(413, `request body over ${MAX_BODY_BYTES} bytes`);
    } else {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      const url = new URL(req.url ?? "/", `http://${req.headers.host ?? host}`);
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const init: RequestInit = { method: req.method ?? "GET", headers, ...(hasBody ? { body: new Uint8Array(body) } : {}) };
      response = await handler(handlerRequest(url, init));
    }
  } catch (error) {
    if (error instanceof DroppedConnection) {
      req.socket.destroy();
      return;
    }
    response = errorToProblem(error);
  }
  const payload = req.method === "HEAD" ? undefined : Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(payload);
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
