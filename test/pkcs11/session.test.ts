import { webcrypto } from "node:crypto";
import pkcs11js from "pkcs11js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pkcs11Error, Pkcs11Library, resolveModulePath } from "../../src/pkcs11/index.js";
import { type KeyAlgorithm, signParams } from "../../src/pki/algorithms.js";
import { makeTempSoftHsm, type TempSoftHsm } from "../helpers/softhsm.js";

let hsm: TempSoftHsm;
let lib: Pkcs11Library;

beforeAll(() => {
  hsm = makeTempSoftHsm();
  lib = Pkcs11Library.open({ softhsmConf: hsm.conf });
});
afterAll(() => {
  lib.close();
  hsm.cleanup();
});

function importSpki(alg: KeyAlgorithm, spki: Uint8Array) {
  const params = alg.startsWith("p") ? { name: "ECDSA", namedCurve: alg === "p256" ? "P-256" : "P-384" } : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  return webcrypto.subtle.importKey("spki", spki, params, false, ["verify"]);
}

describe("Pkcs11Library", () => {
  it("resolves the SoftHSM module", () => {
    expect(resolveModulePath()).toMatch(/libsofthsm2\.so$/);
  });

  it("keeps one instance per module and addresses tokens by label", () => {
    expect(Pkcs11Library.open({ softhsmConf: hsm.conf })).toBe(lib);
    const slot = lib.initToken("LIB TEST", "12345678", "123456");
    expect(lib.findSlotByLabel("LIB TEST")?.equals(slot)).toBe(true);
    expect(lib.tokens().map((t) => t.label)).toContain("LIB TEST");
    expect(() => lib.initToken("LIB TEST", "12345678", "123456")).toThrow(/already exists/);
  });

  it("re-initialisation kills old sessions but keeps the tokens", () => {
    lib.initToken("REINIT", "12345678", "123456");
    const s = lib.openSession(lib.findSlotByLabel("REINIT") as Buffer, { readWrite: false });
    lib.reinitialize();
    expect(() => s.login("user", "123456")).toThrow(/re-initialised/);
    expect(lib.findSlotByLabel("REINIT")).toBeDefined();
  });
});

describe("Pkcs11Session", () => {
  const algs: KeyAlgorithm[] = ["p256", "p384", "rsa2048"];
  for (const alg of algs) {
    it(`generates a non-extractable ${alg} key whose signature WebCrypto verifies`, async () => {
      const slot = lib.initToken(`KEY ${alg}`, "12345678", "123456");
      const s = lib.openSession(slot, { readWrite: true });
      s.login("user", "123456");
      const { publicKey, privateKey } = s.generateKeyPair(alg, {
        id: Uint8Array.of(1),
        privateLabel: "PIV AUTH key",
        publicLabel: "PIV AUTH pubkey",
        sign: true,
      });
      const data = new TextEncoder().encode("challenge");
      const sig = s.sign(privateKey, alg, data);
      const key = await importSpki(alg, s.publicKeySpki(publicKey));
      expect(await webcrypto.subtle.verify(signParams(alg), key, sig, data)).toBe(true);
      const [sensitive, extractable] = s.getAttributes(privateKey, [pkcs11js.CKA_SENSITIVE, pkcs11js.CKA_EXTRACTABLE]);
      expect(sensitive?.[0]).toBe(1);
      expect(extractable?.[0]).toBe(0);
      const secret = alg.startsWith("p") ? pkcs11js.CKA_VALUE : pkcs11js.CKA_PRIVATE_EXPONENT;
      let err: unknown;
      try {
        s.getAttributes(privateKey, [secret]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Pkcs11Error);
      expect((err as Pkcs11Error).ckr).toBe("CKR_ATTRIBUTE_SENSITIVE");
      s.close();
    });
  }

  it("a CKA_ALWAYS_AUTHENTICATE key needs a context-specific login for every signature", () => {
    const slot = lib.initToken("ALWAYS", "12345678", "123456");
    const s = lib.openSession(slot, { readWrite: true });
    s.login("user", "123456");
    const { privateKey } = s.generateKeyPair("p256", {
      id: Uint8Array.of(2),
      privateLabel: "SIGN key",
      publicLabel: "SIGN pubkey",
      sign: true,
      alwaysAuthenticate: true,
    });
    const data = Uint8Array.of(1, 2, 3);
    expect(() => s.sign(privateKey, "p256", data)).toThrow(/CKR_USER_NOT_LOGGED_IN/);
    expect(() => s.sign(privateKey, "p256", data, { contextPin: "000000" })).toThrow(/CKR_PIN_INCORRECT/);
    expect(s.sign(privateKey, "p256", data, { contextPin: "123456" })).toHaveLength(64);
    expect(() => s.sign(privateKey, "p256", data)).toThrow(/CKR_USER_NOT_LOGGED_IN/);
    expect(s.sign(privateKey, "p256", data, { contextPin: "123456" })).toHaveLength(64);
    s.close();
  });

  it("a key with CKA_PRIVATE false signs without login; data objects and certificates round-trip", () => {
    const slot = lib.initToken("PUBLICKEY", "12345678", "123456");
    const s = lib.openSession(slot, { readWrite: true });
    s.login("user", "123456");
    s.generateKeyPair("p256", { id: Uint8Array.of(4), privateLabel: "CARD AUTH key", publicLabel: "CARD AUTH pubkey", sign: true, private: false });
    s.createDataObject({ application: "X", label: "X", objectId: "2.16.840.1.101.3.7.2.48.0", value: Uint8Array.of(9, 9), private: false });
    s.logout();
    const priv = s.findPrivateKey(Uint8Array.of(4));
    expect(priv).toBeDefined();
    expect(s.sign(priv as Buffer, "p256", Uint8Array.of(1))).toHaveLength(64);
    expect(s.readDataObject("X")).toEqual(Uint8Array.of(9, 9));
    expect(s.readDataObject("nope")).toBeUndefined();
    const [oid] = s.getAttributes(s.findObjects([{ type: pkcs11js.CKA_LABEL, value: "X" }])[0] as Buffer, [pkcs11js.CKA_OBJECT_ID]);
    expect(oid?.toString("hex")).toBe("060a60864801650307023000");
    s.close();
  });

  it("a failed C_FindObjectsInit does not leave the session stuck in CKR_OPERATION_ACTIVE", () => {
    const slot = lib.initToken("STUCK FIND", "12345678", "123456");
    const s = lib.openSession(slot, { readWrite: true });
    s.createDataObject({ application: "Y", label: "Y", objectId: "2.16.840.1.101.3.7.2.48.0", value: Uint8Array.of(7), private: false });
    // SoftHSM's behaviour when another thread logs the token out mid-call: the find is set up, the call fails.
    const m = lib.module as unknown as Record<string, (...a: unknown[]) => unknown>;
    const init = m.C_FindObjectsInit as (...a: unknown[]) => unknown;
    m.C_FindObjectsInit = (...a) => {
      init.apply(lib.module, a);
      throw new Error("CKR_GENERAL_ERROR");
    };
    try {
      expect(() => s.readDataObject("Y")).toThrow(/CKR_GENERAL_ERROR/);
    } finally {
      delete m.C_FindObjectsInit;
    }
    expect(s.readDataObject("Y")).toEqual(Uint8Array.of(7));
    s.close();
  });
});
