import { createLab, type Lab } from "dpclab";
import { dpclabHandlers } from "dpclab/msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MdmClient } from "../src/mdm-client.js";
import { opensslSubject } from "./openssl.js";

const ORIGIN = "https://tenant.example.test";

// No server at all: msw answers https://tenant.example.test/… from the lab in this process.
describe("dpclab/msw", () => {
  let lab: Lab;
  const server = setupServer();

  beforeAll(async () => {
    lab = await createLab({ cards: 1, seed: "consumer-msw" });
    server.use(...dpclabHandlers(lab, { origin: ORIGIN }));
    server.listen({ onUnhandledRequest: "error" });
  });
  afterAll(async () => {
    server.close();
    await lab?.close();
  });

  it("the team's client configures the issuer at https://tenant.example.test and reads it back", async () => {
    const mdm = new MdmClient(ORIGIN);
    const created = await mdm.configureIssuer("TEST Purebred", "purebred");
    expect(await mdm.issuer(created.id)).toMatchObject({ id: created.id, issuer: "purebred", displayName: "TEST Purebred" });
  });

  it("serves the admin API at the same origin: the trust anchor parses with openssl", async () => {
    const pki = (await (await fetch(`${ORIGIN}/__admin/pki`)).json()) as { roots: { pem: string }[] };
    expect(opensslSubject(pki.roots[0]?.pem ?? "")).toContain("DPCLAB TEST Root CA");
  });

  it("a fault knob set through the handler makes the next request fail as configured", async () => {
    const set = await fetch(`${ORIGIN}/__admin/faults`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rate429: 1, retryAfterSeconds: 2 }),
    });
    expect(set.status).toBe(200);
    const mdm = new MdmClient(ORIGIN);
    await expect(mdm.configureIssuer("TEST Entrust", "entrustDatacard")).rejects.toThrow(/429/);
    lab.faults.reset();
  });
});
