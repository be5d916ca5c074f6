import { request } from "node:http";
import { expect } from "vitest";

/**
 * One HTTP/1.1 request over a real socket with headers fetch will not let a caller set (Host), as a hostile client
 * sends them (issue 10 §9: `Host: attacker.example` must not reach any URL an issuer hands out).
 */
export function rawHttp(
  baseUrl: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; json?: unknown } = {},
): Promise<{ status: number; type: string | undefined; text: string; json: Record<string, unknown> }> {
  const url = new URL(path, baseUrl);
  const body = opts.json === undefined ? undefined : Buffer.from(JSON.stringify(opts.json));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: opts.method ?? "GET",
        headers: {
          ...(body ? { "content-type": "application/json", "content-length": String(body.length) } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {}
          resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], text, json });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Asserts a raw answer is problem+json with one of these statuses, its body's status the same, and no certificates. */
export function expectRawProblem(r: { status: number; type: string | undefined; json: Record<string, unknown> }, statuses: number[]): void {
  expect(statuses, JSON.stringify(r.json)).toContain(r.status);
  expect(r.type).toBe("application/problem+json");
  expect(r.json.status).toBe(r.status);
  expect(r.json.certificates).toBeUndefined();
}
