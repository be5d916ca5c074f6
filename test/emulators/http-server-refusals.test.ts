import { connect } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inProcessFetch, type RunningServer, router, serve } from "../../emulators/shared/index.js";
import { jsonNestsDeeperThan, MAX_JSON_DEPTH, parseJsonText, readJsonObject } from "../../emulators/shared/json-body.js";
import { propertySeed } from "../helpers/fast-check-seed.js";
import { deepJson } from "./hostile-requests.js";

// Issue 10 item 6: what a hostile client sends to the socket itself. Every answer is problem+json with a 4xx,
// including those Node's HTTP parser gives before any handler runs; none is a 500.

const handler = router([
  { method: "GET", path: "/hello", handle: (_r, _p, url) => Response.json({ host: url.host, path: url.pathname }) },
  { method: "POST", path: "/echo", handle: async (r) => Response.json(await readJsonObject(r)) },
  // Handler bugs: a body that fails while it is read, and something that is no Response at all.
  {
    method: "GET",
    path: "/broken-body",
    handle: () =>
      new Response(
        new ReadableStream({
          pull(c) {
            c.error(new Error("disk on fire"));
          },
        }),
      ),
  },
  { method: "GET", path: "/not-a-response", handle: () => undefined as unknown as Response },
]);
let server: RunningServer;
let port: number;

beforeAll(async () => {
  server = await serve(handler);
  port = Number(new URL(server.url).port);
});
afterAll(() => server.close());

/** Writes raw bytes and reads the whole answer (the server closes the connection: each request says so). */
function raw(request: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((done, fail) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(Buffer.from(request, "latin1")));
    let data = "";
    socket.on("data", (d) => {
      data += d.toString("latin1");
    });
    socket.on("error", fail);
    socket.on("close", () => {
      const [head = "", ...rest] = data.split("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      let body = rest.join("\r\n\r\n");
      // A chunked answer: one chunk, "size\r\ndata\r\n0".
      if (/transfer-encoding: chunked/i.test(head)) body = body.split("\r\n")[1] ?? "";
      done({ status, headers: head, body });
    });
  });
}

function expectProblem(res: { status: number; headers: string; body: string }, status: number): Record<string, unknown> {
  expect(res.status, res.headers).toBe(status);
  expect(res.headers).toMatch(/content-type: application\/problem\+json/i);
  const problem = JSON.parse(res.body) as Record<string, unknown>;
  expect(problem.status).toBe(status);
  expect(typeof problem.title).toBe("string");
  expect(typeof problem.detail).toBe("string");
  return problem;
}

const close = "Connection: close\r\n";

describe("the HTTP server refuses bad requests as problem+json", () => {
  it("TRACE and CONNECT: 405 (Fetch cannot represent them; TRACE was 500); TRACK: 400 from the parser", async () => {
    expectProblem(await raw(`TRACE /hello HTTP/1.1\r\nHost: x\r\n${close}\r\n`), 405);
    expectProblem(await raw(`TRACE /nowhere HTTP/1.1\r\nHost: x\r\n${close}\r\n`), 405);
    expectProblem(await raw(`TRACK /hello HTTP/1.1\r\nHost: x\r\n${close}\r\n`), 400);
    expectProblem(await raw("CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n"), 405);
  });

  it("a Host that is no host, or none on HTTP/1.1: 400 (RFC 9112 §3.2; `Host: [bad` was 500)", async () => {
    for (const host of ["[bad", "a b", "x/y", "x@y", "[::1", "a:b:c"]) expectProblem(await raw(`GET /hello HTTP/1.1\r\nHost: ${host}\r\n${close}\r\n`), 400);
    expectProblem(await raw(`GET /hello HTTP/1.1\r\n${close}\r\n`), 400);
    const ok = await raw(`GET /hello HTTP/1.0\r\n\r\n`);
    expect(ok.status).toBe(200); // HTTP/1.0 needs no Host: the server's own authority stands in
  });

  it("a request target cannot change the host: //other/x is a path", async () => {
    const res = await raw(`GET //evil.example/hello HTTP/1.1\r\nHost: lab.test\r\n${close}\r\n`);
    expectProblem(res, 404);
    expect(JSON.parse(res.body).detail).toContain("//evil.example/hello");
    const star = await raw(`OPTIONS * HTTP/1.1\r\nHost: lab.test\r\n${close}\r\n`);
    expectProblem(star, 400);
  });

  it("what Node's parser refuses: unknown method, bad header bytes, bad Content-Length, headers too large (431)", async () => {
    expectProblem(await raw(`FOO /hello HTTP/1.1\r\nHost: x\r\n${close}\r\n`), 400);
    expectProblem(await raw(`GET /hello HTTP/1.1\r\nHo\u0001st: x\r\n\r\n`), 400);
    expectProblem(await raw(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`), 400);
    expectProblem(await raw(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n`), 400);
    expectProblem(await raw(`GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`), 431);
    expectProblem(await raw("\u0000\u0001\u0002 garbage\r\n\r\n"), 400);
  });

  it("an Expect other than 100-continue: 417 problem+json", async () => {
    expectProblem(await raw(`GET /hello HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n${close}\r\n`), 417);
  });

  it("JSON nested past the limit: 400 at the door, over the socket and in-process (50,000 deep was 500)", async () => {
    for (const body of [deepJson(50_000), deepJson(50_000, "array"), `{"a":${deepJson(MAX_JSON_DEPTH)}}`]) {
      const req = `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${close}\r\n${body}`;
      expect(expectProblem(await raw(req), 400).code).toBe("json-too-deep");
      const res = await inProcessFetch(handler)("/echo", { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
    // A caller's own Request is held to the same limit.
    const own = new Request("http://lab.test/echo", { method: "POST", headers: { "content-type": "application/json" }, body: deepJson(50_000) });
    expect((await inProcessFetch(handler)(own)).status).toBe(400);
    // At the limit it is still JSON like any other.
    const ok = await inProcessFetch(handler)("/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"a":${deepJson(MAX_JSON_DEPTH - 1)}}`,
    });
    expect(ok.status).toBe(200);
  });

  it("header names from outside are no object keys: __proto__ and constructor are headers like others", async () => {
    const res = await raw(`GET /hello HTTP/1.1\r\nHost: x\r\n__proto__: 1\r\nconstructor: 2\r\n${close}\r\n`);
    expect(res.status).toBe(200);
  });
});

describe("raw junk on the socket (property)", () => {
  const { params } = propertySeed("http-server-refusals");
  // Printable junk and control bytes where a request line, a header or a body goes.
  const junk = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom("", " ", "\t", "\u0000", "\u007f", "\u00ff", "\r", "\n", "\r\n", ":", "%", "[", "HTTP/1.1", "chunked", "-1", "99999999999999999999"),
  );
  const request = fc
    .record({
      method: fc.oneof(fc.constantFrom("GET", "POST", "TRACE", "CONNECT", "OPTIONS", "DELETE", "PRI", "get"), junk),
      target: fc.oneof(fc.constantFrom("/hello", "/echo", "*", "//x/hello", "http://x/hello", "/%zz", "/hello?%00"), junk),
      version: fc.constantFrom("HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1 ", "http/1.1", ""),
      headers: fc.array(fc.tuple(fc.oneof(fc.constantFrom("Host", "Content-Length", "Transfer-Encoding", "Content-Type", "Expect", "__proto__"), junk), junk), {
        maxLength: 4,
      }),
      body: junk,
    })
    .map((r) => `${r.method} ${r.target} ${r.version}\r\nHost: x\r\n${r.headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}Connection: close\r\n\r\n${r.body}`);

  it("is answered with a 4xx problem+json (or a 2xx when it happens to be a request), never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(request, async (text) => {
        const res = await raw(text);
        if (res.status === 0) return; // the connection closed unanswered: only after a complete answer, or nothing parseable at all
        expect(res.status, JSON.stringify(text)).toBeLessThan(500);
        if (res.status >= 400) expect(res.headers, JSON.stringify(text)).toMatch(/content-type: application\/problem\+json/i);
      }),
      params(300),
    );
    expect((await raw(`GET /hello HTTP/1.1\r\nHost: x\r\n${close}\r\n`)).status).toBe(200);
  });
});

describe("a handler's own bug", () => {
  it("is a 500 problem without internals, and the server lives on", async () => {
    for (const path of ["/broken-body", "/not-a-response"]) {
      const res = await raw(`GET ${path} HTTP/1.1\r\nHost: x\r\n${close}\r\n`);
      expect(expectProblem(res, 500).detail).not.toMatch(/disk on fire/);
    }
    expect((await raw(`GET /hello HTTP/1.1\r\nHost: x\r\n${close}\r\n`)).status).toBe(200);
  });
});

describe("the JSON depth scan", () => {
  it("counts nesting, not brackets inside strings or escapes", () => {
    expect(jsonNestsDeeperThan('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(jsonNestsDeeperThan('{"a":[1,{"b":[]}]}', 3)).toBe(true);
    expect(jsonNestsDeeperThan(`{"a":"${"[".repeat(100)}"}`, 2)).toBe(false);
    expect(jsonNestsDeeperThan(`{"a":"\\"${"[".repeat(100)}"}`, 2)).toBe(false);
    expect(jsonNestsDeeperThan(new TextEncoder().encode(`{"é":"${"{".repeat(9)}"}`), 1)).toBe(false);
    expect(jsonNestsDeeperThan(new TextEncoder().encode(deepJson(10)), 9)).toBe(true);
  });

  it("parseJsonText refuses too deep and invalid JSON as 400 DpclabErrors", () => {
    expect(() => parseJsonText(deepJson(MAX_JSON_DEPTH + 1))).toThrow(/deeper than/);
    expect(() => parseJsonText("{")).toThrow(/not valid JSON/);
    const parsed = parseJsonText('{"__proto__":{"x":1}}') as object;
    expect(Object.getOwnPropertyDescriptor(parsed, "__proto__")?.value).toEqual({ x: 1 }); // an own member, no prototype change
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it("readJsonObject gives an object without a prototype: constructor and toString read as absent", async () => {
    const req = new Request("http://x/", { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' });
    const body = await readJsonObject(req);
    expect(body.a).toBe(1);
    expect(body.constructor).toBeUndefined();
    expect(body.toString).toBeUndefined();
  });
});
