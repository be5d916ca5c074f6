import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CardIssuer, type CardRecord, createCards, pivCaHandler } from "../../emulators/piv-ca/index.js";
import { inProcessFetch } from "../../emulators/shared/index.js";
import { DAY_MS, VirtualClock } from "../../src/clock.js";
import { LabDir, openLabCard } from "../../src/lab/index.js";
import {
  buildCcc,
  buildChuid,
  buildDiscovery,
  MemoryPinRetryStore,
  PivCard,
  type PivKeySlot,
  Pkcs11Library,
  type PkiAuthResult,
  type PkiAuthStepName,
  personalizeCard,
  pkiAuth,
} from "../../src/piv/index.js";
import { createHttpRevocationChecker } from "../../src/pki/index.js";
import { X509Certificate } from "../../src/x509.js";
import { tempDir } from "../helpers/cli.js";
import { makeTempSoftHsm, type TempSoftHsm } from "../helpers/softhsm.js";

// PKI-AUTH (FIPS 201-3 §6.2.3.1) at library level against real SoftHSM cards: one good run, then one test per way
// it must say no. The card issuer's OCSP/CRL/AIA answer in-process (no socket) at the URLs in the certificates.

const T0 = new Date("2026-01-01T00:00:00Z");
/** Cards are issued a month after the PKI, so "before the card" is still inside the CAs' validity. */
const ISSUED = new Date(T0.getTime() + 30 * DAY_MS);
const NOW = new Date(ISSUED.getTime() + 3_600_000);

const GOOD = 0;
const REVOKED = 1;
const WRONG_PIN = 2;
const BLOCKED = 3;
const TERMINATED = 4;

const dir = tempDir("dpclab-pki-auth-");
const otherDir = tempDir("dpclab-pki-auth-other-");
const clock = new VirtualClock(T0);
let lab: LabDir;
let issuer: CardIssuer;
let other: CardIssuer;
let deck: CardRecord[];
let badSigHsm: TempSoftHsm;
const BAD_SIG_LABEL = "TEST Bad Signature";
const BAD_SIG_PIN = "13572468";

/** The card issuer's publication endpoints, dispatched in-process by path. */
const issuerFetch = (): typeof fetch => inProcessFetch(pivCaHandler(issuer));

function failingFetch(matches: (url: string) => boolean, how: "throw" | "503"): typeof fetch {
  const inner = issuerFetch();
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (matches(url)) {
      if (how === "throw") throw new TypeError(`fetch failed: connect ECONNREFUSED (${url})`);
      return new Response("unavailable", { status: 503 });
    }
    return inner(input, init);
  }) as typeof fetch;
}

interface RunOptions {
  pin?: string;
  fetchFn?: typeof fetch;
  trustAnchors?: X509Certificate[];
  intermediates?: X509Certificate[];
}

/** PKI-AUTH as the kiosk runs it, with a fresh revocation checker (no CRL cache carried between tests). */
function run(card: PivCard, record: Pick<CardRecord, "pin">, opts: RunOptions = {}): Promise<PkiAuthResult> {
  return pkiAuth({
    card,
    pin: opts.pin ?? record.pin,
    trustAnchors: opts.trustAnchors ?? [issuer.root.certificate],
    intermediates: opts.intermediates ?? [issuer.pivCa.certificate],
    revocation: createHttpRevocationChecker(opts.fetchFn ?? issuerFetch()),
    clock,
  });
}

/** Opens a card of the lab's deck, runs `body`, and always closes the card. */
async function withCard<T>(index: number, body: (card: PivCard, record: CardRecord) => Promise<T>): Promise<T> {
  const record = deck[index] as CardRecord;
  const card = openLabCard(lab, record.tokenLabel);
  try {
    return await body(card, record);
  } finally {
    card.close();
  }
}

function expectRejected(result: PkiAuthResult, reason: string, step: PkiAuthStepName): Extract<PkiAuthResult, { ok: false }> {
  expect(result.ok, JSON.stringify(result.steps)).toBe(false);
  if (result.ok) throw new Error("unreachable");
  expect(result.reason, result.detail).toBe(reason);
  const last = result.steps.at(-1);
  expect(last?.step).toBe(step);
  expect(last?.ok).toBe(false);
  expect(last?.detail).toBe(result.detail);
  // every step before the failing one passed
  expect(result.steps.slice(0, -1).every((s) => s.ok)).toBe(true);
  return result;
}

function wrongPinFor(record: CardRecord): string {
  return record.pin === "000000" ? "111111" : "000000";
}

beforeAll(async () => {
  lab = new LabDir(dir.path);
  issuer = await CardIssuer.create(
    lab,
    { version: 1, alg: "p256", seed: "pki-auth-lib", baseUrl: "http://127.0.0.1:7800", createdAt: T0.toISOString() },
    clock,
  );
  clock.set(ISSUED);
  deck = await createCards(lab, issuer, { count: 5, seed: "pki-auth-lib", clock });

  // An independent second lab: same DNs (every lab calls its root "DPCLAB TEST Root CA"), different keys.
  other = await CardIssuer.create(
    new LabDir(otherDir.path),
    { version: 1, alg: "p256", seed: "pki-auth-other", baseUrl: "http://127.0.0.1:7800", createdAt: T0.toISOString() },
    new VirtualClock(T0),
  );

  // A card whose 9A certificate has one byte of its signature flipped, made through the real personalisation path.
  badSigHsm = makeTempSoftHsm();
  const lib = Pkcs11Library.open({ softhsmConf: badSigHsm.conf });
  const good = deck[GOOD] as CardRecord;
  const draft = { ...good, index: 99, tokenLabel: BAD_SIG_LABEL, pin: BAD_SIG_PIN, cardUuid: "0badc0de-0000-4000-8000-000000000099" };
  await personalizeCard(lib, {
    tokenLabel: BAD_SIG_LABEL,
    pin: BAD_SIG_PIN,
    puk: good.puk,
    alg: "p256",
    issueCertificates: async (publicKeys: Record<PivKeySlot, Uint8Array>) => {
      const { ders } = await issuer.issueCardCertificates(draft, publicKeys);
      const bad = Uint8Array.from(ders["9A"]);
      // The last byte of the DER is the last byte of the ECDSA signature's s: still well-formed, no longer valid.
      bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0x01;
      return { ...ders, "9A": bad };
    },
    dataObjects: {
      chuid: await buildChuid({ fascn: Buffer.from(good.fascn, "hex"), guid: draft.cardUuid, expiration: new Date(good.expires) }, issuer.contentSigner),
      ccc: buildCcc(),
      discovery: buildDiscovery(),
    },
  });
});

afterAll(() => {
  badSigHsm?.cleanup();
  dir.remove();
  otherDir.remove();
});

beforeEach(() => clock.set(NOW));

describe("pkiAuth (FIPS 201-3 §6.2.3.1) on real SoftHSM cards", () => {
  it("authenticates a good card: four steps pass, OCSP says good, and the SAN identifiers match the deck", async () => {
    await withCard(GOOD, async (card, record) => {
      const result = await run(card, record);
      expect(result.ok, JSON.stringify(result.steps)).toBe(true);
      if (!result.ok) return;
      expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
        ["read-certificate", true],
        ["validate-path", true],
        ["verify-pin", true],
        ["challenge-response", true],
      ]);
      expect(result.steps[1]?.detail).toContain("status good by OCSP");
      expect(result.steps[1]?.detail).toContain("DPCLAB TEST Root CA");
      expect(result.cardUuid).toBe(record.cardUuid);
      expect(result.fascn).toBe(record.fascn);
      expect(result.subject).toContain(record.cardholder.commonName);
      expect(result.certificate.serialNumber.toLowerCase()).toBe(record.certificates["9A"]);
    });
  });

  it("rejects an expired certificate: the clock one day past the 9A notAfter → expired", async () => {
    await withCard(GOOD, async (card, record) => {
      const cert = new X509Certificate(card.readCertificate("9A") as Uint8Array<ArrayBuffer>);
      clock.set(new Date(cert.notAfter.getTime() + DAY_MS));
      const r = expectRejected(await run(card, record), "expired", "validate-path");
      expect(r.detail).toContain(record.cardholder.commonName); // the leaf expired, not a CA
      expect(r.certificate?.serialNumber).toBe(cert.serialNumber);
    });
  });

  it("rejects a certificate that is not yet valid: the clock before the 9A notBefore (CAs already valid) → not-yet-valid", async () => {
    await withCard(GOOD, async (card, record) => {
      const cert = new X509Certificate(card.readCertificate("9A") as Uint8Array<ArrayBuffer>);
      expect(cert.notBefore.getTime()).toBe(ISSUED.getTime());
      clock.set(new Date(cert.notBefore.getTime() - DAY_MS));
      const r = expectRejected(await run(card, record), "not-yet-valid", "validate-path");
      expect(r.detail).toContain(record.cardholder.commonName);
      expect(r.detail).not.toContain("trust anchor");
    });
  });

  it("rejects a card of another lab's PKI (same CA names, other keys): no path to the trusted root", async () => {
    await withCard(GOOD, async (card, record) => {
      // Only the other lab's anchor and intermediate: the leaf's AKI matches neither → no-path.
      const r1 = expectRejected(
        await run(card, record, { trustAnchors: [other.root.certificate], intermediates: [other.pivCa.certificate] }),
        "no-path",
        "validate-path",
      );
      expect(r1.detail).toContain("DPCLAB TEST PIV Card Issuing CA");
      // The card's own chain offered as untrusted intermediates: it ends in a self-signed root nobody trusts.
      const r2 = expectRejected(
        await run(card, record, {
          trustAnchors: [other.root.certificate],
          intermediates: [issuer.pivCa.certificate, issuer.root.certificate],
        }),
        "untrusted-root",
        "validate-path",
      );
      expect(r2.detail).toContain("not a trust anchor");
    });
  });

  it("rejects a 9A certificate with a flipped signature byte → signature-invalid", async () => {
    const lib = Pkcs11Library.open({ softhsmConf: badSigHsm.conf });
    const card = PivCard.open(lib, BAD_SIG_LABEL, new MemoryPinRetryStore());
    try {
      const r = expectRejected(await run(card, { pin: BAD_SIG_PIN }), "signature-invalid", "validate-path");
      expect(r.detail).toContain("does not verify with the key of");
      expect(r.detail).toContain("DPCLAB TEST PIV Card Issuing CA");
      // Refused before the PIN was ever presented.
      expect(card.pinVerified).toBe(false);
      expect(r.steps.map((s) => s.step)).toEqual(["read-certificate", "validate-path"]);
    } finally {
      card.close();
    }
  });

  it("rejects a revoked card over OCSP → revoked, per OCSP", async () => {
    expect(issuer.revokeCard(REVOKED, "keyCompromise")).toBe(4);
    await withCard(REVOKED, async (card, record) => {
      const r = expectRejected(await run(card, record), "revoked", "validate-path");
      expect(r.detail).toContain("per OCSP");
      expect(r.detail).toContain("keyCompromise");
      expect(r.detail).toContain(record.certificates["9A"]);
      expect(card.pinVerified).toBe(false);
    });
  });

  it("rejects a revoked card when OCSP is down: the CRL fallback still says revoked, per CRL", async () => {
    // Relies on the revocation of the previous test; make sure of it (revokeCard is idempotent).
    issuer.revokeCard(REVOKED, "keyCompromise");
    await withCard(REVOKED, async (card, record) => {
      for (const how of ["throw", "503"] as const) {
        const r = expectRejected(await run(card, record, { fetchFn: failingFetch((u) => u.includes("/pki/ocsp/"), how) }), "revoked", "validate-path");
        expect(r.detail).toContain("per CRL");
        expect(r.detail).toContain("keyCompromise");
      }
    });
  });

  it("with OCSP down, a good card still passes on the CRL (status good by CRL)", async () => {
    await withCard(GOOD, async (card, record) => {
      const result = await run(card, record, { fetchFn: failingFetch((u) => u.includes("/pki/ocsp/"), "503") });
      expect(result.ok, JSON.stringify(result.steps)).toBe(true);
      expect(result.steps[1]?.detail).toContain("status good by CRL");
    });
  });

  it("never passes when revocation status cannot be had at all → revocation-unavailable", async () => {
    await withCard(GOOD, async (card, record) => {
      for (const how of ["throw", "503"] as const) {
        const r = expectRejected(await run(card, record, { fetchFn: failingFetch(() => true, how) }), "revocation-unavailable", "validate-path");
        expect(r.detail).toMatch(/OCSP .*; CRL /);
        expect(card.pinVerified).toBe(false);
      }
    });
  });

  it("rejects a wrong PIN with the tries left (9), and the right PIN then resets the counter", async () => {
    await withCard(WRONG_PIN, async (card, record) => {
      const r = expectRejected(await run(card, record, { pin: wrongPinFor(record) }), "pin-incorrect", "verify-pin");
      expect(r.detail).toContain("9 tries left");
      expect(card.triesLeft).toBe(9);
      const r2 = expectRejected(await run(card, record, { pin: wrongPinFor(record) }), "pin-incorrect", "verify-pin");
      expect(r2.detail).toContain("8 tries left");
      expect((await run(card, record)).ok).toBe(true);
      expect(card.triesLeft).toBe(10);
    });
  });

  it("a malformed PIN is refused without costing a try (card-error, the card's 6A80)", async () => {
    await withCard(WRONG_PIN, async (card, record) => {
      const before = card.triesLeft;
      const r = expectRejected(await run(card, record, { pin: "12ab" }), "card-error", "verify-pin");
      expect(r.detail).toContain("6 to 8 digits");
      expect(card.triesLeft).toBe(before);
    });
  });

  it("ten wrong PINs block the card: the right PIN is then refused (card-blocked) until the PUK unblocks it", async () => {
    const record = deck[BLOCKED] as CardRecord;
    const wrong = wrongPinFor(record);
    await withCard(BLOCKED, async (card) => {
      for (let i = 1; i <= 10; i++) {
        const r = expectRejected(await run(card, record, { pin: wrong }), "pin-incorrect", "verify-pin");
        expect(r.detail).toContain(`${10 - i} ${10 - i === 1 ? "try" : "tries"} left`);
      }
      expect(card.isBlocked).toBe(true);
      const blocked = expectRejected(await run(card, record), "card-blocked", "verify-pin");
      expect(blocked.detail).toContain("PUK");
    });
    // The block is the card's, not the session's: a reopened card is still blocked.
    await withCard(BLOCKED, async (card) => {
      expectRejected(await run(card, record), "card-blocked", "verify-pin");
      const newPin = record.pin === "24681357" ? "97531864" : "24681357";
      card.unblock(record.puk, newPin);
      const ok = await run(card, record, { pin: newPin });
      expect(ok.ok, JSON.stringify(ok.steps)).toBe(true);
      // the old PIN is gone
      expectRejected(await run(card, record), "pin-incorrect", "verify-pin");
    });
  });

  it("a terminated PIV identity account does not fail PKI-AUTH (certificate-level check; DC-LNK-03 leaves it to derived issuers)", async () => {
    issuer.terminateAccount(TERMINATED);
    expect(issuer.accountStatus(TERMINATED)).toBe("terminated");
    await withCard(TERMINATED, async (card, record) => {
      const result = await run(card, record);
      expect(result.ok, JSON.stringify(result.steps)).toBe(true);
      expect(result.steps[1]?.detail).toContain("status good by OCSP");
    });
  });
});
