import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type FaultInjector, type FaultKnobs, NO_FAULTS } from "../../emulators/admin/index.js";
import { CardIssuer, type CardRecord, createCards } from "../../emulators/piv-ca/index.js";
import { type FetchHandler, inProcessFetch, type RunningServer, serve } from "../../emulators/shared/index.js";
import { createLabStack, type LabStack } from "../../emulators/stack/index.js";
import { OffsetClock, parseDuration } from "../clock.js";
import { DpclabError } from "../errors.js";
import { DEFAULT_BASE_URL, LabDir } from "../lab/index.js";
import { type KeyAlgorithm, parseKeyAlgorithm } from "../pki/index.js";

export type { FaultKnobs };

export interface CreateLabOptions {
  /** Where the lab lives. Default: a fresh temporary directory, removed again by `close()`. Must not hold a lab yet. */
  dir?: string;
  /** Virtual PIV cards (SoftHSM tokens) to personalise (default 2: card 0 is also Purebred's registration agent). */
  cards?: number;
  /** Fixes cardholders, FASC-Ns, UUIDs, PINs and PUKs (keys are always fresh); default "dpclab". */
  seed?: string;
  /** Key algorithm of the lab's PKI and cards (default p256). */
  alg?: KeyAlgorithm;
  /**
   * The http origin stamped into every certificate's AIA and CRL distribution point and into QR codes (default
   * http://127.0.0.1:7800). `startServer(lab, { port })` on that port makes those URLs answer.
   */
  baseUrl?: string;
}

/** One card of the deck: a TEST card, so its PIN and PUK are part of the record on purpose. */
export interface LabCard {
  index: number;
  /** The SoftHSM token label (the cardholder's CN), as PKCS#11 clients such as `pkcs11-tool` see it. */
  tokenLabel: string;
  pin: string;
  puk: string;
  cardholder: { commonName: string; givenName: string; surname: string; email: string; agency: string };
  /** FASC-N as the printed digit string. */
  fascn: string;
  cardUuid: string;
  /** Card expiry (ISO 8601). */
  expires: string;
  /** Serial numbers (hex) of the card's PIV Authentication, Digital Signature, Key Management and Card Authentication certificates. */
  certificates: { pivAuth: string; digitalSignature: string; keyManagement: string; cardAuth: string };
}

export interface LabCertificate {
  /** The CA's name in the lab's URLs, e.g. `root`, `piv-ca`, `entrust-ca` (`/pki/crl/NAME.crl`, `/pki/ocsp/NAME`). */
  name: string;
  subject: string;
  pem: string;
}

export interface LabPki {
  /** `DPCLAB TEST Root CA`, the one trust anchor of every chain the lab issues (PEM). */
  trustAnchorPem: string;
  root: LabCertificate;
  /** The PIV card issuing CA and the three issuers' derived-credential CAs. */
  intermediates: LabCertificate[];
}

/** The lab's clock: real time plus what was added. Moving it runs what became due (seven-day rechecks, expiries). */
export interface LabClock {
  now(): Date;
  /** Moves the clock forward to `at` (the lab clock never moves back: certificates and notices already happened). */
  set(at: Date): Date;
  /** Moves the clock forward by milliseconds or a duration such as "8d", "12h". */
  advance(by: number | string): Date;
}

/** The admin API's fault knobs (`/__admin/faults`), applied to every emulator request but `/__admin`. */
export interface LabFaults {
  get(): FaultKnobs;
  /** Changes the named knobs after checking every value (bad input throws and changes nothing). */
  set(update: Partial<FaultKnobs>): FaultKnobs;
  /** Back to no faults. */
  reset(): FaultKnobs;
  /** How many of each fault were injected so far. */
  readonly injected: Readonly<FaultInjector["injected"]>;
}

export interface Lab {
  /** The lab directory (absolute). */
  readonly dir: string;
  /** The origin in the lab's certificates and QR codes (lab.json's baseUrl). */
  readonly baseUrl: string;
  /**
   * The lab's Fetch handler: the whole stack under one origin — the tenant (`/tenant/beta/deviceManagement/…`),
   * the issuers (`/issuers/{purebred,entrust,intercede}/…`), every CA's CRL, OCSP and caIssuers (`/pki/…`) and the
   * admin API (`/__admin/…`). Any origin in the request's URL is fine. A fault-injected dropped connection throws.
   */
  readonly handler: (request: Request) => Promise<Response>;
  /** `fetch` answered in-process by `handler`: relative URLs resolve against `baseUrl`; a dropped connection is fetch's TypeError. */
  readonly fetch: typeof fetch;
  readonly clock: LabClock;
  readonly pki: LabPki;
  /** The card deck as it is now. */
  readonly cards: readonly LabCard[];
  readonly faults: LabFaults;
  /** `SOFTHSM2_CONF` for PKCS#11 clients (OpenSC's pkcs11-tool) that should see the cards. */
  readonly softhsmConf: string;
  /** Runs what is due at the clock's time now (moving the clock does it already). */
  tick(): void;
  /** Stops the servers `startServer` started, saves the lab and, when `createLab` chose the directory, removes it. */
  close(): Promise<void>;
}

export interface LabServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

interface LabInternals {
  stack: LabStack;
  servers: Set<LabServer>;
}

const internals = new WeakMap<Lab, LabInternals>();
const DEFAULT_CARDS = 2;
const DEFAULT_SEED = "dpclab";
/** How often a served lab runs its due checks in real time (as `dpclab serve`). */
const DUE_CHECK_INTERVAL_MS = 5_000;

/** A new TEST lab: its PKI, `cards` virtual PIV cards in SoftHSM, and the whole emulated stack over it. */
export async function createLab(options: CreateLabOptions = {}): Promise<Lab> {
  const cards = options.cards ?? DEFAULT_CARDS;
  if (!Number.isInteger(cards) || cards < 0 || cards > 10_000) throw new DpclabError(`cards must be a whole number from 0 to 10000 (got ${cards})`, "usage");
  const baseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
  if (!/^http:\/\/[^/]+$/.test(baseUrl)) throw new DpclabError(`baseUrl must be an http origin like ${DEFAULT_BASE_URL} (AIA and CRL DP are http)`, "usage");
  const alg = parseKeyAlgorithm(options.alg ?? "p256");
  const owned = options.dir === undefined;
  const dir = owned ? mkdtempSync(join(tmpdir(), "dpclab-lab-")) : resolve(options.dir as string);
  const lab = new LabDir(dir);
  try {
    if (!owned && existsSync(lab.configPath)) throw new DpclabError(`${dir} already holds a lab: open it with openLab(dir)`, "lab-exists");
    const clock = new OffsetClock();
    const seed = options.seed ?? DEFAULT_SEED;
    const issuer = await CardIssuer.create(lab, { version: 1, alg, seed, baseUrl, createdAt: clock.now().toISOString() }, clock);
    lab.ensureSoftHsmConf();
    if (cards > 0) await createCards(lab, issuer, { count: cards, seed, clock });
    return await assemble(lab, clock, owned);
  } catch (error) {
    if (owned) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The lab in `dir` (made by `createLab`, `dpclab cards create` or `dpclab demo`); `close()` leaves the directory. */
export async function openLab(dir: string): Promise<Lab> {
  const lab = new LabDir(resolve(dir));
  if (!existsSync(lab.configPath)) throw new DpclabError(`no lab in ${lab.root} (no lab.json): create one with createLab({ dir })`, "no-lab");
  return assemble(lab, new OffsetClock(), false);
}

/** Serves the lab over real HTTP on 127.0.0.1 (port 0: a free one) until `close()` or the lab's `close()`. */
export async function startServer(lab: Lab, options: { port?: number } = {}): Promise<LabServer> {
  const inner = internals.get(lab);
  if (!inner) throw new DpclabError("startServer needs a lab from createLab or openLab (or the lab was closed)", "usage");
  let server: RunningServer;
  try {
    server = await serve(inner.stack.handler, { host: "127.0.0.1", port: options.port ?? 0 });
  } catch (error) {
    throw new DpclabError(`cannot listen on 127.0.0.1:${options.port ?? 0}: ${(error as Error).message}`, "listen-failed");
  }
  const timer = setInterval(() => inner.stack.tick(), DUE_CHECK_INTERVAL_MS);
  timer.unref();
  let closing: Promise<void> | undefined;
  const running: LabServer = {
    url: server.url,
    close: () => {
      closing ??= (async () => {
        clearInterval(timer);
        inner.servers.delete(running);
        await server.close();
      })();
      return closing;
    },
  };
  inner.servers.add(running);
  return running;
}

async function assemble(lab: LabDir, clock: OffsetClock, owned: boolean): Promise<Lab> {
  const stack = await createLabStack(lab, { clock });
  const baseUrl = stack.cardIssuer.config.baseUrl;
  const servers = new Set<LabServer>();
  const handler: FetchHandler = (request) => stack.handler(request);
  let closing: Promise<void> | undefined;
  const moved = () => {
    stack.tick();
    return clock.now();
  };
  const labClock: LabClock = {
    now: () => clock.now(),
    set(at) {
      if (at.getTime() < clock.now().getTime())
        throw new DpclabError("the lab clock only moves forward (certificates, notices and rechecks already happened)", "clock-backwards");
      clock.set(at);
      return moved();
    },
    advance(by) {
      const ms = typeof by === "number" ? by : parseDuration(by);
      if (!(ms >= 0)) throw new DpclabError("the lab clock only moves forward", "clock-backwards");
      clock.advance(ms);
      return moved();
    },
  };
  const faults: LabFaults = {
    get: () => stack.faults.knobs,
    set: (update) => stack.faults.set(update),
    reset: () => stack.faults.set(NO_FAULTS),
    injected: stack.faults.injected,
  };
  const described = (name: string, pem: string, subject: string): LabCertificate => ({ name, subject, pem: `${pem.trim()}\n` });
  const result: Lab = {
    dir: lab.root,
    baseUrl,
    handler,
    fetch: inProcessFetch(handler, baseUrl),
    clock: labClock,
    get pki(): LabPki {
      const [root, ...intermediates] = stack.authorities().map((a) => described(a.name, a.certificate.toString("pem"), a.certificate.subject));
      const anchor = root as LabCertificate;
      return { trustAnchorPem: anchor.pem, root: anchor, intermediates };
    },
    get cards(): readonly LabCard[] {
      stack.cardIssuer.reloadIfChanged();
      return stack.cardIssuer.cards().map(toLabCard);
    },
    faults,
    softhsmConf: lab.ensureSoftHsmConf(),
    tick: () => stack.tick(),
    close: () => {
      closing ??= (async () => {
        internals.delete(result);
        for (const server of [...servers]) await server.close();
        stack.cardIssuer.save();
        if (owned) rmSync(lab.root, { recursive: true, force: true });
      })();
      return closing;
    },
  };
  internals.set(result, { stack, servers });
  return result;
}

function toLabCard(card: CardRecord): LabCard {
  const { commonName, givenName, surname, email, agency } = card.cardholder;
  return {
    index: card.index,
    tokenLabel: card.tokenLabel,
    pin: card.pin,
    puk: card.puk,
    cardholder: { commonName, givenName, surname, email, agency },
    fascn: card.fascnText,
    cardUuid: card.cardUuid,
    expires: card.expires,
    certificates: {
      pivAuth: card.certificates["9A"],
      digitalSignature: card.certificates["9C"],
      keyManagement: card.certificates["9D"],
      cardAuth: card.certificates["9E"],
    },
  };
}
