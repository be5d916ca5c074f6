import { createLab, type Lab, type LabServer, startServer } from "dpclab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MdmClient } from "../src/mdm-client.js";
import { opensslSubject } from "./openssl.js";

// The lab in this process, served over real HTTP on 127.0.0.1: the team's client talks to it by URL.
describe("createLab + startServer", () => {
  let lab: Lab;
  let server: LabServer;

  beforeAll(async () => {
    lab = await createLab({ cards: 2, seed: "consumer" });
    server = await startServer(lab);
  });
  afterAll(() => lab?.close());

  it("configures the tenant's issuer over HTTP and reads it back", async () => {
    const mdm = new MdmClient(server.url);
    const created = await mdm.configureIssuer("TEST Intercede", "intercede");
    expect(await mdm.issuer(created.id)).toMatchObject({ issuer: "intercede", renewalThresholdPercentage: 20 });
  });

  it("hands out a TEST trust anchor and TEST cards", () => {
    expect(opensslSubject(lab.pki.trustAnchorPem)).toContain("DPCLAB TEST Root CA");
    expect(lab.cards).toHaveLength(2);
    expect(lab.cards[0]?.tokenLabel).toBeTruthy();
    expect(lab.cards[0]?.pin).toMatch(/^\d+$/);
  });

  it("moves its clock and injects faults", async () => {
    const before = lab.clock.now();
    expect(lab.clock.advance("30d").getTime() - before.getTime()).toBeGreaterThanOrEqual(30 * 86_400_000);
    lab.faults.set({ rate503: 1 });
    const r = await fetch(`${server.url}/tenant/beta/deviceManagement/managedDevices`);
    expect(r.status).toBe(503);
    lab.faults.reset();
  });
});
