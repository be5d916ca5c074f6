import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { X509Certificate } from "@peculiar/x509";
import { ApplicantAuthenticator, createIssuerAuthority, DerivedIssuance } from "../../emulators/derived/index.js";
import { createIntercedeEmulator, type IntercedeEmulator, type IntercedeEmulatorOptions } from "../../emulators/intercede/index.js";
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
import { HardwareKeystore, type Keystore, SoftwareKeystore } from "../../fleet/keystore/index.js";
import { VirtualClock } from "../../src/clock.js";
import { LabDir, openLabCard } from "../../src/lab/index.js";
import type { PivCard } from "../../src/piv/index.js";
import { Pkcs11Library } from "../../src/pkcs11/index.js";
import { tempDir } from "../helpers/cli.js";

/**
 * A MyID lab: card issuer with real SoftHSM cards, the Intune-like tenant as device approver, the Intercede issuer CA
 * under the TEST root, the kiosk authenticator, and one loopback server carrying the CA's publication routes (CRL,
 * OCSP, .p7c) and whichever MyID emulator the test is using.
 */
export interface IntercedeLab {
  lab: LabDir;
  dir: string;
  clock: VirtualClock;
  cardIssuer: CardIssuer;
  deck: CardRecord[];
  tenant: Tenant;
  authority: IssuingAuthority;
  authenticator: ApplicantAuthenticator;
  server: RunningServer;
  /** PEM files for openssl: root, issuer CA. */
  rootPem: string;
  caPem: string;
  /** A fresh issuance core + MyID emulator, mounted (in-process and on the server) from now on. */
  emulator(opts?: Partial<IntercedeEmulatorOptions> & { validityDays?: number }): { issuance: DerivedIssuance; myid: IntercedeEmulator };
  inProcess(): JsonClient;
  overSocket(): JsonClient;
  /** `user`: the card whose cardholder the device is enrolled for (the tenant approves only the applicant's own device). */
  device(platform: "ios" | "android", keystore: "software" | "hardware", over?: Partial<SimulatedDevice> & { enrol?: boolean; user?: number }): SimulatedDevice;
  withCard<T>(index: number, use: (card: PivCard, pin: string) => Promise<T>): Promise<T>;
  pem(name: string, der: Uint8Array): string;
  close(): Promise<void>;
}

export async function makeIntercedeLab(opts: { cards: number; seed: string; start: Date }): Promise<IntercedeLab> {
  const dir = tempDir(`dpclab-intercede-${opts.seed}-`);
  const clock = new VirtualClock(opts.start);
  const lab = new LabDir(dir.path);
  let current: FetchHandler | undefined;
  let authority: IssuingAuthority | undefined;
  const publication = router(publicationRoutes((name) => (authority && name === authority.name ? authority : undefined)));
  const handler: FetchHandler = (req) => mount(publication, ...(current ? [current] : []))(req);
  const server = await serve(handler);
  const cardIssuer = await CardIssuer.create(
    lab,
    { version: 1, alg: "p256", seed: opts.seed, baseUrl: "http://127.0.0.1:7800", createdAt: opts.start.toISOString() },
    clock,
  );
  const deck = await createCards(lab, cardIssuer, { count: opts.cards, seed: opts.seed, clock });
  authority = await createIssuerAuthority(cardIssuer.root, "intercede", { alg: "p256", baseUrl: server.url, clock });
  const issuerCa = authority;
  const authenticator = new ApplicantAuthenticator({ cardIssuer, clock });
  const tenant = new Tenant(clock);
  const lib = Pkcs11Library.open({ softhsmConf: lab.ensureSoftHsmConf() });
  const pem = (name: string, der: Uint8Array) => {
    const path = join(dir.path, `${name}.pem`);
    writeFileSync(path, new X509Certificate(der).toString("pem"));
    return path;
  };
  let seq = 0;
  return {
    lab,
    dir: dir.path,
    clock,
    cardIssuer,
    deck,
    tenant,
    authority: issuerCa,
    authenticator,
    server,
    rootPem: pem("root", new Uint8Array(cardIssuer.root.certificate.rawData)),
    caPem: pem("intercede-ca", new Uint8Array(issuerCa.certificate.rawData)),
    emulator(o = {}) {
      const { validityDays, ...rest } = o;
      const issuance = new DerivedIssuance({
        name: "intercede",
        authority: issuerCa,
        cardIssuer,
        clock,
        approver: tenant,
        ...(validityDays ? { validityDays } : {}),
      });
      const myid = createIntercedeEmulator({ issuance, authenticator, clock, trustAnchor: cardIssuer.root.certificate, ...rest });
      current = myid.handler;
      return { issuance, myid };
    },
    inProcess: () => new JsonClient(inProcessFetch(handler), "http://dpclab.invalid"),
    overSocket: () => new JsonClient(fetch, server.url),
    device(platform, keystore, over = {}) {
      const { enrol = true, user, ...rest } = over;
      const osVersion = platform === "ios" ? "17.4" : "14";
      const deviceId = enrol
        ? tenant.enrolDevice({
            platform,
            osVersion,
            ownership: platform === "ios" ? "corporate" : "fullyManaged",
            userPrincipalName: user === undefined ? `user${++seq}@dpclab.test` : (deck[user] as CardRecord).cardholder.email,
            compliant: true,
          }).id
        : `not-enrolled-${++seq}`;
      return {
        deviceId,
        platform,
        osVersion,
        keystore: keystore === "hardware" ? secureElement(lib, deviceId) : new SoftwareKeystore(),
        cameraAllowed: true,
        onPremisesNetwork: false,
        ...rest,
      };
    },
    async withCard(index, use) {
      const record = deck[index] as CardRecord;
      const card = openLabCard(lab, record.tokenLabel);
      try {
        return await use(card, record.pin);
      } finally {
        card.close();
      }
    },
    pem,
    async close() {
      await server.close();
      dir.remove();
    },
  };
}

let tokens = 0;

/**
 * A phone's secure element for tests: SoftHSM keys, sensitive and non-extractable, one token per key. The shared
 * HardwareKeystore logs in on every generateKey, so its second key on the same token fails with
 * CKR_USER_ALREADY_LOGGED_IN (reported); iOS (PIV Auth + S/MIME signing) and rekey need more than one key.
 */
function secureElement(lib: Pkcs11Library, deviceId: string): Keystore {
  return {
    kind: "hardware",
    generateKey: (alg) => HardwareKeystore.provision(lib, `${++tokens}-${deviceId.slice(-8)}`).generateKey(alg),
  };
}
