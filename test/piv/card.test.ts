import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pkcs11js from "pkcs11js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { derOid } from "../../src/der.js";
import {
  buildCcc,
  buildChuid,
  buildDiscovery,
  JsonFilePinRetryStore,
  PIV_KEY_SLOTS,
  PivCard,
  Pkcs11Error,
  Pkcs11Library,
  parseFascnDigits,
  personalizeCard,
  resolveModulePath,
  verifyChuidSignature,
} from "../../src/piv/index.js";
import { type KeyAlgorithm, signParams } from "../../src/pki/algorithms.js";
import { X509Certificate } from "../../src/x509.js";
import { makeTempSoftHsm, type TempSoftHsm } from "../helpers/softhsm.js";
import { crypto, importParams, testIssuer } from "./fixtures.js";

const PIN = "123456";
const PUK = "87654321";
let hsm: TempSoftHsm;
let lib: Pkcs11Library;
let issuer: Awaited<ReturnType<typeof testIssuer>>;
let store: JsonFilePinRetryStore;

async function personalize(label: string, alg: KeyAlgorithm): Promise<string> {
  return personalizeCard(lib, {
    tokenLabel: label,
    pin: PIN,
    puk: PUK,
    alg,
    issueCertificates: (spkis) => issuer.issueCertificates(alg, label, spkis),
    dataObjects: {
      chuid: await buildChuid(
        { fascn: parseFascnDigits("99990001000001010123456789119999"), guid: crypto.randomUUID(), expiration: new Date("2030-01-01") },
        issuer.signer,
      ),
      ccc: buildCcc(),
      discovery: buildDiscovery(),
    },
  });
}

function pkcs11Tool(args: string[]) {
  return spawnSync("pkcs11-tool", ["--module", resolveModulePath(), ...args], { env: hsm.env, encoding: "utf8" });
}

async function verifies(card: PivCard, alg: KeyAlgorithm, sig: Uint8Array, data: Uint8Array, slot: "9A" | "9C" | "9E" = "9A") {
  const cert = new X509Certificate(card.readCertificate(slot) as Uint8Array<ArrayBuffer>);
  const key = await crypto.subtle.importKey("spki", cert.publicKey.rawData, importParams(alg), false, ["verify"]);
  return crypto.subtle.verify(signParams(alg), key, sig as Uint8Array<ArrayBuffer>, data as Uint8Array<ArrayBuffer>);
}

beforeAll(async () => {
  hsm = makeTempSoftHsm();
  lib = Pkcs11Library.open({ softhsmConf: hsm.conf });
  issuer = await testIssuer("p256");
  store = new JsonFilePinRetryStore(join(hsm.dir, "pin-retries.json"));
});
afterAll(() => {
  lib.close();
  hsm.cleanup();
});

describe("personalizeCard", () => {
  it("lays the card out as OpenSC names a PIV card (pkcs11-tool --list-objects)", async () => {
    const serial = await personalize("ALICE TEST", "p256");
    expect(serial).toMatch(/^[0-9a-f]+$/);
    const listed = pkcs11Tool(["--token-label", "ALICE TEST", "--login", "--pin", PIN, "--list-objects"]);
    expect(listed.status).toBe(0);
    const out = listed.stdout;
    for (const info of Object.values(PIV_KEY_SLOTS)) {
      const id = Buffer.from(info.id).toString("hex");
      expect(out).toMatch(new RegExp(`Private Key Object; EC[\\s\\S]*?label:\\s+${info.privateLabel}\\n\\s+ID:\\s+${id}`));
      expect(out).toMatch(new RegExp(`Public Key Object; EC[\\s\\S]*?label:\\s+${info.publicLabel}\\n\\s+ID:\\s+${id}`));
      expect(out).toMatch(new RegExp(`Certificate Object; type = X\\.509 cert\\n\\s+label:\\s+${info.certificateLabel}\\n[\\s\\S]*?ID:\\s+${id}`));
    }
    for (const [name, oid] of [
      ["Card Holder Unique Identifier", "2.16.840.1.101.3.7.2.48.0"],
      ["Card Capability Container", "2.16.840.1.101.3.7.1.219.0"],
      ["Discovery Object", "2.16.840.1.101.3.7.2.96.80"],
    ]) {
      expect(out).toMatch(new RegExp(`Data object \\d+\\n\\s+label:\\s+'${name}'\\n\\s+application:\\s+'${name}'\\n`));
      // CKA_OBJECT_ID holds the DER OID (PKCS#11 2.40 §4.5). pkcs11-tool 0.23 prints it as if it were the bare
      // content octets ("0.6.10.96..."), so check the attribute itself.
      const s = lib.openSession(lib.findSlotByLabel("ALICE TEST") as Buffer, { readWrite: false });
      const [h] = s.findObjects([
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
        { type: pkcs11js.CKA_LABEL, value: name as string },
      ]);
      const [der] = s.getAttributes(h as Buffer, [pkcs11js.CKA_OBJECT_ID]);
      expect(der?.toString("hex")).toBe(Buffer.from(derOid(oid as string)).toString("hex"));
      s.close();
    }
    // 9C carries the PIV "PIN Always" rule
    expect(out).toMatch(/label:\s+SIGN key\n[\s\S]*?Access:\s+[^\n]*always authenticate/);
    // Without login, only the 9E private key is visible (Card Authentication needs no PIN)
    const publicOnly = pkcs11Tool(["--token-label", "ALICE TEST", "--list-objects", "--type", "privkey"]).stdout;
    expect(publicOnly).toContain("CARD AUTH key");
    expect(publicOnly).not.toContain("PIV AUTH key");

    const card = PivCard.open(lib, "ALICE TEST", store);
    expect(await verifyChuidSignature(card.readDataObject("chuid") as Uint8Array, issuer.certificate)).toBe(true);
    expect(card.readDataObject("Discovery Object")).toEqual(buildDiscovery());
    card.close();
  });

  it("private keys never leave the card", async () => {
    await personalize("BOB TEST", "p256");
    const slot = lib.findSlotByLabel("BOB TEST") as Buffer;
    const s = lib.openSession(slot, { readWrite: false });
    s.login("user", PIN);
    for (const info of Object.values(PIV_KEY_SLOTS)) {
      const key = s.findPrivateKey(info.id) as Buffer;
      const [sensitive, extractable, always] = s.getAttributes(key, [pkcs11js.CKA_SENSITIVE, pkcs11js.CKA_EXTRACTABLE, pkcs11js.CKA_ALWAYS_AUTHENTICATE]);
      expect([sensitive?.[0], extractable?.[0]]).toEqual([1, 0]);
      expect(always?.[0]).toBe(info.slot === "9C" ? 1 : 0);
      expect(() => s.getAttributes(key, [pkcs11js.CKA_VALUE])).toThrow(Pkcs11Error);
      try {
        s.getAttributes(key, [pkcs11js.CKA_VALUE]);
      } catch (e) {
        expect((e as Pkcs11Error).ckr).toBe("CKR_ATTRIBUTE_SENSITIVE");
      }
    }
    s.logout();
    s.close();
    const outFile = join(hsm.dir, "privkey.der");
    const read = pkcs11Tool([
      "--token-label",
      "BOB TEST",
      "--login",
      "--pin",
      PIN,
      "--read-object",
      "--type",
      "privkey",
      "--id",
      "01",
      "--output-file",
      outFile,
    ]);
    // pkcs11-tool 0.23 refuses with "reading private keys not (yet) supported" (and exit 0); newer ones fail on CKR_ATTRIBUTE_SENSITIVE.
    expect(read.status !== 0 || /not \(yet\) supported|sensitive/i.test(`${read.stdout}${read.stderr}`)).toBe(true);
    expect(existsSync(outFile) ? readFileSync(outFile).length : 0).toBe(0);
  });
});

describe("PivCard", () => {
  it("counts wrong PINs down, blocks at 10, and the PUK unblocks", async () => {
    await personalize("CAROL TEST", "p256");
    let card = PivCard.open(lib, "CAROL TEST", store);
    expect(card.triesLeft).toBe(10);
    expect(() => card.verifyPin("000000")).toThrow("wrong PIN: 9 tries left");
    card.verifyPin(PIN); // a good PIN resets the counter
    expect(card.triesLeft).toBe(10);
    for (let i = 9; i >= 1; i--) expect(() => card.verifyPin("000000")).toThrow(`wrong PIN: ${i} tr`);
    // the counter survives a restart
    card.close();
    card = PivCard.open(lib, "CAROL TEST", new JsonFilePinRetryStore(store.path));
    expect(card.triesLeft).toBe(1);
    expect(() => card.verifyPin("000000")).toThrow(/0 tries left, the card is now blocked/);
    expect(card.isBlocked).toBe(true);
    expect(() => card.verifyPin(PIN)).toThrow(expect.objectContaining({ code: "card-blocked" }));
    expect(() => card.sign("9A", Uint8Array.of(1), PIN)).toThrow(expect.objectContaining({ code: "card-blocked" }));
    expect(() => card.sign("9E", Uint8Array.of(1))).toThrow(expect.objectContaining({ code: "card-blocked" }));
    expect(() => card.unblock("11111111", "654321")).toThrow(expect.objectContaining({ code: "puk-incorrect" }));
    expect(card.isBlocked).toBe(true);
    card.unblock(PUK, "654321");
    expect(card.triesLeft).toBe(10);
    expect(() => card.verifyPin(PIN)).toThrow(expect.objectContaining({ code: "pin-incorrect" }));
    card.verifyPin("654321");
    const data = Uint8Array.of(1, 2, 3);
    expect(await verifies(card, "p256", card.sign("9A", data), data)).toBe(true);
    card.changePin("654321", PIN);
    card.verifyPin(PIN);
    card.close();
  });

  it("SoftHSM has no retry counter, so once a token is opened as a PivCard no PIN reaches it but through the card", async () => {
    await personalize("ERIN TEST", "p256");
    const slot = lib.findSlotByLabel("ERIN TEST") as Buffer;
    // SoftHSM itself: 12 wrong PINs in a row, and the right one still works (no lockout of its own).
    const raw = lib.openSession(slot, { readWrite: true });
    for (let i = 0; i < 12; i++) expect(() => raw.login("user", "000000")).toThrow(expect.objectContaining({ ckr: "CKR_PIN_INCORRECT" }));
    raw.login("user", PIN);
    raw.logout();
    const card = PivCard.open(lib, "ERIN TEST", store);
    // Now every other way to present the PIN or PUK on this token is refused before it reaches SoftHSM.
    expect(() => raw.login("user", "000000")).toThrow(expect.objectContaining({ code: "pin-guarded" }));
    expect(() => raw.login("so", PUK)).toThrow(expect.objectContaining({ code: "pin-guarded" }));
    expect(() => raw.setPin("000000", "111111")).toThrow(expect.objectContaining({ code: "pin-guarded" }));
    const other = lib.openSession(slot, { readWrite: false });
    expect(() => other.login("user", PIN)).toThrow(expect.objectContaining({ code: "pin-guarded" }));
    expect(card.triesLeft).toBe(10);
    expect(() => card.verifyPin("000000")).toThrow("wrong PIN: 9 tries left");
    card.verifyPin(PIN);
    card.close();
    // Closed: the token is unguarded again (provisioning tools, benchmarks); a second open guards it again.
    other.login("user", PIN);
    other.logout();
    const again = PivCard.open(lib, "ERIN TEST", store);
    const twice = PivCard.open(lib, "ERIN TEST", store);
    again.close();
    expect(() => other.login("user", PIN)).toThrow(expect.objectContaining({ code: "pin-guarded" })); // twice still open
    twice.close();
    other.close();
    raw.close();
  });

  it("9A needs a verified PIN, 9C the PIN for every signature, 9E none; 9D does not sign", async () => {
    await personalize("DAVE TEST", "p256");
    const card = PivCard.open(lib, "DAVE TEST", store);
    const data = new TextEncoder().encode("challenge");
    expect(await verifies(card, "p256", card.sign("9E", data), data, "9E")).toBe(true);
    expect(() => card.sign("9A", data)).toThrow(expect.objectContaining({ code: "pin-required" }));
    expect(await verifies(card, "p256", card.sign("9A", data, PIN), data)).toBe(true);
    expect(await verifies(card, "p256", card.sign("9A", data), data)).toBe(true); // PIN stays verified
    expect(() => card.sign("9C", data)).toThrow(expect.objectContaining({ code: "pin-required" }));
    expect(await verifies(card, "p256", card.sign("9C", data, PIN), data, "9C")).toBe(true);
    expect(await verifies(card, "p256", card.sign("9C", data, PIN), data, "9C")).toBe(true);
    expect(() => card.sign("9C", data, "999999")).toThrow("wrong PIN: 9 tries left");
    expect(() => card.sign("9D", data, PIN)).toThrow(expect.objectContaining({ code: "key-usage" }));
    card.close();
  });

  for (const alg of ["rsa2048", "p384"] as KeyAlgorithm[]) {
    it(`a ${alg} card's 9A signature verifies with WebCrypto`, async () => {
      const label = `ERIN ${alg}`;
      await personalize(label, alg);
      const card = PivCard.open(lib, label, store);
      expect(card.keyAlgorithm("9A")).toBe(alg);
      const data = new TextEncoder().encode("challenge");
      expect(await verifies(card, alg, card.sign("9A", data, PIN), data)).toBe(true);
      card.close();
    }, 120_000);
  }

  it("a token made by another process appears after reinitialize()", () => {
    execFileSync("softhsm2-util", ["--init-token", "--free", "--label", "OTHER PROCESS", "--so-pin", PUK, "--pin", PIN], {
      env: hsm.env,
      stdio: "pipe",
    });
    expect(lib.findSlotByLabel("OTHER PROCESS")).toBeUndefined();
    lib.reinitialize();
    expect(lib.findSlotByLabel("OTHER PROCESS")).toBeDefined();
  });
});
