import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnrolmentStep } from "../../fleet/clients/index.js";
import {
  enrolWithPurebred,
  type PlistValue,
  PurebredDeviceApp,
  parsePlist,
  recoverPurebredKey,
  registerWithPurebredAgent,
} from "../../fleet/clients/purebred-client.js";
import { DpclabError } from "../../src/errors.js";
import { OIDS } from "../../src/pki/index.js";
import { AGENT, call, expectProblem, makePurebredLab, ossl, osslAsync, type PurebredLab } from "./lab.js";

// DISA Purebred end to end (docs/intune.md §2.1 iOS, §2.5 Android): agent + applicant PKI-AUTH with real SoftHSM cards,
// OTPs in two stages, the real Tenant approving the device, certificates judged by openssl verify and openssl ocsp.

const IOS_APPLICANT = 2;
const ANDROID_APPLICANT = 3;
const NOT_AN_AGENT = 4;

let p: PurebredLab;
let rootPem: string;
let caPem: string;
let chainPem: string;

beforeAll(async () => {
  p = await makePurebredLab("pb-e2e", 5);
  rootPem = p.l.pem("root", new Uint8Array(p.l.cardIssuer.root.certificate.rawData));
  caPem = p.l.pem("purebred-ca", new Uint8Array(p.l.authority.certificate.rawData));
  chainPem = join(p.l.dir, "chain.pem");
  writeFileSync(chainPem, `${readFileSync(rootPem, "utf8").trim()}\n${readFileSync(caPem, "utf8").trim()}\n`);
});
afterAll(async () => {
  await p?.close();
});

function spki(der: Uint8Array): Buffer {
  return new X509Certificate(Buffer.from(der)).publicKey.export({ type: "spki", format: "der" });
}

function verify(name: string, der: Uint8Array): string {
  return ossl(["verify", "-CAfile", rootPem, "-untrusted", caPem, p.l.pem(name, der)]).out;
}

let iosCredentialId = "";
let iosKey: Uint8Array | undefined;

describe("iOS (§2.1): pre-enrolment profile, OTPs, credential configuration profile, Import key", () => {
  it("delivers 3 certificates (PIV Auth .40, S/MIME signing, encryption) and the escrowed key that matches the encryption certificate", async () => {
    const device = p.device("ios", { user: IOS_APPLICANT });
    const seen: EnrolmentStep[] = [];
    const agent = p.card(AGENT);
    const applicant = p.card(IOS_APPLICANT);
    const result = await enrolWithPurebred({
      client: p.client,
      agent,
      card: applicant.card,
      pin: applicant.pin,
      device,
      onStep: (s) => seen.push(s),
    });
    expect(result.steps.map((s) => s.step)).toEqual([
      "agent-login",
      "applicant-login",
      "registration",
      "pre-enrolment-profile",
      "otp1",
      "otp2",
      "key-generation",
      "credential-profile",
      "import-key",
      "done",
    ]);
    expect(seen).toEqual(result.steps);
    const { pivAuth, signing, encryption } = result.certificates;
    expect(signing && encryption).toBeTruthy();
    // the escrowed key-management key is the one the encryption certificate certifies (DC-KEY-03)
    const fromKey = createPublicKey(createPrivateKey({ key: Buffer.from(result.encryptionKeyPkcs8 as Uint8Array), format: "der", type: "pkcs8" })).export({
      type: "spki",
      format: "der",
    });
    expect(fromKey.equals(spki(encryption as Uint8Array))).toBe(true);
    expect(Buffer.from(result.chain[0] as Uint8Array).equals(Buffer.from(p.l.authority.certificate.rawData))).toBe(true);
    expect(Buffer.from(result.chain[1] as Uint8Array).equals(Buffer.from(p.l.cardIssuer.root.certificate.rawData))).toBe(true);
    for (const [name, der] of Object.entries(result.certificates)) expect(verify(`ios-${name}`, der), name).toContain(": OK");
    expect(ossl(["x509", "-in", p.l.pem("ios-piv", pivAuth), "-noout", "-text"]).out).toContain(`Policy: ${OIDS.commonDerivedPivAuth}`);
    const record = p.issuance.credential(result.credentialId);
    expect(record).toMatchObject({
      issuer: "purebred",
      deviceId: device.deviceId,
      platform: "ios",
      keystore: "software",
      cardIndex: IOS_APPLICANT,
      status: "active",
    });
    expect(record.escrowedKeyManagementKey).toBe(true);
    iosCredentialId = result.credentialId;
    iosKey = result.encryptionKeyPkcs8;
  });

  it("serves the pre-enrolment configuration profile as a TEST XML plist .mobileconfig with the TEST root as trusted root", async () => {
    const device = p.device("ios", { user: IOS_APPLICANT });
    const agent = p.card(AGENT);
    const applicant = p.card(IOS_APPLICANT);
    const { ticket } = await registerWithPurebredAgent({
      client: p.client,
      agent,
      card: applicant.card,
      pin: applicant.pin,
      device,
    });
    expect(ticket).toMatchObject({ state: "awaiting-otp1", platform: "ios", cardIndex: IOS_APPLICANT });
    expect(ticket.otp1).toMatch(/^\d{8}$/);
    expect(Date.parse(ticket.otp1ExpiresAt) - p.l.clock.now().getTime()).toBe(15 * 60_000);
    const raw = await call(p.http, "GET", new URL(ticket.preEnrolmentProfileUrl as string).pathname + new URL(ticket.preEnrolmentProfileUrl as string).search);
    expect(raw.status).toBe(200);
    expect(raw.type).toBe("application/x-apple-aspen-config");
    expect(raw.text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<!DOCTYPE plist/);
    const profile = parsePlist(raw.text) as Record<string, PlistValue>;
    expect(profile).toMatchObject({ PayloadType: "Configuration", PayloadVersion: 1 });
    expect(profile.PayloadIdentifier).toBe(`mil.disa.purebred.test.pre-enrolment.${ticket.registrationId}`);
    expect(String(profile.PayloadDisplayName)).toContain("TEST");
    const content = profile.PayloadContent as Record<string, PlistValue>[];
    const root = content.find((x) => x.PayloadType === "com.apple.security.root");
    expect(Buffer.from(root?.PayloadContent as Uint8Array).equals(Buffer.from(p.l.cardIssuer.root.certificate.rawData))).toBe(true);
    expect(content.find((x) => x.PayloadType === "mil.disa.purebred.test.registration")).toMatchObject({
      RegistrationId: ticket.registrationId,
      DeviceId: device.deviceId,
    });
    // the same through the device app, over a real socket
    const app = new PurebredDeviceApp(p.socketClient, device);
    expect((await app.preEnrolmentProfile(ticket.registrationId)).PayloadType).toBe("Configuration");
  });
});

describe("Android (§2.5) over a real socket", () => {
  it("hardware keystore → .41; one Choose certificate grant per certificate; openssl verify; openssl ocsp good → revoked", async () => {
    // openssl judges OCSP times against the real clock
    p.l.clock.set(new Date(Math.floor(Date.now() / 1000) * 1000));
    const device = p.device("android", { keystore: "hardware", user: ANDROID_APPLICANT });
    const agent = p.card(AGENT);
    const applicant = p.card(ANDROID_APPLICANT);
    const result = await enrolWithPurebred({ client: p.socketClient, agent, card: applicant.card, pin: applicant.pin, device });
    const steps = result.steps.map((s) => s.step);
    expect(steps).toEqual(["agent-login", "applicant-login", "registration", "otp1", "otp2", "key-generation", "certificates", "choose-certificate", "done"]);
    expect(steps.filter((s) => s === "choose-certificate")).toHaveLength(Object.keys(result.certificates).length);
    expect(result.encryptionKeyPkcs8).toBeUndefined();
    expect(Object.keys(result.certificates)).toEqual(["pivAuth"]);
    expect(p.issuance.credential(result.credentialId)).toMatchObject({ platform: "android", keystore: "hardware", deviceId: device.deviceId });

    const leaf = p.l.pem("android-piv", result.certificates.pivAuth);
    expect(ossl(["x509", "-in", leaf, "-noout", "-text"]).out).toContain(`Policy: ${OIDS.commonDerivedPivAuthHardware}`);
    expect(ossl(["verify", "-CAfile", rootPem, "-untrusted", caPem, leaf]).out).toContain(": OK");
    const ask = () =>
      osslAsync(["ocsp", "-timeout", "20", "-issuer", caPem, "-cert", leaf, "-url", `${p.server.url}/pki/ocsp/purebred-ca`, "-CAfile", chainPem]);
    let r = await ask();
    expect(r.out).toContain("Response verify OK");
    expect(r.out).toMatch(/android-piv\.pem: good/);
    expect(p.issuance.revokeDevice(device.deviceId, "keyCompromise").map((x) => x.id)).toEqual([result.credentialId]);
    r = await ask();
    expect(r.out).toContain("Response verify OK");
    expect(r.out).toMatch(/android-piv\.pem: revoked/);
  });
});

describe("escrowed key recovery (DC-KEY-03), agent-supervised", () => {
  it("returns the escrowed key to the same cardholder; another cardholder → 403 not-your-credential; a non-agent console → 403", async () => {
    expect(iosCredentialId).not.toBe("");
    const agent = p.card(AGENT);
    const same = p.card(IOS_APPLICANT);
    const key = await recoverPurebredKey({
      client: p.client,
      agent,
      card: same.card,
      pin: same.pin,
      credentialId: iosCredentialId,
    });
    expect(Buffer.from(key).equals(Buffer.from(iosKey as Uint8Array))).toBe(true);

    const other = p.card(ANDROID_APPLICANT);
    const refused = await recoverPurebredKey({
      client: p.client,
      agent,
      card: other.card,
      pin: other.pin,
      credentialId: iosCredentialId,
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DpclabError);
    expect([(refused as DpclabError).code, (refused as DpclabError).status]).toEqual(["not-your-credential", 403]);

    const notAgent = p.card(NOT_AN_AGENT);
    const byNonAgent = await recoverPurebredKey({
      client: p.client,
      agent: notAgent,
      card: same.card,
      pin: same.pin,
      credentialId: iosCredentialId,
    }).catch((e: unknown) => e);
    expect([(byNonAgent as DpclabError).code, (byNonAgent as DpclabError).status]).toEqual(["not-a-registration-agent", 403]);
    // no agent signed in at the console
    const login = await call(p.http, "POST", "/issuers/purebred/key-recovery", { json: { applicantSessionId: "nope", credentialId: iosCredentialId } });
    expectProblem(login, 401, "no-session");
  });
});
