import { createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CardholderNotice, createIssuerAuthority, DerivedIssuance, type DeviceDescriptor, type IssueInput } from "../../emulators/derived/index.js";
import type { RunningServer } from "../../emulators/shared/index.js";
import { DAY_MS, VirtualClock } from "../../src/clock.js";
import { OIDS } from "../../src/pki/index.js";
import { ExtendedKeyUsageExtension, SubjectAlternativeNameExtension } from "../../src/x509.js";
import { ossl, osslAsync } from "../helpers/openssl.js";
import { refusal } from "../helpers/refusal.js";
import { authenticate, certOf, type DerivedLab, deviceCsr, makeDerivedLab } from "./lab.js";

// The issuance core on a real lab: SoftHSM cards, kiosk PKI-AUTH, the issuer's own CA under the TEST root, judged by
// openssl (x509 -text, verify, ocsp over a real loopback server). The clock starts an hour ago in real time so that
// openssl's own idea of "now" agrees with OCSP thisUpdate.

const START = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
let l: DerivedLab;
let server: RunningServer;
const notices: CardholderNotice[] = [];
const notifier = { notify: (n: CardholderNotice) => notices.push(n) };
let deviceSeq = 0;

function device(over: Partial<DeviceDescriptor> = {}): DeviceDescriptor {
  return { deviceId: `dev-${++deviceSeq}`, platform: "ios", osVersion: "17.4", keystore: "software", ...over };
}

function newIssuance(over: Partial<ConstructorParameters<typeof DerivedIssuance>[0]> = {}): DerivedIssuance {
  return new DerivedIssuance({ name: "purebred", authority: l.authority, cardIssuer: l.cardIssuer, clock: l.clock, notifier, ...over });
}

function pem(name: string, der: Uint8Array | string): string {
  const path = join(l.dir, `${name}.pem`);
  writeFileSync(path, certOf(der).toString("pem"));
  return path;
}

let rootPem: string;
let caPem: string;
let chainPem: string;

beforeAll(async () => {
  // the served lab: its server's URL is in the issuer CA's AIA/CDP
  l = await makeDerivedLab({ cards: 12, seed: "issuance", start: START });
  server = l.server;
  rootPem = pem("root", new Uint8Array(l.cardIssuer.root.certificate.rawData));
  caPem = pem("purebred-ca", new Uint8Array(l.authority.certificate.rawData));
  chainPem = join(l.dir, "chain.pem");
  writeFileSync(chainPem, `${readFileSync(rootPem, "utf8").trim()}\n${readFileSync(caPem, "utf8").trim()}\n`);
});
afterAll(async () => {
  await l?.close();
});

describe("issuer CA (createIssuerAuthority)", () => {
  it("is a TEST intermediate under the lab's root, recorded by the root, publishing as purebred-ca; reloaded from its dir", async () => {
    expect(l.authority.name).toBe("purebred-ca");
    expect(l.authority.certificate.subject).toContain("CN=DPCLAB TEST Purebred Derived PIV CA");
    expect(l.cardIssuer.root.status(l.authority.certificate.serialNumber)).toEqual({ status: "good" });
    expect(ossl(["verify", "-CAfile", rootPem, caPem]).out).toContain(": OK");
    const again = await createIssuerAuthority(l.cardIssuer.root, "purebred", {
      alg: "p256",
      baseUrl: server.url,
      clock: l.clock,
      dir: join(l.dir, "issuers"), // where the lab stack keeps the issuer CAs
    });
    expect(again.certificate.serialNumber).toBe(l.authority.certificate.serialNumber);
    const entrust = await createIssuerAuthority(l.cardIssuer.root, "entrust", { alg: "p256", baseUrl: server.url, clock: l.clock });
    expect(entrust.name).toBe("entrust-ca");
    expect(entrust.ca.publication?.ocspUrl).toBe(`${server.url}/pki/ocsp/entrust-ca`);
  });
});

describe("DerivedIssuance.issue", () => {
  it("software → .40 and hardware → .41 (openssl x509 -text), both verify to root + issuer CA; state, notice and transcript", async () => {
    const issuance = newIssuance();
    const session = await authenticate(l, 0);
    for (const [keystore, policy] of [
      ["software", OIDS.commonDerivedPivAuth],
      ["hardware", OIDS.commonDerivedPivAuthHardware],
    ] as const) {
      const { csr } = await deviceCsr();
      const dev = device({ keystore, platform: keystore === "hardware" ? "android" : "ios" });
      const { record, certificates } = await issuance.issue({ session, device: dev, csr });
      const path = pem(`dc-${keystore}`, certificates.pivAuth);
      const text = ossl(["x509", "-in", path, "-noout", "-text"]).out;
      expect(text).toContain(`Policy: ${policy}`);
      expect(text).toContain(`OCSP - URI:${server.url}/pki/ocsp/purebred-ca`);
      expect(text).toContain(`CA Issuers - URI:${server.url}/pki/aia/purebred-ca.p7c`);
      expect(text).toContain(`URI:${server.url}/pki/crl/purebred-ca.crl`);
      expect(text).toContain(`CN = ${l.deck[0]?.cardholder.commonName}`);
      expect(text).not.toContain(l.deck[0]?.cardUuid); // CERT-04: never the card's UUID
      expect(ossl(["verify", "-CAfile", rootPem, "-untrusted", caPem, path]).out).toContain(": OK");
      expect(record).toMatchObject({ issuer: "purebred", cardIndex: 0, deviceId: dev.deviceId, keystore, status: "active" });
      expect(Date.parse(record.recheckDueAt) - Date.parse(record.issuedAt)).toBe(7 * DAY_MS);
      expect(Date.parse(record.notAfter) - Date.parse(record.issuedAt)).toBe(365 * DAY_MS);
      expect(record.applicantPivAuth?.serialNumber).toBe(l.deck[0]?.certificates["9A"]);
      expect(issuance.status(record.pivAuth.serialNumber)).toEqual({ status: "good" });
      // DC-ISS-08: in the PIV identity account
      expect(l.cardIssuer.account(0).derivedCredentials).toContainEqual({
        issuer: "purebred",
        serialNumber: record.pivAuth.serialNumber,
        issuedAt: record.issuedAt,
        status: "active",
      });
      // DC-ISS-09: at the account's address
      expect(notices.at(-1)).toMatchObject({ cardIndex: 0, email: l.deck[0]?.cardholder.email });
      const rules = new Set(record.transcript.flatMap((e) => e.rules ?? []));
      for (const rule of [
        "DC-ISS-04",
        "DC-ISS-05",
        "DC-ISS-02",
        "DC-LNK-02",
        "DC-ISS-12",
        "DC-MNT-06",
        "DC-ISS-11",
        "CERT-01",
        "DC-ISS-08",
        "DC-ISS-09",
        "DC-ISS-06",
      ]) {
        expect(rules.has(rule), rule).toBe(true);
      }
    }
    expect(issuance.credentials()).toHaveLength(2);
  });

  it("openssl ocsp over HTTP says good, then revoked after the device is reported lost (DC-TRM-01)", async () => {
    l.clock.set(new Date(Math.floor(Date.now() / 1000) * 1000));
    const issuance = newIssuance();
    const { csr } = await deviceCsr();
    const dev = device();
    const other = await issuance.issue({ session: await authenticate(l, 1), device: device(), csr: (await deviceCsr()).csr });
    const { record, certificates } = await issuance.issue({ session: await authenticate(l, 1), device: dev, csr });
    const leaf = pem("ocsp-leaf", certificates.pivAuth);
    const ask = () => osslAsync(["ocsp", "-issuer", caPem, "-cert", leaf, "-url", `${server.url}/pki/ocsp/purebred-ca`, "-CAfile", chainPem]);
    let r = await ask();
    expect(r.out).toContain("Response verify OK");
    expect(r.out).toMatch(/ocsp-leaf\.pem: good/);
    const revoked = issuance.revokeDevice(dev.deviceId, "keyCompromise");
    expect(revoked.map((x) => x.id)).toEqual([record.id]);
    r = await ask();
    expect(r.out).toContain("Response verify OK");
    expect(r.out).toMatch(/ocsp-leaf\.pem: revoked/);
    expect(r.out).toContain("Reason: keyCompromise");
    expect(issuance.credential(record.id)).toMatchObject({ status: "revoked", revocationReason: "keyCompromise" });
    expect(issuance.credential(other.record.id).status).toBe("active");
    expect(record.transcript.some((e) => e.event === "device.revoked" && e.rules?.includes("DC-TRM-01"))).toBe(true);
    expect(l.cardIssuer.account(1).derivedCredentials.find((d) => d.serialNumber === record.pivAuth.serialNumber)?.status).toBe("revoked");
    expect((await refusal(() => issuance.revokeDevice("never-seen"))).code).toBe("device-unknown");
    expect((await refusal(() => issuance.revokeDevice(dev.deviceId, "removeFromCRL"))).code).toBe("bad-revocation-reason");
  });

  it("refuses a CSR with a bad signature and an RSA-1024 CSR; an unapproved device; a terminated account", async () => {
    const session = await authenticate(l, 2);
    const issuance = newIssuance({
      approver: { isApproved: (id) => (id.startsWith("ok-") ? { approved: true } : { approved: false, reason: "not enrolled" }) },
    });
    const { csr } = await deviceCsr();
    const bad = csr.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    expect((await refusal(issuance.issue({ session, device: device({ deviceId: "ok-1" }), csr: bad }))).code).toBe("csr-signature-invalid");
    const keyPath = join(l.dir, "rsa1024.key");
    ossl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", keyPath]);
    ossl(["req", "-new", "-key", keyPath, "-subj", "/CN=old TEST", "-outform", "DER", "-out", `${keyPath}.csr`]);
    const rsa1024 = new Uint8Array(readFileSync(`${keyPath}.csr`));
    expect((await refusal(issuance.issue({ session, device: device({ deviceId: "ok-2" }), csr: rsa1024 }))).code).toBe("csr-key-not-allowed");
    const na = await refusal(issuance.issue({ session, device: device(), csr }));
    expect([na.code, na.status]).toEqual(["device-not-approved", 403]);
    expect(issuance.journal().map((e) => e.rules?.[0])).toEqual(["DC-ISS-12", "CERT-13", "DC-ISS-02"]);
    expect(issuance.credentials()).toHaveLength(0);
  });

  it("keeps a bounded journal of refusals: a client that causes 25,000 refusals cannot grow it past 20,000 (issue 10 §8)", async () => {
    const issuance = newIssuance();
    for (let i = 0; i < 25_000; i++) await issuance.issue(undefined as unknown as IssueInput).catch(() => undefined);
    expect(issuance.journal().length).toBeLessThan(20_000);
    expect(issuance.journal().length).toBeGreaterThanOrEqual(10_000);
    expect(issuance.journal().at(-1)?.detail).toMatchObject({ code: "no-session" });
  });

  it("refuses the same key twice (DC-MNT-06), even from another card, and enforces the cap (DC-ISS-11)", async () => {
    const issuance = newIssuance({ maxActivePerCard: 2 });
    const session = await authenticate(l, 3);
    const { csr } = await deviceCsr();
    await issuance.issue({ session, device: device(), csr });
    const reused = await refusal(issuance.issue({ session: await authenticate(l, 4), device: device(), csr }));
    expect([reused.code, reused.status]).toEqual(["key-reused", 409]);
    // concurrent requests cannot slip past the cap
    const results = await Promise.allSettled([1, 2, 3].map(async () => issuance.issue({ session, device: device(), csr: (await deviceCsr()).csr })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const capped = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect([capped.reason.code, capped.reason.status]).toEqual(["too-many-credentials", 409]);
    // a revoked credential frees its slot
    const first = issuance.credentials()[0];
    issuance.revokeDevice(first?.deviceId as string, "cessationOfOperation");
    await issuance.issue({ session, device: device(), csr: (await deviceCsr()).csr });
  });

  it("an expired credential no longer counts against the cap (DC-ISS-11): a fleet renewing for years is not refused", async () => {
    // The issuer's own clock: it issues a 10-day credential 11 days before the lab's now, then one at the lab's now.
    const clock = new VirtualClock(new Date(l.clock.now().getTime() - 11 * DAY_MS));
    const issuance = newIssuance({ maxActivePerCard: 1, validityDays: 10, clock });
    const session = await authenticate(l, 6);
    await issuance.issue({ session, device: device(), csr: (await deviceCsr()).csr });
    const capped = await refusal(issuance.issue({ session, device: device(), csr: (await deviceCsr()).csr }));
    expect(capped.code).toBe("too-many-credentials");
    clock.set(l.clock.now()); // the first credential has expired
    const next = await issuance.issue({ session, device: device(), csr: (await deviceCsr()).csr });
    expect(next.record.status).toBe("active");
  });

  it("S/MIME on iOS: signing + encryption certificates (emailProtection, rfc822Name), escrowed key matches; refused on Android", async () => {
    const issuance = newIssuance();
    const session = await authenticate(l, 5);
    const email = l.deck[5]?.cardholder.email;
    const signing = await deviceCsr("p256");
    const { record, certificates, escrowedEncryptionKey } = await issuance.issue({
      session,
      device: device({ platform: "ios" }),
      csr: (await deviceCsr()).csr,
      smime: { signingCsr: signing.csr },
    });
    expect(certificates.signing && certificates.encryption && escrowedEncryptionKey).toBeTruthy();
    const sign = certOf(certificates.signing as Uint8Array);
    const enc = certOf(certificates.encryption as Uint8Array);
    for (const c of [sign, enc]) {
      expect(c.getExtension(ExtendedKeyUsageExtension)?.usages).toEqual([OIDS.emailProtection]);
      expect(c.getExtension(SubjectAlternativeNameExtension)?.names.toJSON()).toEqual([{ type: "email", value: email }]);
      expect(ossl(["verify", "-CAfile", rootPem, "-untrusted", caPem, pem(`smime-${c.serialNumber}`, new Uint8Array(c.rawData))]).out).toContain(": OK");
    }
    expect(Buffer.from(sign.publicKey.rawData)).toEqual(Buffer.from(signing.spki));
    const escrowedPublic = createPublicKey(createPrivateKey({ key: Buffer.from(escrowedEncryptionKey as Uint8Array), format: "der", type: "pkcs8" })).export({
      format: "der",
      type: "spki",
    });
    expect(Buffer.from(escrowedPublic)).toEqual(Buffer.from(enc.publicKey.rawData));
    expect(record.smime?.encryption.serialNumber).toBe(enc.serialNumber.toLowerCase());
    expect(record.transcript.some((e) => e.event === "key.escrowed" && e.rules?.includes("DC-KEY-03"))).toBe(true);
    // key recovery: same cardholder only
    expect(Buffer.from(issuance.recoverEscrowedKey(record.id, await authenticate(l, 5)))).toEqual(Buffer.from(escrowedEncryptionKey as Uint8Array));
    expect((await refusal(async () => issuance.recoverEscrowedKey(record.id, await authenticate(l, 6)))).code).toBe("not-your-credential");
    // Android: refused
    const android = await refusal(
      issuance.issue({ session, device: device({ platform: "android" }), csr: (await deviceCsr()).csr, smime: { signingCsr: (await deviceCsr()).csr } }),
    );
    expect(android.code).toBe("smime-ios-only");
  });

  it("every public method answers bad input with a 4xx DpclabError", async () => {
    const issuance = newIssuance();
    const session = await authenticate(l, 6);
    const { csr } = await deviceCsr();
    const bad: unknown[] = [
      undefined,
      {},
      { session: {}, device: device(), csr },
      { session, device: { deviceId: "" }, csr },
      { session, device: { ...device(), platform: "windows" }, csr },
      { session, device: device(), csr: "not bytes" },
      { session, device: device(), csr: new Uint8Array(5) },
      { session, device: device(), csr, smime: {} },
    ];
    for (const input of bad) {
      const e = await refusal(issuance.issue(input as IssueInput));
      expect(e.status, e.code).toBeGreaterThanOrEqual(400);
      expect(e.status, e.code).toBeLessThan(500);
    }
    for (const fn of [
      () => issuance.credential("nope"),
      () => issuance.status("xyz"),
      () => issuance.revokeDevice(42 as unknown as string),
      () => issuance.recoverEscrowedKey("nope", session),
    ]) {
      const e = await refusal(fn);
      expect(e.status).toBeGreaterThanOrEqual(400);
      expect(e.status).toBeLessThan(500);
    }
    expect(issuance.status("00ff")).toEqual({ status: "unknown" });
    expect(() => newIssuance({ validityDays: 1097 })).toThrow(/DC-LIFE-02/);
  });
});

describe("DerivedIssuance.runDueChecks", () => {
  it("seven-day recheck (DC-ISS-06): revokes when the card was revoked within the window, leaves the others alone", async () => {
    l.clock.set(new Date(START.getTime() + 2 * DAY_MS));
    const issuance = newIssuance();
    const t0 = l.clock.now().getTime();
    const early = await issuance.issue({ session: await authenticate(l, 7), device: device(), csr: (await deviceCsr()).csr });
    const clean = await issuance.issue({ session: await authenticate(l, 8), device: device(), csr: (await deviceCsr()).csr });
    const late = await issuance.issue({ session: await authenticate(l, 9), device: device(), csr: (await deviceCsr()).csr });

    l.clock.set(new Date(t0 + 3 * DAY_MS));
    l.cardIssuer.revokeCard(7, "keyCompromise"); // within the seven days
    expect(issuance.runDueChecks()).toEqual({ rechecked: [], revoked: [] }); // not due yet

    l.clock.set(new Date(t0 + 8 * DAY_MS));
    const summary = issuance.runDueChecks();
    expect(summary.rechecked.sort()).toEqual([early.record.id, clean.record.id, late.record.id].sort());
    expect(summary.revoked).toEqual([{ id: early.record.id, reason: "keyCompromise", rule: "DC-ISS-06" }]);
    expect(issuance.status(early.record.pivAuth.serialNumber)).toMatchObject({ status: "revoked", reason: "keyCompromise" });
    expect(issuance.credential(clean.record.id)).toMatchObject({ status: "active", recheckDoneAt: l.clock.now().toISOString() });
    expect(early.record.transcript.some((e) => e.event === "recheck.revoked" && e.rules?.includes("DC-ISS-06"))).toBe(true);

    // a card revoked after the window is card loss, which alone does not invalidate DPCs (DC-LNK-04)
    l.clock.set(new Date(t0 + 10 * DAY_MS));
    l.cardIssuer.revokeCard(9, "keyCompromise");
    expect(issuance.runDueChecks()).toEqual({ rechecked: [], revoked: [] });
    expect(issuance.credential(late.record.id).status).toBe("active");
  });

  it("a recheck that runs late still only counts revocations up to the due date", async () => {
    const issuance = newIssuance();
    const t0 = l.clock.now().getTime();
    const { record } = await issuance.issue({ session: await authenticate(l, 10), device: device(), csr: (await deviceCsr()).csr });
    l.clock.set(new Date(t0 + 9 * DAY_MS));
    l.cardIssuer.revokeCard(10, "cessationOfOperation");
    l.clock.set(new Date(t0 + 12 * DAY_MS));
    expect(issuance.runDueChecks()).toEqual({ rechecked: [record.id], revoked: [] });
    expect(record.transcript.at(-1)).toMatchObject({ event: "recheck.done", detail: { status: "revoked" } });
  });

  it("account termination revokes all of the cardholder's credentials (DC-LNK-02, DC-TRM-02)", async () => {
    const issuance = newIssuance();
    const session = await authenticate(l, 11);
    const a = await issuance.issue({ session, device: device(), csr: (await deviceCsr()).csr });
    const b = await issuance.issue({ session, device: device({ keystore: "hardware" }), csr: (await deviceCsr()).csr });
    const bystander = await issuance.issue({ session: await authenticate(l, 8), device: device(), csr: (await deviceCsr()).csr });
    l.cardIssuer.terminateAccount(11);
    // the account is re-checked at issuance too
    expect((await refusal(issuance.issue({ session, device: device(), csr: (await deviceCsr()).csr }))).code).toBe("account-terminated");
    const summary = issuance.runDueChecks();
    expect(
      summary.revoked
        .filter((r) => r.rule === "DC-TRM-02")
        .map((r) => r.id)
        .sort(),
    ).toEqual([a.record.id, b.record.id].sort());
    for (const r of [a, b]) {
      expect(issuance.credential(r.record.id)).toMatchObject({ status: "revoked", revocationReason: "affiliationChanged" });
      expect(r.record.transcript.some((e) => e.event === "account.terminated" && e.rules?.includes("DC-TRM-02"))).toBe(true);
    }
    expect(issuance.credential(bystander.record.id).status).toBe("active");
    expect(l.cardIssuer.account(11).derivedCredentials.every((d) => d.status === "revoked")).toBe(true);
    expect(notices.filter((n) => n.cardIndex === 11 && n.subject.includes("revoked"))).toHaveLength(2);
  });
});
