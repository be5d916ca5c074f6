import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dpclab, freePort, startDpclab, tempDir } from "../helpers/cli.js";

const dir = tempDir();
const lab = join(dir.path, "lab");
let port: number;
let cards: { tokenLabel: string; pin: string }[];

beforeAll(async () => {
  port = await freePort();
  const r = await dpclab(["cards", "create", "--dir", lab, "--count", "3", "--seed", "pki-auth-test", "--base-url", `http://127.0.0.1:${port}`]);
  expect(r.code, r.stderr).toBe(0);
  cards = JSON.parse((await dpclab(["cards", "list", "--dir", lab, "--json"])).stdout).cards;
});

afterAll(() => dir.remove());

describe("dpclab pki-auth (FIPS 201-3 §6.2.3.1)", () => {
  it("authenticates a good card and prints each step", async () => {
    const r = await dpclab(["pki-auth", "--dir", lab, "--card", "0"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const step of ["read-certificate", "validate-path", "verify-pin", "challenge-response"]) expect(r.stdout).toMatch(new RegExp(`✓ ${step}`));
    expect(r.stdout).toContain("status good by OCSP");
    expect(r.stdout).toContain(`result: AUTHENTICATED`);
    expect(r.stdout).toContain(cards[0]?.tokenLabel);
  });

  it("reports the FASC-N and card UUID of the authenticated card as JSON", async () => {
    const r = await dpclab(["pki-auth", "--dir", lab, "--card", "0", "--json"]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    const list = JSON.parse((await dpclab(["cards", "list", "--dir", lab, "--json"])).stdout).cards;
    expect(result.ok).toBe(true);
    expect(result.cardUuid).toBe(list[0].uuid);
    expect(result.fascn).toMatch(/^[0-9a-f]{50}$/);
  });

  it("a wrong PIN is refused with the tries left; the right PIN then resets the counter", async () => {
    const wrong = cards[1]?.pin === "000000" ? "111111" : "000000";
    const r1 = await dpclab(["pki-auth", "--dir", lab, "--card", "1", "--pin", wrong]);
    expect(r1.code).toBe(1);
    expect(r1.stdout).toContain("REJECTED (pin-incorrect)");
    expect(r1.stdout).toContain("9 tries left");
    const r2 = await dpclab(["pki-auth", "--dir", lab, "--card", "1", "--pin", wrong]);
    expect(r2.stdout).toContain("8 tries left");
    expect((await dpclab(["pki-auth", "--dir", lab, "--card", "1"])).code).toBe(0);
    const r3 = await dpclab(["pki-auth", "--dir", lab, "--card", "1", "--pin", wrong]);
    expect(r3.stdout).toContain("9 tries left");
  });

  it("ten wrong PINs block the card: even the right PIN is refused", async () => {
    const wrong = cards[2]?.pin === "000000" ? "111111" : "000000";
    for (let i = 0; i < 10; i++) await dpclab(["pki-auth", "--dir", lab, "--card", "2", "--pin", wrong]);
    const r = await dpclab(["pki-auth", "--dir", lab, "--card", "2"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("REJECTED (card-blocked)");
    const list = JSON.parse((await dpclab(["cards", "list", "--dir", lab, "--json"])).stdout).cards;
    expect(list[2].status).toBe("blocked");
  });

  it("a revoked card fails path validation over real HTTP OCSP (--online)", async () => {
    const server = await startDpclab(["pki", "serve", "--dir", lab, "--port", String(port)]);
    try {
      expect((await dpclab(["pki-auth", "--dir", lab, "--card", "0", "--online"])).code).toBe(0);
      expect((await dpclab(["cards", "revoke", "--dir", lab, "--card", "0"])).code).toBe(0);
      const r = await dpclab(["pki-auth", "--dir", lab, "--card", "0", "--online"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("✗ validate-path");
      expect(r.stdout).toContain("REJECTED (revoked)");
    } finally {
      await server.stop();
    }
  });

  it("--online with no server reachable: revocation unavailable, never a pass", async () => {
    const r = await dpclab(["pki-auth", "--dir", lab, "--card", "1", "--online"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("REJECTED (revocation-unavailable)");
  });
});
