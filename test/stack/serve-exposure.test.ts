import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dpclab, freePort, startDpclab, tempDir } from "../helpers/cli.js";

// Issue 10 item 5: `dpclab serve --host 0.0.0.0` bound every interface without a word, and anyone who reached it could
// move the lab clock or set faults. Beyond loopback it now warns, and /__admin needs the token it prints.
const dir = tempDir();
const lab = join(dir.path, "lab");

beforeAll(async () => {
  expect((await dpclab(["cards", "create", "--dir", lab, "--count", "1", "--seed", "exposure"])).code).toBe(0);
});
afterAll(() => dir.remove());

describe("dpclab serve beyond loopback", () => {
  it("warns, prints an admin token, and answers /__admin only with it (401 problem+json otherwise)", async () => {
    const port = await freePort();
    const server = await startDpclab(["serve", "--dir", lab, "--host", "0.0.0.0", "--port", String(port)]);
    try {
      const out = server.output();
      expect(out).toMatch(/warning: listening on every network interface/);
      const token = /token: (\S+) \(set DPCLAB_ADMIN_TOKEN/.exec(out)?.[1];
      expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      const url = `http://127.0.0.1:${port}`;
      const refused = await fetch(`${url}/__admin/clock`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      expect((await fetch(`${url}/__admin/clock`, { headers: { authorization: "Bearer not-the-token" } })).status).toBe(401);
      const before = (await (await fetch(`${url}/__admin/clock`, { headers: { authorization: `Bearer ${token}` } })).json()) as { now: string };
      expect(Number.isNaN(Date.parse(before.now))).toBe(false);
      // Without the token the clock does not move.
      const advance = await fetch(`${url}/__admin/clock/advance`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"by":"365d"}' });
      expect(advance.status).toBe(401);
      const after = (await (await fetch(`${url}/__admin/clock`, { headers: { authorization: `Bearer ${token}` } })).json()) as { now: string };
      expect(Date.parse(after.now) - Date.parse(before.now)).toBeLessThan(86_400_000);
      // The emulators themselves stay open, as the products they emulate are.
      expect((await fetch(`${url}/tenant/lints`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it("takes the token from DPCLAB_ADMIN_TOKEN (not printed), and refuses one too short to guard anything", async () => {
    const short = await dpclab(["serve", "--dir", lab, "--host", "0.0.0.0", "--port", "0"], { DPCLAB_ADMIN_TOKEN: "short" });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/DPCLAB_ADMIN_TOKEN must be at least 16 characters/);
    const token = "operator-chosen-token-0123456789";
    const port = await freePort();
    process.env.DPCLAB_ADMIN_TOKEN = token;
    let server: Awaited<ReturnType<typeof startDpclab>>;
    try {
      server = await startDpclab(["serve", "--dir", lab, "--host", "0.0.0.0", "--port", String(port)]);
    } finally {
      delete process.env.DPCLAB_ADMIN_TOKEN;
    }
    try {
      expect(server.output()).toMatch(/token: the value of DPCLAB_ADMIN_TOKEN/);
      expect(server.output()).not.toContain(token);
      expect((await fetch(`http://127.0.0.1:${port}/__admin/faults`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/__admin/faults`)).status).toBe(401);
    } finally {
      await server.stop();
    }
  });

  it("on loopback, /__admin stays open and nothing is said", async () => {
    const port = await freePort();
    const server = await startDpclab(["serve", "--dir", lab, "--port", String(port)]);
    try {
      expect(server.output()).not.toMatch(/warning/);
      expect((await fetch(`http://127.0.0.1:${port}/__admin/clock`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
