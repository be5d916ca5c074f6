import type { IssuerName } from "../../../emulators/derived/index.js";
import { ENROL_ACTION, ENTRUST_CREDENTIAL_TYPE, parseEntrustQr } from "../../../emulators/entrust/index.js";
import { MOBILE_CREDENTIAL_PROFILE, parseQrPayload } from "../../../emulators/intercede/index.js";
import {
  describeDevice,
  deviceClient,
  type JsonClient,
  kioskLogin,
  PurebredDeviceApp,
  registerWithPurebredAgent,
  type SimulatedDevice,
} from "../../../fleet/clients/index.js";
import { SoftwareKeystore } from "../../../fleet/keystore/index.js";
import type { PivCard } from "../../piv/index.js";
import { createCsr } from "../../pki/index.js";

/**
 * The one-time secrets of each issuer's workflow (docs/intune.md §2: Purebred's time-limited one-time passcodes, the
 * Entrust QR code + numeric password, the Intercede QR code), shown and used by hand so that the suite can use one
 * twice or late (DC-LNK-01: a binding rests on a fresh PKI-AUTH, not on a secret that outlives it).
 * `show` does the kiosk part and any first, legitimate use; `use` presents the secret again, and is the attempt.
 */
export interface ShownSecret {
  /** Presents the secret (again) from the device; resolves with what the issuer gave back when it accepts. */
  use(): Promise<string>;
}

export interface SecretContext {
  client: JsonClient;
  card: PivCard;
  pin: string;
  agent?: { card: PivCard; pin: string };
  device: SimulatedDevice;
}

/** Purebred: the agent registers the device, OTP-1 is read out; `firstUse` enters it once (stage 1) before `use`. */
export async function showPurebredOtp(ctx: SecretContext, firstUse: boolean): Promise<ShownSecret> {
  if (!ctx.agent) throw new Error("Purebred needs its registration agent");
  const { ticket } = await registerWithPurebredAgent({ client: ctx.client, agent: ctx.agent, card: ctx.card, pin: ctx.pin, device: ctx.device });
  const app = new PurebredDeviceApp(ctx.client, ctx.device);
  if (firstUse) await app.enterOtp1(ticket.registrationId, ticket.otp1);
  return {
    use: async () => {
      const answer = await app.enterOtp1(ticket.registrationId, ticket.otp1);
      return `OTP-1 of registration ${ticket.registrationId} accepted (${answer.state}, a new OTP-2 and device token issued)`;
    },
  };
}

/** Entrust: the kiosk shows a QR code and a password; `firstUse` activates a credential with them once before `use`. */
export async function showEntrustQr(ctx: SecretContext, firstUse: boolean): Promise<ShownSecret> {
  const login = await kioskLogin(ctx.client, "entrust", ctx.card, ctx.pin);
  const enrolment = await ctx.client
    .withBearer(login.sessionId)
    .post<{ id: string; password: string; qr: { payload: string } }>("/issuers/entrust/kiosk/enrolments", {
      action: ENROL_ACTION,
      smartCredentialAppInstalled: true,
      identityName: "DPCLAB TEST conformance",
      credentialType: ENTRUST_CREDENTIAL_TYPE,
    });
  const qr = parseEntrustQr(enrolment.qr.payload);
  const activate = async () => {
    const answer = await deviceClient(ctx.client, ctx.device).post<{ credentialId: string }>(new URL(qr.portal).pathname, {
      qrSession: qr.qrSession,
      password: enrolment.password,
      device: describeDevice(ctx.device),
      csr: await freshCsr(),
    });
    return `enrolment ${enrolment.id} activated: credential ${answer.credentialId} issued`;
  };
  if (firstUse) await activate();
  return { use: activate };
}

/** Intercede MyID: "request your ID" shows a QR code (no password); `firstUse` scans it once before `use`. */
export async function showIntercedeQr(ctx: SecretContext, firstUse: boolean): Promise<ShownSecret> {
  const login = await kioskLogin(ctx.client, "intercede", ctx.card, ctx.pin);
  const request = await ctx.client
    .withBearer(login.sessionId)
    .post<{ requestId: string; qr: { payload: string } }>("/issuers/intercede/kiosk/requests", { profile: MOBILE_CREDENTIAL_PROFILE });
  const qr = parseQrPayload(request.qr.payload);
  const scan = async () => {
    const answer = await deviceClient(ctx.client, ctx.device).post<{ credentialId: string }>(`${new URL(qr.url).pathname}/device/activations`, {
      qrSession: qr["qr-session"],
      device: describeDevice(ctx.device),
      csr: await freshCsr(),
    });
    return `request ${request.requestId} scanned: credential ${answer.credentialId} issued`;
  };
  if (firstUse) await scan();
  return { use: scan };
}

/** Each issuer's one-time secret: what the suite calls it, and how it is shown. */
export const SECRET_PROBES: Readonly<Record<IssuerName, { secret: string; show: (ctx: SecretContext, firstUse: boolean) => Promise<ShownSecret> }>> = {
  purebred: { secret: "Purebred OTP-1", show: showPurebredOtp },
  entrust: { secret: "Entrust QR code and password", show: showEntrustQr },
  intercede: { secret: "MyID QR code", show: showIntercedeQr },
};

async function freshCsr(): Promise<string> {
  const key = await new SoftwareKeystore().generateKey("p256");
  const csr = await createCsr({ subject: "", publicKey: key.publicKey, alg: key.alg, sign: (tbs) => key.sign(tbs) });
  return Buffer.from(csr).toString("base64");
}
