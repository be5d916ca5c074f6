import type { DerivedIssuance } from "../../emulators/derived/index.js";
import { type EntrustEmulator, type EntrustEmulatorOptions, parseEntrustQr } from "../../emulators/entrust/index.js";
import type { CardIssuer } from "../../emulators/piv-ca/index.js";
import { type FetchHandler, type IssuingAuthority, inProcessFetch } from "../../emulators/shared/index.js";
import type { EmulatorSettings } from "../../emulators/stack/index.js";
import { describeDevice, JsonClient, type SimulatedDevice } from "../../fleet/clients/index.js";
import { createCsr } from "../../src/pki/index.js";
import { IN_PROCESS_BASE, type ServedStackLab, servedStackLab } from "../helpers/stack-lab.js";

export { IN_PROCESS_BASE };

export const ACTIVATE = "/issuers/entrust/mobile/activate";

/**
 * An Entrust lab: the whole lab stack (test/helpers/stack-lab.ts: real SoftHSM cards, the tenant approving devices,
 * the three issuers, every CA's publication) on a loopback server, seen from the Entrust side.
 */
export interface EntrustLab extends ServedStackLab {
  cardIssuer: CardIssuer;
  authority: IssuingAuthority;
  issuance: DerivedIssuance;
  emulator: EntrustEmulator;
  /** The stack's handler: every route of the lab, Entrust's among them. */
  handler: FetchHandler;
  /** In-process client (base IN_PROCESS_BASE) and the number of requests it sent. */
  client: JsonClient;
  requests: () => number;
  /** Client over the real socket. */
  httpClient: JsonClient;
}

export async function makeEntrustLab(opts: {
  cards: number;
  seed: string;
  start: Date;
  emulator?: EmulatorSettings<EntrustEmulatorOptions>;
}): Promise<EntrustLab> {
  const world = await servedStackLab({ seed: opts.seed, cards: opts.cards, start: opts.start, stack: { settings: { entrust: opts.emulator } } });
  const { stack } = world;
  let count = 0;
  const inProcess = inProcessFetch(stack.handler, IN_PROCESS_BASE);
  const counting = ((input: RequestInfo | URL, init?: RequestInit) => {
    count++;
    return inProcess(input, init);
  }) as typeof fetch;
  return Object.assign(world, {
    cardIssuer: stack.cardIssuer,
    authority: stack.issuers.entrust.issuance.authority,
    issuance: stack.issuers.entrust.issuance,
    emulator: stack.emulators.entrust,
    handler: stack.handler,
    client: new JsonClient(counting, IN_PROCESS_BASE),
    requests: () => count,
    httpClient: world.overSocket(),
  });
}

/** What the phone posts after "Password required": the QR's session, the password under it, a fresh key's CSR. */
export async function activation(
  enrolment: { password: string; qr: { payload: string } },
  device: SimulatedDevice,
  over: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const key = await device.keystore.generateKey("p256");
  const csr = await createCsr({ subject: "", publicKey: key.publicKey, alg: key.alg, sign: (tbs) => key.sign(tbs) });
  return {
    qrSession: parseEntrustQr(enrolment.qr.payload).qrSession,
    password: enrolment.password,
    device: describeDevice(device),
    csr: Buffer.from(csr).toString("base64"),
    ...over,
  };
}
