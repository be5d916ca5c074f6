import { join } from "node:path";
import type { AdjustableClock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import type { LabDir } from "../../src/lab/index.js";
import { type LabStore, MemoryStore } from "../../src/store/index.js";
import { adminHandler, FaultInjector } from "../admin/index.js";
import { ApplicantAuthenticator, createIssuerAuthority, type Defects, DerivedIssuance, GRAPH_ISSUER, type IssuerName, NO_DEFECTS } from "../derived/index.js";
import { createEntrustEmulator, type EntrustEmulator, type EntrustEmulatorOptions } from "../entrust/index.js";
import { createIntercedeEmulator, type IntercedeEmulator, type IntercedeEmulatorOptions } from "../intercede/index.js";
import { CardIssuer, pivCaHandler } from "../piv-ca/index.js";
import { createPurebredEmulator, type PurebredEmulator, type PurebredEmulatorOptions } from "../purebred/index.js";
import { type FetchHandler, type IssuingAuthority, mount, NoticeOutbox, publicationRoutes, router } from "../shared/index.js";
import { Tenant, tenantHandler } from "../tenant/index.js";

export const ISSUERS: readonly IssuerName[] = ["purebred", "entrust", "intercede"];

export interface IssuerStack {
  issuance: DerivedIssuance;
  handler: FetchHandler;
}

/** An emulator's own settings (time limits, store caps, URLs), without what the stack wires in itself. */
export type EmulatorSettings<T> = Partial<Omit<T, "issuance" | "authenticator" | "clock" | "trustAnchor" | "defects" | "agentCardIndices">>;

/** Each issuer's emulator as built. */
export interface StackEmulators {
  purebred: PurebredEmulator;
  entrust: EntrustEmulator;
  intercede: IntercedeEmulator;
}

export interface LabStack {
  cardIssuer: CardIssuer;
  tenant: Tenant;
  issuers: Record<IssuerName, IssuerStack>;
  /** The emulators themselves (their settings and store sizes), for tests that look inside one. */
  emulators: StackEmulators;
  /** The kiosk PKI-AUTH the issuers share (DC-ISS-04); an issuer with a defective PKI-AUTH has its own. */
  authenticator: ApplicantAuthenticator;
  notices: NoticeOutbox;
  faults: FaultInjector;
  clock: AdjustableClock;
  /** Everything under one origin: /tenant, /issuers/<name>, /pki, /__admin. */
  handler: FetchHandler;
  /** Every CA of the lab, root first. */
  authorities(): IssuingAuthority[];
  /** Runs what is due at the clock's time: each issuer's seven-day rechecks and identity-account monitoring. */
  tick(): void;
  /** DC-TRM-01: a lost device's derived credentials are revoked at every issuer, and the tenant retires it. */
  reportLost(deviceId: string): { revoked: { issuer: string; serialNumber: string }[] };
}

export interface LabStackOptions {
  clock: AdjustableClock;
  /**
   * Where the tenant, the issuers and the admin state live: `dpclab serve` and `dpclab enroll` pass the lab's own
   * store (lab.store()), so they share one durable lab; default a fresh in-memory store, a world of its own (a demo,
   * a conformance run, a scenario, each fleet stack). The card issuer's state is always the lab's.
   */
  store?: LabStore;
  /** Purebred registration agents: cards of the deck that may supervise (default: card 0). */
  purebredAgents?: number[];
  /** Lifetime of the derived credentials the issuers mint, in days (default 365, at most 1096: DC-LIFE-02). */
  validityDays?: number;
  /**
   * Known non-conformances per issuer (emulators/derived/defects.ts), for `dpclab conform --defect`; default none.
   * Never set by `dpclab serve`: a served lab is faithful.
   */
  defects?: Partial<Record<IssuerName, Defects>>;
  /**
   * Per-issuer emulator settings (e.g. `{ intercede: { qrTtlMs: 60_000 } }`, `{ entrust: { maxEnrolments: 6 } }`),
   * for tests; default each emulator's own defaults. Never set by `dpclab serve`.
   */
  settings?: {
    purebred?: EmulatorSettings<PurebredEmulatorOptions>;
    entrust?: EmulatorSettings<EntrustEmulatorOptions>;
    intercede?: EmulatorSettings<IntercedeEmulatorOptions>;
  };
}

/**
 * The whole emulated world of one lab, wired once: the card issuer (PIV PKI), the three derived-credential issuers
 * each with its own TEST CA under the lab's root, and the Intune-like tenant that approves devices (DC-ISS-02).
 * Mounted on a socket by `dpclab serve`, dispatched in-process by `dpclab enroll` and the fleet.
 */
export async function createLabStack(lab: LabDir, opts: LabStackOptions): Promise<LabStack> {
  const { clock } = opts;
  const store = opts.store ?? new MemoryStore();
  const cardIssuer = await CardIssuer.open(lab, clock);
  const issuers = {} as Record<IssuerName, IssuerStack>;
  const built = {} as StackEmulators;
  // The tenant confirms each reported credential with the issuer it names (Intune learns of credentials from the issuer).
  const tenant = new Tenant(clock, {
    issuerLink: (graphIssuer) => ISSUERS.map((n) => issuers[n]?.issuance).find((i) => i && GRAPH_ISSUER[i.name] === graphIssuer),
    store,
  });
  const notices = new NoticeOutbox({ store });
  const faults = new FaultInjector({ store });
  const authenticator = new ApplicantAuthenticator({ cardIssuer, clock });
  for (const name of ISSUERS) {
    const defects = opts.defects?.[name] ?? NO_DEFECTS;
    // The kiosk PKI-AUTH is shared by the issuers; an issuer whose PKI-AUTH is defective gets its own.
    const kiosk = defects.has("skip-status-check") ? new ApplicantAuthenticator({ cardIssuer, clock, defects }) : authenticator;
    const authority = await createIssuerAuthority(cardIssuer.root, name, {
      alg: cardIssuer.config.alg,
      baseUrl: cardIssuer.config.baseUrl,
      clock,
      dir: join(lab.root, "issuers"),
    });
    const issuance = new DerivedIssuance({
      name,
      authority,
      cardIssuer,
      clock,
      approver: tenant,
      notifier: notices,
      validityDays: opts.validityDays,
      defects,
    });
    const common = { issuance, authenticator: kiosk, clock, trustAnchor: cardIssuer.root.certificate, defects };
    let emulator: StackEmulators[IssuerName];
    if (name === "purebred") {
      emulator = built.purebred = createPurebredEmulator({ ...opts.settings?.purebred, ...common, agentCardIndices: opts.purebredAgents ?? [0] });
    } else if (name === "entrust") {
      emulator = built.entrust = createEntrustEmulator({ ...opts.settings?.entrust, ...common });
    } else {
      emulator = built.intercede = createIntercedeEmulator({ ...opts.settings?.intercede, ...common });
    }
    issuers[name] = { issuance, handler: emulator.handler };
  }
  cardIssuer.save(); // the root's registry now knows the issuer CAs
  const authorities = () => [cardIssuer.root, cardIssuer.pivCa, ...ISSUERS.map((n) => issuers[n].issuance.authority)];
  const publication = router(publicationRoutes((name) => authorities().find((a) => a.name === name)));
  const tick = () => {
    for (const name of ISSUERS) issuers[name].issuance.runDueChecks();
  };
  // A device may be lost after its user unenrolled it: its credentials still must be revoked (DC-TRM-01). So the
  // report is refused (404, nothing changed) only when neither the tenant nor any issuer knows the device.
  const reportLost = (deviceId: string) => {
    const revoked: { issuer: string; serialNumber: string }[] = [];
    let served = false;
    for (const name of ISSUERS) {
      try {
        for (const r of issuers[name].issuance.revokeDevice(deviceId)) revoked.push({ issuer: name, serialNumber: r.pivAuth.serialNumber });
        served = true;
      } catch (error) {
        if ((error as DpclabError).code !== "device-unknown") throw error; // this issuer never served the device
      }
    }
    if (tenant.hasDevice(deviceId)) tenant.retireDevice(deviceId);
    else if (!served) throw new DpclabError(`no managed device with id ${deviceId}, and no issuer served it`, "not-found", 404);
    return { revoked };
  };
  const admin = adminHandler({ clock, store, authorities, outbox: () => [...tenant.outbox(), ...notices.list()], faults, onClockChange: tick, reportLost });
  const emulators = mount(
    tenantHandler(tenant, { baseUrl: cardIssuer.config.baseUrl }),
    ...ISSUERS.map((n) => issuers[n].handler),
    publication,
    pivCaHandler(cardIssuer),
  );
  const faulty = faults.wrap(emulators);
  const handler: FetchHandler = (request) => (new URL(request.url).pathname.startsWith("/__admin") ? admin(request) : faulty(request));
  return { cardIssuer, tenant, issuers, emulators: built, authenticator, notices, faults, clock, handler, authorities, tick, reportLost };
}
