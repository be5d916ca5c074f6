import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dpclab, freePort, startDpclab, tempDir } from "../helpers/cli.js";
import { openssl } from "../helpers/openssl.js";

// One lab for the file: created through the CLI, served by `pki serve`, judged by OpenSSL and OpenSC.
const dir = tempDir();
const lab = join(dir.path, "lab");
const out = join(dir.path, "export");
let port: number;
let server: Awaited<ReturnType<typeof startDpclab>>;

beforeAll(async () => {
  port = await freePort();
  const created = await dpclab(["cards", "create", "--dir", lab, "--count", "3", "--seed", "cards-test", "--base-url", `http://127.0.0.1:${port}`]);
  expect(created.code, created.stderr).toBe(0);
  server = await startDpclab(["pki", "serve", "--dir", lab, "--port", String(port)]);
});

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

async function fetchTo(url: string, file: string): Promise<void> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
}

describe("dpclab cards", () => {
  it("lists the deck with token label, cardholder, FASC-N, UUID, PIN, PUK and status", async () => {
    const r = await dpclab(["cards", "list", "--dir", lab, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const { cards } = JSON.parse(r.stdout) as { cards: Record<string, string | number>[] };
    expect(cards).toHaveLength(3);
    for (const c of cards) {
      expect(c.tokenLabel).toMatch(/^[A-Z]+\.[A-Z]+\.TEST\.\d{4}$/);
      expect(String(c.fascn)).toMatch(/^\d{32}$/);
      expect(c.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(String(c.pin)).toMatch(/^\d{6,8}$/);
      expect(String(c.puk)).toMatch(/^\d{8}$/);
      expect(c.status).toBe("active");
    }
    expect(new Set(cards.map((c) => c.uuid)).size).toBe(3);
    const text = await dpclab(["cards", "list", "--dir", lab]);
    expect(text.stdout).toContain(String(cards[0]?.tokenLabel));
  });

  it("the same seed gives the same cardholders, FASC-Ns and PINs (keys stay fresh)", async () => {
    const other = join(dir.path, "replay");
    expect((await dpclab(["cards", "create", "--dir", other, "--count", "2", "--seed", "cards-test"])).code).toBe(0);
    const a = JSON.parse((await dpclab(["cards", "list", "--dir", lab, "--json"])).stdout).cards.slice(0, 2);
    const b = JSON.parse((await dpclab(["cards", "list", "--dir", other, "--json"])).stdout).cards;
    const id = (c: Record<string, unknown>) => [c.tokenLabel, c.fascn, c.uuid, c.pin, c.puk];
    expect(b.map(id)).toEqual(a.map(id));
  });

  it("exports the card's certificates read over PKCS#11, and openssl verify accepts them", async () => {
    const r = await dpclab(["cards", "export", "--dir", lab, "--card", "0", "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ["piv-auth.pem", "card-auth.pem", "digital-signature.pem", "key-management.pem", "issuing-ca.pem", "root.pem"]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    for (const f of ["piv-auth.pem", "card-auth.pem", "digital-signature.pem", "key-management.pem"]) {
      const v = await openssl(["verify", "-CAfile", join(out, "root.pem"), "-untrusted", join(out, "issuing-ca.pem"), join(out, f)]);
      expect(v.out, f).toContain(": OK");
    }
    const text = (await openssl(["x509", "-in", join(out, "piv-auth.pem"), "-noout", "-text"])).out;
    expect(text).toContain("DPCLAB TEST PIV Card Issuing CA");
    expect(text).toContain(`http://127.0.0.1:${port}/pki/ocsp/piv-ca`);
    expect(text).toContain(`http://127.0.0.1:${port}/pki/crl/piv-ca.crl`);
  });

  it("pkcs11-tool (OpenSC) sees the card laid out with OpenSC's PIV labels and IDs", async () => {
    const cards = JSON.parse((await dpclab(["cards", "list", "--dir", lab, "--json"])).stdout).cards;
    const listing = execFileSync(
      "pkcs11-tool",
      ["--module", softhsmModule(), "--token-label", cards[0].tokenLabel, "--login", "--pin", String(cards[0].pin), "--list-objects"],
      { env: { ...process.env, SOFTHSM2_CONF: join(lab, "softhsm", "softhsm2.conf") }, encoding: "utf8" },
    );
    for (const label of [
      "PIV AUTH key",
      "SIGN key",
      "KEY MAN key",
      "CARD AUTH key",
      "Certificate for PIV Authentication",
      "Certificate for Card Authentication",
      "Card Holder Unique Identifier",
    ]) {
      expect(listing).toContain(label);
    }
    expect(listing).toMatch(/label:\s+PIV AUTH key[\s\S]*?ID:\s+01/);
    expect(listing).toMatch(/label:\s+CARD AUTH key[\s\S]*?ID:\s+04/);
  });

  it("openssl verify -crl_check accepts a card certificate, then rejects it once the card is revoked", async () => {
    const crl = join(dir.path, "piv-ca.crl");
    const rootCrl = join(dir.path, "root.crl");
    await fetchTo(`http://127.0.0.1:${port}/pki/crl/piv-ca.crl`, crl);
    await fetchTo(`http://127.0.0.1:${port}/pki/crl/root.crl`, rootCrl);
    const verify = () =>
      openssl([
        "verify",
        "-crl_check_all",
        "-CAfile",
        join(out, "root.pem"),
        "-untrusted",
        join(out, "issuing-ca.pem"),
        "-CRLfile",
        crl,
        "-CRLfile",
        rootCrl,
        join(out, "piv-auth.pem"),
      ]);
    // openssl reads -CRLfile as PEM: convert the served DER CRLs.
    for (const f of [crl, rootCrl]) writeFileSync(f, (await openssl(["crl", "-inform", "DER", "-in", f])).out);
    expect((await verify()).out).toContain(": OK");

    const revoked = await dpclab(["cards", "revoke", "--dir", lab, "--card", "0", "--reason", "keyCompromise"]);
    expect(revoked.code, revoked.stderr).toBe(0);
    await fetchTo(`http://127.0.0.1:${port}/pki/crl/piv-ca.crl`, crl);
    writeFileSync(crl, (await openssl(["crl", "-inform", "DER", "-in", crl])).out);
    const after = await verify();
    expect(after.code).not.toBe(0);
    expect(after.out).toContain("certificate revoked");
    const list = JSON.parse((await dpclab(["cards", "list", "--dir", lab, "--json"])).stdout).cards;
    expect(list[0].status).toBe("revoked");
  });

  it("openssl ocsp against pki serve answers good, then revoked (with the reason)", async () => {
    const out1 = join(dir.path, "export1");
    expect((await dpclab(["cards", "export", "--dir", lab, "--card", "1", "--out", out1])).code).toBe(0);
    const ask = () =>
      openssl([
        "ocsp",
        "-issuer",
        join(out1, "issuing-ca.pem"),
        "-cert",
        join(out1, "piv-auth.pem"),
        "-CAfile",
        join(out1, "root.pem"),
        "-url",
        `http://127.0.0.1:${port}/pki/ocsp/piv-ca`,
        "-resp_text",
      ]);
    const good = await ask();
    expect(good.out).toContain("Response verify OK");
    expect(good.out).toMatch(/piv-auth\.pem: good/);

    expect((await dpclab(["cards", "revoke", "--dir", lab, "--card", "1", "--reason", "affiliationChanged"])).code).toBe(0);
    const revoked = await ask();
    expect(revoked.out).toContain("Response verify OK");
    expect(revoked.out).toMatch(/piv-auth\.pem: revoked/);
    expect(revoked.out).toMatch(/affiliation ?changed/i);
  });

  it("accounts terminate marks the identity account, not the certificates (DC-LNK-03)", async () => {
    const r = await dpclab(["accounts", "terminate", "--dir", lab, "--card", "2"]);
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse((await dpclab(["cards", "list", "--dir", lab, "--json"])).stdout).cards;
    expect(list[2].status).toBe("terminated");
    const state = JSON.parse(readFileSync(join(lab, "piv-ca", "state.json"), "utf8"));
    expect(state.accounts.find((a: { cardIndex: number }) => a.cardIndex === 2).status).toBe("terminated");
  });
});

function softhsmModule(): string {
  for (const p of [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
  ]) {
    if (existsSync(p)) return p;
  }
  throw new Error("SoftHSM module not found");
}
