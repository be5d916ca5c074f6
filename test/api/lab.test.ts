import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLab, type Lab, openLab, startServer } from "../../src/api/index.js";
import { freePort, tempDir } from "../helpers/cli.js";
import { osslAsync } from "../helpers/openssl.js";

const DM = "/tenant/beta/deviceManagement";

// The library entry (`dpclab`): a lab in-process, its Fetch handler, clock, PKI, cards and fault knobs, and a real server.
describe("createLab / startServer", () => {
  let lab: Lab;
  let port: number;
  let server: Awaited<ReturnType<typeof startServer>>;
  const scratch = tempDir("dpclab-api-");

  beforeAll(async () => {
    port = await freePort();
    lab = await createLab({ cards: 2, seed: "api-lab", baseUrl: `http://127.0.0.1:${port}` });
    server = await startServer(lab, { port });
  });
  afterAll(async () => {
    await lab?.close();
    scratch.remove();
  });

  it("has a deck of TEST cards that PKCS#11 clients see by token label", () => {
    expect(lab.cards).toHaveLength(2);
    const [agent, holder] = lab.cards;
    expect(agent?.pin).toMatch(/^\d{6,8}$/);
    expect(holder?.fascn).toMatch(/^\d+$/);
    expect(holder?.certificates.pivAuth).toMatch(/^[0-9a-f]+$/);
    const slots = execFileSync("pkcs11-tool", ["--module", "/usr/lib/softhsm/libsofthsm2.so", "--list-token-slots"], {
      env: { ...process.env, SOFTHSM2_CONF: lab.softhsmConf },
      encoding: "utf8",
    });
    for (const card of lab.cards) expect(slots).toContain(card.tokenLabel);
  });

  it("gives the trust anchor and CA certificates as PEM that openssl accepts", async () => {
    const { pki } = lab;
    const root = join(scratch.path, "root.pem");
    writeFileSync(root, pki.trustAnchorPem);
    const subject = await osslAsync(["x509", "-in", root, "-noout", "-subject"]);
    expect(subject.status).toBe(0);
    expect(subject.out).toContain("DPCLAB TEST Root CA");
    expect(pki.intermediates.map((c) => c.name).sort()).toEqual(["entrust-ca", "intercede-ca", "piv-ca", "purebred-ca"]);
    for (const ca of pki.intermediates) {
      const file = join(scratch.path, `${ca.name}.pem`);
      writeFileSync(file, ca.pem);
      expect((await osslAsync(["verify", "-CAfile", root, file])).out).toContain(": OK");
    }
  });

  it("answers the Graph-shaped tenant API in-process: an issuer created is read back", async () => {
    const created = await lab.fetch(`${DM}/derivedCredentials`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ displayName: "TEST Entrust", issuer: "entrustDatacard" }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const read = await lab.handler(new Request(`https://anything.example.test${DM}/derivedCredentials/${id}`));
    expect(await read.json()).toMatchObject({ id, issuer: "entrustDatacard", displayName: "TEST Entrust" });
    // The same tenant over the real socket.
    const listed = (await (await fetch(`${server.url}${DM}/derivedCredentials`)).json()) as { value: { id: string }[] };
    expect(listed.value.map((s) => s.id)).toEqual([id]);
  });

  it("serves OCSP over real HTTP at the URL the certificates name: a card's PIV Auth certificate is good", async () => {
    expect(server.url).toBe(lab.baseUrl);
    const piv = lab.pki.intermediates.find((c) => c.name === "piv-ca");
    const issuer = join(scratch.path, "piv-ca-issuer.pem");
    writeFileSync(issuer, piv?.pem ?? "");
    writeFileSync(join(scratch.path, "anchor.pem"), lab.pki.trustAnchorPem);
    const serial = lab.cards[1]?.certificates.pivAuth;
    const r = await osslAsync([
      "ocsp",
      "-issuer",
      issuer,
      "-serial",
      `0x${serial}`,
      "-url",
      `${server.url}/pki/ocsp/piv-ca`,
      "-CAfile",
      join(scratch.path, "anchor.pem"),
    ]);
    expect(r.out).toContain("Response verify OK");
    expect(r.out).toMatch(new RegExp(`0x${serial}: good`, "i"));
  });

  it("moves the clock forward only, and the admin API sees the same clock", async () => {
    const before = lab.clock.now().getTime();
    const after = lab.clock.advance("8d").getTime();
    expect(after - before).toBeGreaterThanOrEqual(8 * 86_400_000);
    const admin = (await (await fetch(`${server.url}/__admin/clock`)).json()) as { now: string };
    expect(Math.abs(new Date(admin.now).getTime() - lab.clock.now().getTime())).toBeLessThan(5_000);
    expect(() => lab.clock.set(new Date(before))).toThrow(/only moves forward/);
  });

  it("injects the admin API's faults: 503 with Retry-After, then a dropped connection, then none", async () => {
    lab.faults.set({ rate503: 1, retryAfterSeconds: 7 });
    const r = await fetch(`${server.url}${DM}/derivedCredentials`);
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("7");
    expect(lab.faults.injected["503"]).toBe(1);
    lab.faults.set({ rate503: 0, dropRate: 1 });
    await expect(lab.fetch(`${DM}/derivedCredentials`)).rejects.toThrow(TypeError);
    await expect(fetch(`${server.url}${DM}/derivedCredentials`)).rejects.toThrow(TypeError);
    expect(() => lab.faults.set({ rate503: 2 })).toThrow(/rate between 0 and 1/);
    expect(lab.faults.reset()).toMatchObject({ rate503: 0, dropRate: 0 });
    expect((await lab.fetch(`${DM}/derivedCredentials`)).status).toBe(200);
    // The admin API itself is never faulted.
    lab.faults.set({ rate429: 1 });
    expect((await fetch(`${server.url}/__admin/faults`)).status).toBe(200);
    lab.faults.reset();
  });
});

describe("openLab and close", () => {
  it("reopens a lab createLab made in a chosen directory; close leaves that directory, and a temporary lab goes", async () => {
    const dir = tempDir("dpclab-api-dir-");
    try {
      const made = await createLab({ dir: join(dir.path, "lab"), cards: 1, seed: "reopen" });
      const label = made.cards[0]?.tokenLabel;
      const served = await startServer(made);
      await made.close();
      await expect(fetch(`${served.url}/__admin/clock`)).rejects.toThrow(TypeError); // the lab's close stopped its server
      expect(existsSync(join(dir.path, "lab", "lab.json"))).toBe(true);
      await expect(createLab({ dir: join(dir.path, "lab") })).rejects.toThrow(/already holds a lab: open it with openLab/);

      const reopened = await openLab(join(dir.path, "lab"));
      expect(reopened.cards.map((c) => c.tokenLabel)).toEqual([label]);
      expect(reopened.baseUrl).toBe("http://127.0.0.1:7800");
      await reopened.close();
      await expect(startServer(reopened)).rejects.toThrow(/closed/);
      await expect(openLab(join(dir.path, "none"))).rejects.toThrow(/no lab in/);

      const temporary = await createLab({ cards: 0 });
      expect(existsSync(join(temporary.dir, "lab.json"))).toBe(true);
      await temporary.close();
      expect(existsSync(temporary.dir)).toBe(false);
    } finally {
      dir.remove();
    }
  });

  it("refuses bad options with a sentence", async () => {
    await expect(createLab({ cards: -1 })).rejects.toThrow(/cards must be a whole number/);
    await expect(createLab({ baseUrl: "https://x.example.test" })).rejects.toThrow(/baseUrl must be an http origin/);
  });
});
