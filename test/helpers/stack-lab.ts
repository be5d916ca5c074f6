import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CardIssuer, type CardRecord, createCards } from "../../emulators/piv-ca/index.js";
import { type FetchHandler, inProcessFetch, problem, type RunningServer, serve } from "../../emulators/shared/index.js";
import { createLabStack, type LabStack, type LabStackOptions } from "../../emulators/stack/index.js";
import type { SimulatedDevice } from "../../fleet/clients/index.js";
import { JsonClient } from "../../fleet/clients/index.js";
import { HardwareKeystore, SoftwareKeystore } from "../../fleet/keystore/index.js";
import { VirtualClock } from "../../src/clock.js";
import { LabDir, openLabCard } from "../../src/lab/index.js";
import type { PivCard } from "../../src/piv/index.js";
import { Pkcs11Library } from "../../src/pkcs11/index.js";
import { X509Certificate } from "../../src/x509.js";
import { tempDir } from "./cli.js";
import { closeCards } from "./close-cards.js";

export const STACK_BASE_URL = "http://127.0.0.1:7800";
/** The origin in-process clients name (never reached over a socket). */
export const IN_PROCESS_BASE = "http://dpclab.invalid";

/** A test phone: enrolled in the tenant (compliant) unless `enrol: false`, with a software or hardware keystore. */
export type TestDeviceOptions = Partial<Omit<SimulatedDevice, "keystore">> & {
  keystore?: "software" | "hardware";
  /** The card whose cardholder the device is enrolled for (the tenant approves only the applicant's own device); default someone else. */
  user?: number;
  enrol?: boolean;
};

export interface StackLab {
  lab: LabDir;
  dir: string;
  clock: VirtualClock;
  /** The stack in use: the one `rebuild` made last. */
  stack: LabStack;
  deck: CardRecord[];
  /** The lab's base URL (lab.json, in every certificate and QR code): the server's when served, else STACK_BASE_URL. */
  baseUrl: string;
  /** Another stack on the same lab files, with a clock of its own: what a restarted `dpclab serve` holds. */
  restart(options?: Partial<LabStackOptions>): Promise<LabStack>;
  /**
   * Another stack on the same lab files and the same clock (e.g. other emulator settings), which becomes `stack` and
   * what the server and `inProcess()` reach from now on. Its tenant, issuances and kiosk are new: devices and sessions
   * of the one before are not known to it.
   */
  rebuild(options?: Partial<LabStackOptions>): Promise<LabStack>;
  /** A client dispatching to the current stack in-process, at IN_PROCESS_BASE. */
  inProcess(): JsonClient;
  /** Card `index` opened over PKCS#11; closed by `close()` if the test did not. */
  card(index: number): PivCard;
  /** Card `index` and its PIN for the length of `use`. */
  withCard<T>(index: number, use: (card: PivCard, pin: string) => Promise<T>): Promise<T>;
  device(platform: "ios" | "android", opts?: TestDeviceOptions): SimulatedDevice;
  /** Writes a certificate as PEM in the lab directory (for openssl); returns its path. */
  pem(name: string, der: Uint8Array): string;
  remove(): void;
  /** Closes the cards the lab opened and the server, and removes the lab. */
  close(): Promise<void>;
}

export interface ServedStackLab extends StackLab {
  /** A loopback server carrying the current stack's handler; its URL is the lab's base URL. */
  server: RunningServer;
  /** A client over the real socket. */
  overSocket(): JsonClient;
}

export interface StackLabOptions {
  seed: string;
  cards: number;
  start?: Date;
  stack?: Partial<LabStackOptions>;
}

let tokens = 0;

/**
 * A fresh lab in a temporary directory (TEST PKI, `cards` SoftHSM cards from `seed`) with the whole stack over it
 * (tenant, three issuers, PKI, admin), on a VirtualClock at `start`: what tests that drive the lab as a phone need.
 */
export function stackLab(opts: StackLabOptions): Promise<StackLab> {
  return build(opts, STACK_BASE_URL);
}

/**
 * `stackLab` served on a loopback socket: the server starts first, so its URL is the lab's base URL and every
 * certificate's AIA, CRL and OCSP URL (and every QR code) points at it, for openssl and real HTTP clients.
 */
export async function servedStackLab(opts: StackLabOptions): Promise<ServedStackLab> {
  let handler: FetchHandler = async () => problem(503, "lab not ready");
  const server = await serve((request) => handler(request));
  try {
    const world = await build(opts, server.url, server);
    handler = (request) => world.stack.handler(request);
    return Object.assign(world, { server, overSocket: () => new JsonClient(fetch, server.url) });
  } catch (error) {
    await server.close();
    throw error;
  }
}

async function build(opts: StackLabOptions, baseUrl: string, server?: RunningServer): Promise<StackLab> {
  const dir = tempDir(`dpclab-${opts.seed}-`);
  const start = opts.start ?? new Date("2026-03-01T00:00:00Z");
  const clock = new VirtualClock(start);
  const lab = new LabDir(dir.path);
  const issuer = await CardIssuer.create(lab, { version: 1, alg: "p256", seed: opts.seed, baseUrl, createdAt: start.toISOString() }, clock);
  const deck = await createCards(lab, issuer, { count: opts.cards, seed: opts.seed, clock });
  const opened: PivCard[] = [];
  let lib: Pkcs11Library | undefined;
  let seq = 0;
  const record = (index: number) => {
    const r = deck[index];
    if (!r) throw new Error(`no card ${index}`);
    return r;
  };
  const world: StackLab = {
    lab,
    dir: dir.path,
    clock,
    stack: await createLabStack(lab, { clock, ...opts.stack }),
    deck,
    baseUrl,
    restart: (options) => createLabStack(lab, { ...opts.stack, clock: new VirtualClock(start), ...options }),
    async rebuild(options) {
      world.stack = await createLabStack(lab, { ...opts.stack, clock, ...options });
      return world.stack;
    },
    inProcess: () =>
      new JsonClient(
        inProcessFetch((request) => world.stack.handler(request), IN_PROCESS_BASE),
        IN_PROCESS_BASE,
      ),
    card(index) {
      const card = openLabCard(lab, record(index).tokenLabel);
      opened.push(card);
      return card;
    },
    async withCard(index, use) {
      const card = openLabCard(lab, record(index).tokenLabel);
      try {
        return await use(card, record(index).pin);
      } finally {
        card.close();
      }
    },
    device(platform, d = {}) {
      const { keystore = "software", user, enrol = true, ...over } = d;
      seq++;
      const osVersion = over.osVersion ?? (platform === "ios" ? "17.4" : "14");
      const deviceId = enrol
        ? world.stack.tenant.enrolDevice({
            platform,
            osVersion,
            ownership: platform === "ios" ? "corporate" : "fullyManaged",
            userPrincipalName: user === undefined ? `user${seq}@test.example` : record(user).cardholder.email,
            compliant: true,
          }).id
        : `not-enrolled-${seq}`;
      lib ??= Pkcs11Library.open({ softhsmConf: lab.ensureSoftHsmConf() });
      return {
        deviceId,
        platform,
        osVersion,
        keystore: keystore === "hardware" ? HardwareKeystore.provision(lib, `${++tokens}-${deviceId}`) : new SoftwareKeystore(),
        cameraAllowed: true,
        onPremisesNetwork: false,
        ...over,
      };
    },
    pem(name, der) {
      const path = join(dir.path, `${name}.pem`);
      writeFileSync(path, `${new X509Certificate(new Uint8Array(der)).toString("pem").trimEnd()}\n`);
      return path;
    },
    remove: dir.remove,
    async close() {
      closeCards(opened);
      await server?.close();
      dir.remove();
    },
  };
  return world;
}
