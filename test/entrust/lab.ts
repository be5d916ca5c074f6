import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { X509Certificate } from "@peculiar/x509";
import { ApplicantAuthenticator, createIssuerAuthority, DerivedIssuance } from "../../emulators/derived/index.js";
import { createEntrustEmulator, type EntrustEmulator, type EntrustEmulatorOptions } from "../../emulators/entrust/index.js";
import { CardIssuer, type CardRecord, createCards } from "../../emulators/piv-ca/index.js";
import {
  type FetchHandler,
  type IssuingAuthority,
  inProcessFetch,
  mount,
  publicationRoutes,
  type RunningServer,
  router,
  serve,
} from "../../emulators/shared/index.js";
import { Tenant } from "../../emulators/tenant/index.js";
import { JsonClient } from "../../fleet/clients/index.js";
import type { SimulatedDevice } from "../../fleet/device.js";
import { HardwareKeystore, SoftwareKeystore } from "../../fleet/keystore/index.js";
import { VirtualClock } from "../../src/clock.js";
import { LabDir, openLabCard } from "../../src/lab/index.js";
import { type PivCard, Pkcs11Library } from "../../src/piv/index.js";
import { tempDir } from "../helpers/cli.js";
import { closeCards } from "../helpers/close-cards.js";

/**
 * An Entrust lab: card issuer + real SoftHSM cards, the Entrust issuer CA under the TEST root, the real Tenant as the
 * DeviceApprover, the issuance core and the Entrust emulator; one real loopback server serving both the emulator and
 * the issuer CA's publication (OCSP, CRL, .p7c), and an in-process fetch to the same handler.
 */
export interface EntrustLab {
  lab: LabDir;
  dir: string;
  clock: VirtualClock;
  cardIssuer: CardIssuer;
  deck: CardRecord[];
  authority: IssuingAuthority;
  tenant: Tenant;
  issuance: DerivedIssuance;
  authenticator: ApplicantAuthenticator;
  handler: FetchHandler;
  emulator: EntrustEmulator;
  server: RunningServer;
  /** In-process client (base http://dpclab.invalid) and counting fetch. */
  client: JsonClient;
  requests: () => number;
  /** Client over the real socket. */
  httpClient: JsonClient;
  card(index: number): PivCard;
  /** A phone enrolled in the tenant (compliant), or not enrolled at all. */
  /** `user`: the card whose cardholder the device is enrolled for (the tenant approves only the applicant's own device). */
  device(platform: "ios" | "android", opts?: { hardware?: boolean; enrolled?: boolean; cameraAllowed?: boolean; user?: number }): SimulatedDevice;
  pemFile(name: string, der: Uint8Array): string;
  close(): Promise<void>;
}

export const IN_PROCESS_BASE = "http://dpclab.invalid";

export async function makeEntrustLab(opts: { cards: number; seed: string; start: Date; emulator?: Partial<EntrustEmulatorOptions> }): Promise<EntrustLab> {
  const tmp = tempDir(`dpclab-entrust-${opts.seed}-`);
  const clock = new VirtualClock(opts.start);
  const lab = new LabDir(tmp.path);
  let handler: FetchHandler = async () => new Response(null, { status: 503 });
  const server = await serve((req) => handler(req));
  const cardIssuer = await CardIssuer.create(
    lab,
    { version: 1, alg: "p256", seed: opts.seed, baseUrl: "http://127.0.0.1:7800", createdAt: opts.start.toISOString() },
    clock,
  );
  const deck = await createCards(lab, cardIssuer, { count: opts.cards, seed: opts.seed, clock });
  const authority = await createIssuerAuthority(cardIssuer.root, "entrust", { alg: "p256", baseUrl: server.url, clock, dir: join(tmp.path, "entrust") });
  const tenant = new Tenant(clock);
  const issuance = new DerivedIssuance({ name: "entrust", authority, cardIssuer, clock, approver: tenant });
  const authenticator = new ApplicantAuthenticator({ cardIssuer, clock });
  const emulator = createEntrustEmulator({ issuance, authenticator, clock, trustAnchor: cardIssuer.root.certificate, ...opts.emulator });
  // Publication first: its 404 for /issuers/… paths falls through to the emulator, whose own 404s keep their codes.
  handler = mount(router(publicationRoutes((name) => (name === authority.name ? authority : undefined))), emulator.handler);
  let count = 0;
  const counting = inProcessFetch(handler, IN_PROCESS_BASE);
  const countingFetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    count++;
    return counting(input, init);
  }) as typeof fetch;
  const lib = Pkcs11Library.open({ softhsmConf: lab.ensureSoftHsmConf() });
  const opened: PivCard[] = [];
  let seq = 0;
  return {
    lab,
    dir: tmp.path,
    clock,
    cardIssuer,
    deck,
    authority,
    tenant,
    issuance,
    authenticator,
    handler,
    emulator,
    server,
    client: new JsonClient(countingFetch, IN_PROCESS_BASE),
    requests: () => count,
    httpClient: new JsonClient(fetch, server.url),
    card(index) {
      const card = openLabCard(lab, (deck[index] as CardRecord).tokenLabel);
      opened.push(card);
      return card;
    },
    device(platform, d = {}) {
      seq++;
      const osVersion = platform === "ios" ? "17.4" : "14";
      const userPrincipalName = d.user === undefined ? `user${seq}@test.example` : (deck[d.user] as CardRecord).cardholder.email;
      const deviceId =
        d.enrolled === false
          ? `unenrolled-${seq}`
          : tenant.enrolDevice(
              platform === "ios"
                ? { platform, osVersion, ownership: "corporate", userPrincipalName, compliant: true }
                : { platform, osVersion, ownership: "fullyManaged", userPrincipalName, compliant: true },
            ).id;
      const keystore = d.hardware ? HardwareKeystore.provision(lib, `${opts.seed}-${seq}`) : new SoftwareKeystore();
      return { deviceId, platform, osVersion, keystore, cameraAllowed: d.cameraAllowed ?? true, onPremisesNetwork: false };
    },
    pemFile(name, der) {
      const path = join(tmp.path, `${name}.pem`);
      writeFileSync(path, `${new X509Certificate(der).toString("pem").trimEnd()}\n`);
      return path;
    },
    async close() {
      closeCards(opened);
      await server.close();
      tmp.remove();
    },
  };
}
