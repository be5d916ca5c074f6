import { expect } from "vitest";
import type { DerivedIssuance } from "../../emulators/derived/index.js";
import type { CardRecord } from "../../emulators/piv-ca/index.js";
import type { PurebredEmulator } from "../../emulators/purebred/index.js";
import { inProcessFetch, type RunningServer } from "../../emulators/shared/index.js";
import type { SimulatedDevice } from "../../fleet/clients/index.js";
import { JsonClient } from "../../fleet/clients/index.js";
import { type PurebredHttp, type RegistrationTicket, registerWithPurebredAgent } from "../../fleet/clients/purebred-client.js";
import type { PivCard } from "../../src/piv/index.js";
import { type DerivedLab, makeDerivedLab } from "../derived/lab.js";
import type { TestDeviceOptions } from "../helpers/stack-lab.js";

export { ossl, osslAsync } from "../helpers/openssl.js";

/**
 * A Purebred lab: the served lab stack (test/derived/lab.ts, test/helpers/stack-lab.ts: real SoftHSM cards, the real
 * Tenant as DeviceApprover (DC-ISS-02), the three issuers, every CA's publication) with cards 0 and 1 as registration
 * agents, reachable in-process and over a real loopback socket. The clock starts an hour ago in real time so that
 * openssl agrees with OCSP times.
 */
export interface PurebredLab {
  l: DerivedLab;
  issuance: DerivedIssuance;
  emulator: PurebredEmulator;
  server: RunningServer;
  /** In-process dispatch. */
  http: PurebredHttp;
  /** The same handler over node:http on 127.0.0.1. */
  socket: PurebredHttp;
  /** What the fleet clients take: a JsonClient in-process, and one over the socket. */
  client: JsonClient;
  socketClient: JsonClient;
  card(index: number): { card: PivCard; pin: string };
  /** A phone on the on-premises network unless told (test/helpers/stack-lab.ts devices). */
  device(platform: "ios" | "android", opts?: TestDeviceOptions): SimulatedDevice;
  /** Agent and applicant PKI-AUTH, registration created in-process: the ticket and the agent's bearer. */
  register(device: SimulatedDevice, applicant: number, agent?: number): Promise<{ ticket: RegistrationTicket; agentToken: string }>;
  close(): Promise<void>;
}

export const AGENT = 0;
export const OTHER_AGENT = 1;
const BASE_IN_PROCESS = "http://purebred.test";

export async function makePurebredLab(seed: string, cards: number): Promise<PurebredLab> {
  const start = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
  const l = await makeDerivedLab({ cards, seed, start, stack: { purebredAgents: [AGENT, OTHER_AGENT] } });
  const client = new JsonClient(inProcessFetch(l.stack.handler, BASE_IN_PROCESS), BASE_IN_PROCESS);
  const card = (index: number) => ({ card: l.card(index), pin: (l.deck[index] as CardRecord).pin });
  return {
    l,
    issuance: l.stack.issuers.purebred.issuance,
    emulator: l.stack.emulators.purebred,
    server: l.server,
    http: { fetch: inProcessFetch(l.stack.handler, BASE_IN_PROCESS), baseUrl: BASE_IN_PROCESS },
    socket: { fetch, baseUrl: l.server.url },
    client,
    socketClient: new JsonClient(fetch, l.server.url),
    card,
    device: (platform, opts = {}) => l.device(platform, { onPremisesNetwork: true, ...opts }),
    async register(device, applicant, agent = AGENT) {
      const c = card(applicant);
      const { ticket, console: agentConsole } = await registerWithPurebredAgent({ client, agent: card(agent), card: c.card, pin: c.pin, device });
      return { ticket, agentToken: agentConsole.agent.sessionId };
    },
    close: () => l.close(),
  };
}

export interface Answer {
  status: number;
  type: string | null;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

/** A raw request to the emulator (for refusals): JSON body unless `raw` is given; zone "on-premises" unless told. */
export async function call(
  http: PurebredHttp,
  method: string,
  path: string,
  opts: { json?: unknown; raw?: { body: string; type?: string }; zone?: string | null; bearer?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const zone = opts.zone === undefined ? "on-premises" : opts.zone;
  if (zone !== null) headers["x-dpclab-network-zone"] = zone;
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  let body: string | undefined;
  if (opts.raw) {
    body = opts.raw.body;
    if (opts.raw.type) headers["content-type"] = opts.raw.type;
  } else if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers["content-type"] = "application/json";
  }
  const res = await http.fetch(new URL(path, http.baseUrl), { method, headers, body });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // a profile, not JSON
  }
  return { status: res.status, type: res.headers.get("content-type"), headers: res.headers, body: parsed, text };
}

/** Asserts a problem+json answer with this status and code; returns its detail. */
export function expectProblem(a: Answer, status: number, code: string | undefined): string {
  expect({ status: a.status, code: a.body.code }, a.text).toEqual({ status, code });
  expect(a.type).toBe("application/problem+json");
  expect(a.body.status).toBe(status);
  expect(typeof a.body.title).toBe("string");
  expect(a.text).not.toContain("BEGIN CERTIFICATE");
  return String(a.body.detail);
}
