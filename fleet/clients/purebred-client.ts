import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import type { RegistrationState } from "../../emulators/purebred/index.js";
import { DpclabError } from "../../src/errors.js";
import type { PivCard } from "../../src/piv/index.js";
import { createCsr } from "../../src/pki/index.js";
import { deviceClient } from "./device-client.js";
import type { EnrolmentInput, EnrolmentResult, EnrolmentStep } from "./enrolment-input.js";
import type { JsonClient } from "./http-json.js";
import { type KioskSession, kioskLogin } from "./kiosk-login.js";
import { describeDevice, type SimulatedDevice } from "./simulated-device.js";

/**
 * The three people of a DISA Purebred enrolment, as clients (docs/intune.md §1.7, §1.8, §2.1, §2.5):
 * - the **registration agent** at the console (their own PIV Card, PKI-AUTH) — PurebredAgentConsole;
 * - the **applicant** doing PKI-AUTH in front of the agent (kioskLogin);
 * - the **device** (Purebred app / Purebred Registration on iOS), which reaches Purebred over the on-premises network
 *   only (§1.8) — PurebredDeviceApp.
 * enrolWithPurebred plays all three in order and reports every step through onStep. Each reaches Purebred through
 * a JsonClient (the device reads .mobileconfig property lists as text, through the same client).
 */

/** The transport the test labs hand out (a JsonClient is made from it). */
export interface PurebredHttp {
  fetch: typeof fetch;
  baseUrl: string;
}

/** The registration agent at the console: their own PIV Card and PIN. */
export interface RegistrationAgent {
  card: PivCard;
  pin: string;
}

export interface RegistrationTicket {
  registrationId: string;
  state: RegistrationState;
  deviceId: string;
  platform: "ios" | "android";
  cardIndex: number;
  cardholder: string;
  /** Stage 1: what the agent reads to the user. */
  otp1: string;
  otp1ExpiresAt: string;
  /** iOS only. */
  preEnrolmentProfileUrl?: string;
}

export interface Otp1Answer {
  registrationId: string;
  state: RegistrationState;
  /** Stage 2: what the Purebred app shows, for the user to read back to the agent. */
  otp2: string;
  otp2ExpiresAt: string;
  deviceToken: string;
}

export interface RecoveredKey {
  credentialId: string;
  encryptionCertificate?: string;
  encryptionKeyPkcs8: string;
}

const BASE = "/issuers/purebred";

/** The registration agent's console: signed in with the agent's own PIV Card (PKI-AUTH). */
export class PurebredAgentConsole {
  private constructor(
    private readonly client: JsonClient,
    readonly agent: KioskSession,
  ) {}

  static async open(kiosk: JsonClient, agent: RegistrationAgent): Promise<PurebredAgentConsole> {
    const session = await kioskLogin(kiosk, "purebred", agent.card, agent.pin);
    return new PurebredAgentConsole(kiosk.withBearer(session.sessionId), session);
  }

  /** Registers the applicant (who just did PKI-AUTH here) and their device; returns OTP-1 to read out. */
  register(input: { applicantSessionId: string; deviceId: string; platform: "ios" | "android" }): Promise<RegistrationTicket> {
    return this.client.post<RegistrationTicket>(`${BASE}/registrations`, input);
  }

  /** Stage 2: the OTP-2 the user read from the Purebred app. */
  confirmOtp2(registrationId: string, otp: string): Promise<{ state: RegistrationState }> {
    return this.client.post(`${BASE}/registrations/${encodeURIComponent(registrationId)}/confirm`, { otp });
  }

  registration(registrationId: string): Promise<Record<string, unknown> & { state: RegistrationState }> {
    return this.client.get(`${BASE}/registrations/${encodeURIComponent(registrationId)}`);
  }

  /** DC-KEY-03: the escrowed key-management key, to the cardholder who just did PKI-AUTH in front of the agent. */
  recoverEscrowedKey(input: { applicantSessionId: string; credentialId: string }): Promise<RecoveredKey> {
    return this.client.post<RecoveredKey>(`${BASE}/key-recovery`, input);
  }
}

/** The agent signs in, the applicant does PKI-AUTH in front of them, the agent registers the device. */
export async function registerWithPurebredAgent(input: {
  client: JsonClient;
  agent: RegistrationAgent;
  card: PivCard;
  pin: string;
  device: Pick<SimulatedDevice, "deviceId" | "platform">;
}): Promise<{ console: PurebredAgentConsole; applicant: KioskSession; ticket: RegistrationTicket }> {
  const agentConsole = await PurebredAgentConsole.open(input.client, input.agent);
  const applicant = await kioskLogin(input.client, "purebred", input.card, input.pin);
  const ticket = await agentConsole.register({ applicantSessionId: applicant.sessionId, deviceId: input.device.deviceId, platform: input.device.platform });
  return { console: agentConsole, applicant, ticket };
}

/** Key recovery at the agent's console: agent and cardholder both do PKI-AUTH; returns the PKCS#8 key. */
export async function recoverPurebredKey(input: {
  client: JsonClient;
  agent: RegistrationAgent;
  card: PivCard;
  pin: string;
  credentialId: string;
}): Promise<Uint8Array> {
  const agentConsole = await PurebredAgentConsole.open(input.client, input.agent);
  const applicant = await kioskLogin(input.client, "purebred", input.card, input.pin);
  const recovered = await agentConsole.recoverEscrowedKey({ applicantSessionId: applicant.sessionId, credentialId: input.credentialId });
  return new Uint8Array(Buffer.from(recovered.encryptionKeyPkcs8, "base64"));
}

/** The device's side: the Purebred app (and, on iOS, Settings installing the profiles). */
export class PurebredDeviceApp {
  /** The phone's own client: no kiosk session, and the network it is on (corporate Wi-Fi / VPN, or not), §1.8. */
  readonly #client: JsonClient;

  constructor(
    client: JsonClient,
    readonly device: SimulatedDevice,
  ) {
    this.#client = deviceClient(client, device);
  }

  /** §2.1 step 7 (iOS): download the pre-enrolment configuration profile and install it. */
  async preEnrolmentProfile(registrationId: string): Promise<Record<string, PlistValue>> {
    const path = `${BASE}/registrations/${encodeURIComponent(registrationId)}/pre-enrolment-profile?deviceId=${encodeURIComponent(this.device.deviceId)}`;
    return asDict(parsePlist(await this.#client.text("GET", path)), "pre-enrolment profile");
  }

  /** Stage 1: the user types OTP-1; the app shows OTP-2 and keeps the device token. */
  enterOtp1(registrationId: string, otp: string): Promise<Otp1Answer> {
    return this.#client.post<Otp1Answer>(`${BASE}/registrations/${encodeURIComponent(registrationId)}/otp1`, { deviceId: this.device.deviceId, otp });
  }

  /** After stage 2: send the CSR(s), get the credential (iOS: a .mobileconfig; Android: JSON). */
  async requestCredential(
    registrationId: string,
    deviceToken: string,
    body: { csr: Uint8Array; signingCsr?: Uint8Array },
  ): Promise<
    { kind: "ios"; profile: Record<string, PlistValue> } | { kind: "android"; credentialId: string; certificates: { pivAuth: string }; chain: string[] }
  > {
    const path = `${BASE}/registrations/${encodeURIComponent(registrationId)}/credentials`;
    const payload = {
      csr: b64(body.csr),
      ...(body.signingCsr ? { signingCsr: b64(body.signingCsr) } : {}),
      keystore: this.device.keystore.kind,
      osVersion: this.device.osVersion,
    };
    const text = await this.#client.withBearer(deviceToken).text("POST", path, payload);
    if (this.device.platform === "ios") return { kind: "ios", profile: asDict(parsePlist(text), "credential profile") };
    return { kind: "android", ...(JSON.parse(text) as { credentialId: string; certificates: { pivAuth: string }; chain: string[] }) };
  }
}

/**
 * One full Purebred enrolment (docs/intune.md §2.1 iOS / §2.5 Android), every step reported through onStep: agent and
 * applicant PKI-AUTH, registration, (iOS) pre-enrolment profile, OTP-1 into the app, OTP-2 back to the agent, device
 * keys and CSRs, the credential, then (iOS) "Import key" from the Purebred Key Chain or (Android) one "Choose
 * certificate" grant per certificate.
 */
export async function enrolWithPurebred(input: EnrolmentInput): Promise<EnrolmentResult> {
  const { client, device, agent } = input;
  if (!agent) throw new DpclabError("Purebred needs a registration agent", "no-purebred-agent");
  const alg = input.alg ?? "p256";
  const steps: EnrolmentStep[] = [];
  const report = (step: string, detail: string) => {
    const s = { step, detail };
    steps.push(s);
    input.onStep?.(s);
  };
  const describe = describeDevice(device);

  const agentConsole = await PurebredAgentConsole.open(client, agent);
  report("agent-login", `registration agent ${agentConsole.agent.cardholder} signed in with their PIV Card (PKI-AUTH)`);
  const applicant = await kioskLogin(client, "purebred", input.card, input.pin);
  report("applicant-login", `${applicant.cardholder} did PKI-AUTH with their PIV Card in front of the agent (DC-ISS-04)`);
  const ticket = await agentConsole.register({ applicantSessionId: applicant.sessionId, deviceId: device.deviceId, platform: device.platform });
  report("registration", `agent registered ${describe.platform} device ${device.deviceId}; OTP-1 valid until ${ticket.otp1ExpiresAt}`);

  const app = new PurebredDeviceApp(client, device);
  if (device.platform === "ios") {
    const profile = await app.preEnrolmentProfile(ticket.registrationId);
    report(
      "pre-enrolment-profile",
      `installed "${String(profile.PayloadDisplayName)}" (${String(profile.PayloadIdentifier)}), Settings > Install (§2.1 step 7)`,
    );
  }
  input.onSecretShown?.(ticket.otp1ExpiresAt);
  const stage1 = await app.enterOtp1(ticket.registrationId, ticket.otp1);
  report("otp1", "the user typed the OTP-1 the agent read out into the Purebred app; the app shows OTP-2 (§2.1 step 8)");
  await agentConsole.confirmOtp2(ticket.registrationId, stage1.otp2);
  report("otp2", "the user read OTP-2 back; the agent confirmed it on the console");

  const authKey = await device.keystore.generateKey(alg);
  const csr = await createCsr({ subject: "CN=DPCLAB TEST Purebred device key", publicKey: authKey.publicKey, alg, sign: authKey.sign });
  let signingCsr: Uint8Array | undefined;
  if (device.platform === "ios") {
    const signKey = await device.keystore.generateKey(alg);
    signingCsr = await createCsr({ subject: "CN=DPCLAB TEST Purebred signing key", publicKey: signKey.publicKey, alg, sign: signKey.sign });
  }
  report(
    "key-generation",
    `generated the derived PIV Authentication key${signingCsr ? " and the S/MIME signing key" : ""} in the ${device.keystore.kind} keystore (DC-ISS-12)`,
  );

  const answer = await app.requestCredential(ticket.registrationId, stage1.deviceToken, { csr, ...(signingCsr ? { signingCsr } : {}) });
  if (answer.kind === "ios") {
    const pkg = unpackCredentialProfile(answer.profile);
    report("credential-profile", `installed the credential configuration profile "${String(answer.profile.PayloadIdentifier)}" (§2.1 step 9)`);
    if (pkg.encryptionKeyPkcs8 && pkg.certificates.encryption) {
      assertKeyMatches(pkg.encryptionKeyPkcs8, pkg.certificates.encryption);
      report("import-key", "Files > More Locations > Purebred Key Chain > Purebred Credential Package > Import key (§2.1 step 11)");
    }
    report("done", `credential ${pkg.credentialId}: ${Object.keys(pkg.certificates).length} certificates`);
    return { ...pkg, steps };
  }
  const certificates = { pivAuth: fromB64(answer.certificates.pivAuth) };
  report("certificates", "the Purebred app downloaded and installed the certificates; CA and certificates keep their names (§2.5 step 5)");
  for (const name of Object.keys(certificates)) {
    report("choose-certificate", `Intune app "Allow access to certificates": Choose certificate > ${name} > Select (§2.5 step 7)`);
  }
  report("done", `credential ${answer.credentialId}: "You're all set!" (§2.5 step 8)`);
  return { certificates, chain: answer.chain.map(fromB64), credentialId: answer.credentialId, steps };
}

/** The certificates, key and chain out of a credential configuration profile (its Purebred Credential Package). */
export function unpackCredentialProfile(profile: Record<string, PlistValue>): Omit<EnrolmentResult, "steps"> {
  const content = profile.PayloadContent;
  if (!Array.isArray(content)) throw new DpclabError("the credential profile has no PayloadContent", "bad-profile");
  const payloads = content.map((p) => asDict(p, "payload"));
  const cert = (suffix: string): Uint8Array | undefined => {
    const p = payloads.find((x) => String(x.PayloadIdentifier).endsWith(`.${suffix}`));
    return p?.PayloadContent instanceof Uint8Array ? p.PayloadContent : undefined;
  };
  const pkg = payloads.find((p) => String(p.PayloadType).endsWith(".credential-package"));
  const pivAuth = cert("piv-auth");
  const ca = cert("issuer-ca");
  const root = cert("trust-anchor");
  if (!pkg || !pivAuth || !ca || !root || typeof pkg.CredentialId !== "string") throw new DpclabError("the credential profile is incomplete", "bad-profile");
  const signing = cert("signing");
  const encryption = cert("encryption");
  return {
    certificates: { pivAuth, ...(signing ? { signing } : {}), ...(encryption ? { encryption } : {}) },
    ...(pkg.EncryptionKeyPKCS8 instanceof Uint8Array ? { encryptionKeyPkcs8: pkg.EncryptionKeyPKCS8 } : {}),
    chain: [ca, root],
    credentialId: pkg.CredentialId,
  };
}

/** "Import key" only makes sense if the escrowed key is the one the key-management certificate certifies. */
function assertKeyMatches(pkcs8: Uint8Array, certificate: Uint8Array): void {
  const fromKey = createPublicKey(createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" })).export({ type: "spki", format: "der" });
  const fromCert = new X509Certificate(Buffer.from(certificate)).publicKey.export({ type: "spki", format: "der" });
  if (!fromKey.equals(fromCert)) throw new DpclabError("the escrowed key does not match the key-management certificate", "key-mismatch");
}

// ── a small XML property-list reader (the subset Apple profiles use) ─────────────────────────────────────────

export type PlistValue = string | number | boolean | Uint8Array | PlistValue[] | { [key: string]: PlistValue };

type Token = { open: string } | { close: string } | { empty: string } | { text: string };

export function parsePlist(xml: string): PlistValue {
  const tokens: Token[] = [];
  for (const m of xml.matchAll(/<\?[^>]*\?>|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z]+)(?:\s[^>]*?)?(\/?)>|([^<]+)/g)) {
    if (m[2]) tokens.push(m[1] ? { close: m[2] } : m[3] ? { empty: m[2] } : { open: m[2] });
    else if (m[4]?.trim()) tokens.push({ text: m[4] });
  }
  let i = 0;
  const bad = (why: string) => new DpclabError(`not an XML property list: ${why}`, "bad-plist");
  const next = (): Token => {
    const t = tokens[i++];
    if (!t) throw bad("unexpected end");
    return t;
  };
  const closing = (tag: string): boolean => {
    const t = tokens[i];
    return !!t && "close" in t && t.close === tag;
  };
  const expectClose = (tag: string) => {
    const t = next();
    if (!("close" in t) || t.close !== tag) throw bad(`expected </${tag}>`);
  };
  const text = (tag: string): string => {
    if (closing(tag)) {
      i++;
      return "";
    }
    const t = next();
    if (!("text" in t)) throw bad(`expected text in <${tag}>`);
    expectClose(tag);
    return unescapeXml(t.text);
  };
  const value = (): PlistValue => {
    const t = next();
    if ("empty" in t) {
      const empties: Record<string, () => PlistValue> = {
        true: () => true,
        false: () => false,
        dict: () => ({}),
        array: () => [],
        string: () => "",
        data: () => new Uint8Array(),
      };
      const make = Object.hasOwn(empties, t.empty) ? empties[t.empty] : undefined;
      if (!make) throw bad(`<${t.empty}/>`);
      return make();
    }
    if (!("open" in t)) throw bad("expected an element");
    switch (t.open) {
      case "plist": {
        const v = value();
        expectClose("plist");
        return v;
      }
      case "dict": {
        const out: Record<string, PlistValue> = {};
        while (!closing("dict")) {
          const k = next();
          if (!("open" in k) || k.open !== "key") throw bad("expected <key> in <dict>");
          // An own property whatever the key says: <key>__proto__</key> must not reach the prototype.
          Object.defineProperty(out, text("key"), { value: value(), enumerable: true, writable: true, configurable: true });
        }
        i++;
        return out;
      }
      case "array": {
        const out: PlistValue[] = [];
        while (!closing("array")) out.push(value());
        i++;
        return out;
      }
      case "string":
        return text("string");
      case "data":
        return new Uint8Array(Buffer.from(text("data").replace(/\s+/g, ""), "base64"));
      case "integer":
      case "real":
        return Number(text(t.open));
      default:
        throw bad(`unsupported element <${t.open}>`);
    }
  };
  const root = value();
  if (i !== tokens.length) throw bad("trailing content");
  return root;
}

function asDict(v: PlistValue, what: string): Record<string, PlistValue> {
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Uint8Array) throw new DpclabError(`${what} is not a dictionary`, "bad-plist");
  return v;
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

function fromB64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}
