import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CardIssuer, type CardRecord } from "../../emulators/piv-ca/index.js";
import { systemClock } from "../../src/clock.js";
import { LabDir } from "../../src/lab/index.js";
import { tempDir } from "../helpers/cli.js";

// Issue 10 item 4: two processes' CardIssuers on one lab (`dpclab serve` and `dpclab cards revoke` or `accounts
// terminate`). Each must see the other's saved changes on its next read, with no request in between, and a save
// must merge, never overwrite.
let dir: ReturnType<typeof tempDir>;
let lab: LabDir;

function fakeCard(index: number): CardRecord {
  const serial = (slot: number) => `${index}${slot}`.padStart(4, "0");
  return {
    index,
    tokenLabel: `SHARED.TEST.${index}`,
    tokenSerial: `serial-${index}`,
    cardholder: { commonName: `SHARED.TEST.${index}`, givenName: "A", surname: "B", email: `a${index}@agency.test`, agency: "DPCLAB TEST Agency" },
    fascn: "00",
    fascnText: "0",
    cardUuid: `uuid-${index}`,
    pin: "123456",
    puk: "12345678",
    alg: "p256",
    issuedAt: new Date().toISOString(),
    expires: new Date(Date.now() + 86_400_000).toISOString(),
    certificates: { "9A": serial(1), "9C": serial(2), "9D": serial(3), "9E": serial(4) },
  };
}

function addCard(issuer: CardIssuer, index: number): CardRecord {
  const card = fakeCard(index);
  for (const [slot, s] of Object.entries(card.certificates))
    issuer.pivCa.registry.record(s, { subject: "CN=x", notAfter: card.expires, ref: `card:${index}/${slot}` });
  issuer.addCard(card);
  return card;
}

beforeEach(() => {
  dir = tempDir();
  lab = new LabDir(join(dir.path, "lab"));
});
afterEach(() => dir.remove());

describe("card issuer state shared by processes", () => {
  it("a revocation and a termination saved by another writer are seen on the next read, then kept by this one's save", async () => {
    const server = await CardIssuer.create(
      lab,
      { version: 1, alg: "p256", seed: "s", baseUrl: "http://127.0.0.1:7800", createdAt: new Date().toISOString() },
      systemClock,
    );
    const card0 = addCard(server, 0);
    addCard(server, 1);
    server.save();
    expect(server.pivCa.status(card0.certificates["9A"]).status).toBe("good");
    const crlBefore = server.pivCa.registry.crlNumber;

    const cli = await CardIssuer.open(lab, systemClock);
    expect(cli.revokeCard(0, "keyCompromise")).toBe(4);
    cli.terminateAccount(1);
    cli.save();

    // No reload call, no request: the read paths re-check the file.
    expect(server.pivCa.status(card0.certificates["9A"])).toMatchObject({ status: "revoked", reason: "keyCompromise" });
    expect(server.pivCa.registry.revokedEntries()).toHaveLength(4);
    expect(server.pivCa.registry.crlNumber).toBe(crlBefore + 4);
    expect(server.accountStatus(1)).toBe("terminated");
    expect(server.account(1).status).toBe("terminated");

    // The server's own unsaved changes (a CA recorded by the root, a card added) survive the merge, and its save
    // keeps the other writer's.
    server.root.registry.record("abcd", { subject: "CN=issuer", notAfter: card0.expires, ref: "ca:test" });
    addCard(server, 2);
    const cli2 = await CardIssuer.open(lab, systemClock);
    cli2.revokeCard(2 - 1, "affiliationChanged"); // card 1, revoked by another writer meanwhile
    cli2.save();
    server.save();
    const fresh = await CardIssuer.open(lab, systemClock);
    expect(fresh.pivCa.status(card0.certificates["9A"]).status).toBe("revoked");
    expect(fresh.pivCa.status(fakeCard(1).certificates["9E"])).toMatchObject({ status: "revoked", reason: "affiliationChanged" });
    expect(fresh.accountStatus(1)).toBe("terminated");
    expect(fresh.root.status("abcd").status).toBe("good");
    expect(fresh.cards().map((c) => c.index)).toEqual([0, 1, 2]);
    expect(fresh.pivCa.registry.crlNumber).toBe(crlBefore + 8);
  });

  it("a card another writer added is found without reopening", async () => {
    const server = await CardIssuer.create(
      lab,
      { version: 1, alg: "p256", seed: "s", baseUrl: "http://127.0.0.1:7800", createdAt: new Date().toISOString() },
      systemClock,
    );
    server.save();
    const cli = await CardIssuer.open(lab, systemClock);
    addCard(cli, 0);
    cli.save();
    expect(server.card(0).tokenLabel).toBe("SHARED.TEST.0");
    expect(server.accountStatus(0)).toBe("active");
    expect(JSON.parse(readFileSync(lab.deckPath, "utf8"))).toHaveLength(1);
  });
});
