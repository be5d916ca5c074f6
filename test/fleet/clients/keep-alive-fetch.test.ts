import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DroppedConnection, type RunningServer, router, serve } from "../../../emulators/shared/index.js";
import { keepAliveFetch } from "../../../fleet/clients/index.js";

// The fleet's HTTP client (node:http, kept connections) against a real server, side by side with the global fetch:
// what an agent reads of a Response must not depend on which of the two sent the request.

let server: RunningServer;
const client = keepAliveFetch();

beforeAll(async () => {
  const routes = router([
    {
      method: "POST",
      path: "/echo",
      handle: async (req) =>
        Response.json({ method: req.method, type: req.headers.get("content-type"), who: req.headers.get("x-dpclab-client"), body: await req.text() }),
    },
    { method: "GET", path: "/empty", handle: () => new Response(null, { status: 204, headers: { "x-note": "none" } }) },
    { method: "GET", path: "/busy", handle: () => Response.json({ code: "fault-429" }, { status: 429, headers: { "retry-after": "3" } }) },
    {
      method: "GET",
      path: "/twice",
      handle: () => {
        const h = new Headers({ "content-type": "text/plain" });
        h.append("set-cookie", "a=1");
        h.append("set-cookie", "b=2");
        return new Response("é ok", { headers: h });
      },
    },
  ]);
  // As the fault injector does: thrown outside the router, so the server destroys the socket.
  server = await serve(async (req) => {
    if (new URL(req.url).pathname === "/drop") throw new DroppedConnection();
    return routes(req);
  });
});
afterAll(async () => {
  client.close();
  await server.close();
});

async function seen(f: typeof fetch, path: string, init?: RequestInit) {
  const res = await f(new URL(path, server.url), init);
  return {
    status: res.status,
    ok: res.ok,
    retryAfter: res.headers.get("retry-after"),
    cookies: res.headers.getSetCookie(),
    type: res.headers.get("content-type"),
    text: await res.text(),
  };
}

describe("keepAliveFetch (node:http with kept connections) answers as fetch does", () => {
  it.each([
    [
      "a JSON POST with a string body",
      "/echo",
      { method: "POST", headers: { "content-type": "application/json", "x-dpclab-client": "device-7" }, body: '{"a":1}' },
    ],
    ["a POST of bytes with no content type", "/echo", { method: "post", body: Uint8Array.of(0x68, 0x69) }],
    ["a POST of a string with no content type (text/plain, as fetch sets it)", "/echo", { method: "POST", body: "plain" }],
    ["204 with no body", "/empty", undefined],
    ["429 with Retry-After (the agents' backoff reads it)", "/busy", undefined],
    ["repeated Set-Cookie headers and UTF-8 text", "/twice", undefined],
    ["an unknown path: the router's 404 problem", "/nowhere", undefined],
  ])("%s", async (_name, path, init) => {
    expect(await seen(client, path, init as RequestInit | undefined)).toEqual(await seen(globalThis.fetch, path, init as RequestInit | undefined));
  });

  it("a dropped connection is fetch's TypeError('fetch failed'), which the agents retry as a network failure", async () => {
    const theirs = await globalThis.fetch(new URL("/drop", server.url)).catch((e: Error) => e);
    const ours = await client(new URL("/drop", server.url)).catch((e: Error) => e);
    expect(ours).toBeInstanceOf(TypeError);
    expect((ours as Error).message).toBe((theirs as Error).message);
    expect((ours as Error).message).toBe("fetch failed");
  });

  it("keeps the connection: a hundred requests in a row travel over one socket", async () => {
    let sockets = 0;
    const plain = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.end("ok"));
    });
    plain.on("connection", () => sockets++);
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    const { port } = plain.address() as AddressInfo;
    const own = keepAliveFetch();
    try {
      for (let i = 0; i < 100; i++) {
        const res = await own(`http://127.0.0.1:${port}/`, { method: "POST", body: String(i) });
        expect(await res.text()).toBe("ok");
      }
    } finally {
      own.close();
      plain.closeAllConnections();
      await new Promise((resolve) => plain.close(resolve));
    }
    expect(sockets).toBe(1);
  });
});
