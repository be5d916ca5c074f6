import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLab, type Lab } from "../../src/api/index.js";
import { dpclabHandlers } from "../../src/api/msw.js";
import { tempDir } from "../helpers/cli.js";
import { osslAsync } from "../helpers/openssl.js";

const ORIGIN = "https://tenant.example.test";
const DM = `${ORIGIN}/tenant/beta/deviceManagement`;
const json = (body: unknown, method = "POST"): RequestInit => ({ method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

// `dpclab/msw`: a team's own client code (plain fetch here) talks to https://tenant.example.test and the emulators answer.
describe("dpclabHandlers (msw 2, node)", () => {
  let lab: Lab;
  const scratch = tempDir("dpclab-msw-");
  const server = setupServer();

  beforeAll(async () => {
    lab = await createLab({ cards: 1, seed: "msw" });
    server.use(...dpclabHandlers(lab, { origin: ORIGIN }), ...dpclabHandlers(lab, { origin: "https://api.example.test/labs/one/", baseUrl: false }));
    server.listen({ onUnhandledRequest: "error" });
  });
  afterEach(() => lab.faults.reset());
  afterAll(async () => {
    server.close();
    await lab.close();
    scratch.remove();
  });

  it("creates the tenant's derived-credential issuer through the Graph-shaped API and reads it back", async () => {
    const created = await fetch(`${DM}/derivedCredentials`, json({ displayName: "TEST Purebred", issuer: "purebred", notificationType: "email" }));
    expect(created.status).toBe(201);
    const settings = (await created.json()) as { id: string };
    const read = await fetch(`${DM}/derivedCredentials/${settings.id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id: settings.id, issuer: "purebred", notificationType: "email", renewalThresholdPercentage: 20 });
    // A second issuer is refused as Intune does (one per tenant), as problem+json.
    const second = await fetch(`${DM}/derivedCredentials`, json({ displayName: "x", issuer: "intercede" }));
    expect(second.status).toBe(409);
    expect(second.headers.get("content-type")).toContain("application/problem+json");
    // The lab behind it is the same lab: its in-process handler sees the issuer too.
    const direct = (await (await lab.fetch("/tenant/beta/deviceManagement/derivedCredentials")).json()) as { value: { id: string }[] };
    expect(direct.value.map((s) => s.id)).toEqual([settings.id]);
  });

  it("answers under a path prefix, and at the lab's own base URL (the URLs its certificates name)", async () => {
    const clock = (await (await fetch("https://api.example.test/labs/one/__admin/clock")).json()) as { now: string };
    expect(Math.abs(new Date(clock.now).getTime() - lab.clock.now().getTime())).toBeLessThan(5_000);
    const crl = await fetch(`${lab.baseUrl}/pki/crl/piv-ca.crl`);
    expect(crl.status).toBe(200);
    const file = join(scratch.path, "piv-ca.crl");
    writeFileSync(file, Buffer.from(await crl.arrayBuffer()));
    const parsed = await osslAsync(["crl", "-inform", "DER", "-in", file, "-noout", "-issuer"]);
    expect(parsed.out).toContain("DPCLAB TEST PIV Card Issuing CA");
  });

  it("gives the trust anchor over the admin API, as PEM that openssl x509 parses", async () => {
    const pki = (await (await fetch(`${ORIGIN}/__admin/pki`)).json()) as { roots: { pem: string }[] };
    expect(pki.roots[0]?.pem.trim()).toBe(lab.pki.trustAnchorPem.trim());
    const file = join(scratch.path, "root.pem");
    writeFileSync(file, pki.roots[0]?.pem ?? "");
    const r = await osslAsync(["x509", "-in", file, "-noout", "-subject"]);
    expect(r.status).toBe(0);
    expect(r.out).toContain("DPCLAB TEST Root CA");
  });

  it("fault knobs set through the same origin make the next request fail as configured", async () => {
    const set = await fetch(`${ORIGIN}/__admin/faults`, json({ rate429: 1, retryAfterSeconds: 3 }, "PUT"));
    expect(set.status).toBe(200);
    const limited = await fetch(`${DM}/derivedCredentials`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    expect(lab.faults.get().rate429).toBe(1);
    // From the test directly: a dropped connection is fetch's network error.
    lab.faults.set({ rate429: 0, dropRate: 1 });
    await expect(fetch(`${DM}/managedDevices`)).rejects.toThrow(TypeError);
    lab.faults.reset();
    expect((await fetch(`${DM}/managedDevices`)).status).toBe(200);
  });

  it("leaves other origins to other handlers", async () => {
    server.use(http.get("https://other.example.test/ping", () => HttpResponse.json({ pong: true })));
    expect(await (await fetch("https://other.example.test/ping")).json()).toEqual({ pong: true });
    expect(() => dpclabHandlers(lab, { origin: "tenant.example.test" })).toThrow(/absolute http\(s\) URL/);
  });
});
