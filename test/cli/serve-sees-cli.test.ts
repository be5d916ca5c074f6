import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dpclab, freePort, startDpclab, tempDir } from "../helpers/cli.js";
import { openssl } from "../helpers/openssl.js";

// Issue 10 item 4: with `dpclab serve` running, `cards revoke` did not reach its OCSP/CRL until something asked for
// GET /pki, stopping serve rewrote piv-ca/state.json without the revocation, and `accounts terminate` went unseen
// while an Entrust activation was still issued. Every writer sees the others' changes at once and loses none.
const dir = tempDir();
const lab = join(dir.path, "lab");
let port: number;

beforeAll(async () => {
  port = await freePort();
  const r = await dpclab(["cards", "create", "--dir", lab, "--count", "4", "--seed", "serve-sees-cli", "--base-url", `http://127.0.0.1:${port}`]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => dir.remove());

const cardsList = async () => JSON.parse((await dpclab(["cards", "list", "--dir", lab, "--json"])).stdout).cards as { index: number; status: string }[];

const deckCard = (index: number) =>
  (JSON.parse(readFileSync(join(lab, "cards", "deck.json"), "utf8")) as { certificates: Record<string, string> }[])[index] as {
    certificates: Record<string, string>;
  };

describe("dpclab serve and the CLI share the lab's state", () => {
  for (const served of [["serve"], ["pki", "serve"]]) {
    it(`${served.join(" ")}: a CLI revocation is in its OCSP and CRL at once, and survives its stop`, async () => {
      const card = served.length === 1 ? "1" : "3";
      const server = await startDpclab([...served, "--dir", lab, "--port", String(port)]);
      try {
        const before = await dpclab(["pki-auth", "--dir", lab, "--card", card, "--online", "--json"]);
        expect(before.code, before.stdout + before.stderr).toBe(0);
        expect((await dpclab(["cards", "revoke", "--dir", lab, "--card", card])).code).toBe(0);
        // Nothing asks for GET /pki in between: the very next OCSP request must say revoked.
        const after = await dpclab(["pki-auth", "--dir", lab, "--card", card, "--online", "--json"]);
        expect(after.code, after.stdout).toBe(1);
        expect(JSON.parse(after.stdout).reason).toBe("revoked");
        const crl = await fetch(`http://127.0.0.1:${port}/pki/crl/piv-ca.crl`);
        expect(crl.status).toBe(200);
        const text = (await openssl(["crl", "-inform", "DER", "-noout", "-text"], Buffer.from(await crl.arrayBuffer()))).out.toLowerCase();
        for (const serial of Object.values(deckCard(Number(card)).certificates)) expect(text).toContain(`serial number: ${serial.replace(/^0+/, "")}`);
      } finally {
        await server.stop();
      }
      // Stopping the server saved its state: the revocation made meanwhile is still there.
      expect((await cardsList()).find((c) => c.index === Number(card))?.status).toBe("revoked");
      expect((await dpclab(["pki-auth", "--dir", lab, "--card", card, "--json"])).code).toBe(1);
    });
  }

  it("parallel CLI writers (revocations, a termination) while serve runs: none loses another's change", async () => {
    const parallel = join(dir.path, "parallel");
    expect((await dpclab(["cards", "create", "--dir", parallel, "--count", "6", "--seed", "parallel-writers"])).code).toBe(0);
    const p = await freePort();
    const server = await startDpclab(["serve", "--dir", parallel, "--port", String(p)]);
    try {
      const runs = await Promise.all([
        ...[0, 1, 2, 3, 4].map((i) => dpclab(["cards", "revoke", "--dir", parallel, "--card", String(i)])),
        dpclab(["accounts", "terminate", "--dir", parallel, "--card", "5"]),
      ]);
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
    } finally {
      await server.stop(); // its save must keep all six changes
    }
    const cards = JSON.parse((await dpclab(["cards", "list", "--dir", parallel, "--json"])).stdout).cards as { status: string }[];
    expect(cards.map((c) => c.status)).toEqual(["revoked", "revoked", "revoked", "revoked", "revoked", "terminated"]);
    // Each revocation got its own CRL number: 5 cards × 4 certificates.
    const state = JSON.parse(readFileSync(join(parallel, "piv-ca", "state.json"), "utf8"));
    expect(state.registries["piv-ca"].crlNumber).toBe(20);
    expect(Object.keys(state.registries["piv-ca"].revoked)).toHaveLength(20);
  });

  it("serve: an account terminated by the CLI gets no derived credential, and stays terminated after the stop", async () => {
    const server = await startDpclab(["serve", "--dir", lab, "--port", String(port)]);
    try {
      expect((await dpclab(["accounts", "terminate", "--dir", lab, "--card", "2"])).code).toBe(0);
      const r = await dpclab([
        "enroll",
        "--dir",
        lab,
        "--issuer",
        "entrust",
        "--card",
        "2",
        "--platform",
        "android",
        "--url",
        `http://127.0.0.1:${port}`,
        "--out",
        join(dir.path, "out"),
      ]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/terminated/);
      expect(r.stdout).not.toContain("✓ register-credential");
    } finally {
      await server.stop();
    }
    expect((await cardsList()).find((c) => c.index === 2)?.status).toBe("terminated");
  });
});
