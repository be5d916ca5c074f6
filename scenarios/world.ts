import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IssuerName, Platform } from "../emulators/derived/index.js";
import { CardIssuer, type CardRecord, createCards } from "../emulators/piv-ca/index.js";
import { inProcessFetch, type RunningServer } from "../emulators/shared/index.js";
import { createLabStack, type LabStack } from "../emulators/stack/index.js";
import type { RecordingKeystore } from "../fleet/agent/index.js";
import { JsonClient } from "../fleet/clients/index.js";
import type { DeviceKey } from "../fleet/keystore/index.js";
import { serveStatus } from "../fleet/relying-parties/index.js";
import { VirtualClock } from "../src/clock.js";
import { LabDir, openLabCard } from "../src/lab/index.js";
import type { PivCard } from "../src/piv/index.js";
import { AGENT_CARD, DECK_SIZE, MAX_PIN_TRIES, VALIDITY_DAYS } from "./model.js";

/** Every scenario run starts at this instant on its own virtual clock (the deck is made at it too). */
export const SCENARIO_START = new Date("2026-03-01T00:00:00Z");
export const BASE_URL = "http://127.0.0.1:7800";
export const DM = "/tenant/beta/deviceManagement";

/**
 * The card deck the runs of one scenario process share: a TEST lab (PKI + DECK_SIZE personalised SoftHSM cards) in a
 * temporary directory on tmpfs. Personalising costs ~0.1 s per card, so it is made once and reused by every run.
 *
 * Keeping it honest: a run never saves the card issuer's state (revocations and terminations live in the run's own
 * stack, built fresh from the saved, pristine state), and each run starts by resetting the PIN retry counters
 * (lab/cards/pin-counters.json) and checking every card is unblocked. A PUK reset sets the cardholder's own PIN back,
 * so the tokens stay as personalised.
 */
export interface Deck {
  dir: string;
  lab: LabDir;
  /**
   * With `servesStatus`: the lab's CRLs and OCSP at the base URL the deck's certificates name, answered by the stack
   * of the run that sets `stack` (scenarios/relying-parties.ts); the port is held for the deck's whole life.
   */
  status?: { url: string; stack: LabStack | undefined };
  remove(): void;
}

export async function createDeck(opts: { seed?: string; servesStatus?: boolean } = {}): Promise<Deck> {
  const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "dpclab-scenario-"));
  let server: RunningServer | undefined;
  try {
    const status: Deck["status"] = opts.servesStatus ? { url: "", stack: undefined } : undefined;
    if (status) {
      server = await serveStatus((caName) => status.stack?.authorities().find((a) => a.name === caName));
      status.url = server.url;
    }
    const lab = new LabDir(join(dir, "lab"));
    const clock = new VirtualClock(SCENARIO_START);
    const seed = opts.seed ?? "scenarios";
    const issuer = await CardIssuer.create(
      lab,
      { version: 1, alg: "p256", seed, baseUrl: status?.url ?? BASE_URL, createdAt: SCENARIO_START.toISOString() },
      clock,
    );
    await createCards(lab, issuer, { count: DECK_SIZE, seed, clock, scratchDir: dir });
    const held = server;
    return {
      dir,
      lab,
      ...(status ? { status } : {}),
      remove: () => {
        void held?.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    void server?.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** One HTTP exchange of a run, for the invariants (no 5xx; iOS-only payloads never reach Android). */
export interface HttpRecord {
  seq: number;
  method: string;
  path: string;
  status: number;
  contentType: string;
  /** The model device the request was made for, if any. */
  device?: number;
}

/** A request captured so that it can be sent again (one-time secrets must work once). */
export interface CapturedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** What a device holds of its latest credential. */
export interface HeldCredential {
  model: number;
  issuer: IssuerName;
  credentialId: string;
  serialNumber: string;
  pivAuth: Uint8Array;
  signing?: Uint8Array;
  encryption?: Uint8Array;
  chain: Uint8Array[];
  notBefore: Date;
  notAfter: Date;
  /** The derived PIV Authentication key (Intercede's rekey proof). */
  key?: DeviceKey;
  /** The S/MIME signing key (iOS). */
  signingKey?: DeviceKey;
}

export interface RealDevice {
  index: number;
  tenantId: string;
  platform: Platform;
  /** Exportable software keys, remembered until the credential that certifies them arrives. */
  keystore: RecordingKeystore;
  held?: HeldCredential;
  /** Every credential this device ever held, oldest first. */
  history: HeldCredential[];
  /** The policy types of its last check-in. */
  policyTypes?: string[];
}

/** The real side of a minted credential, by model credential id. */
export interface MintedRecord {
  model: number;
  issuer: IssuerName;
  credentialId: string;
  serialNumber: string;
}

/** An invariant or prediction that failed because of a known emulator deviation (reported, not failed). */
export interface Finding {
  id: string;
  detail: string;
}

/** A yield point: between two steps of a flow, the scheduler may let another flow run (scenarios/interleave.ts). */
export type Step = (label: string) => Promise<void>;

/**
 * The real system of one run: a fresh lab stack (tenant, three issuers, PKI, admin) on the shared deck, reached
 * in-process, with the run's devices, cards and bookkeeping.
 */
export class World {
  readonly http: HttpRecord[] = [];
  readonly devices: RealDevice[] = [];
  readonly profileIds: string[] = [];
  readonly minted: MintedRecord[] = [];
  readonly findings: Finding[] = [];
  /** Replays of one-time secrets that were answered (status per replay), for the invariant. */
  readonly replays: { label: string; status: number; code?: string }[] = [];
  /** Failed replays per attempt key, at virtual time: the issuers lock a device out after 5 in 15 minutes. */
  readonly replayFailures = new Map<string, number[]>();
  settingsId: string | undefined;
  groupId = "";
  readonly startMs = SCENARIO_START.getTime();
  #seq = 0;
  readonly #cards = new Map<number, PivCard>();
  readonly #base: typeof fetch;

  private constructor(
    readonly deck: Deck,
    readonly stack: LabStack,
    readonly clock: VirtualClock,
  ) {
    this.#base = inProcessFetch(stack.handler, BASE_URL);
  }

  static async create(deck: Deck): Promise<World> {
    // A fresh PIN counter file: every card starts unblocked with 10 tries (see Deck).
    rmSync(deck.lab.pinCountersPath, { force: true });
    const clock = new VirtualClock(SCENARIO_START);
    const stack = await createLabStack(deck.lab, { clock, purebredAgents: [AGENT_CARD], validityDays: VALIDITY_DAYS });
    const world = new World(deck, stack, clock);
    const group = await world.api().post<{ id: string }>("/tenant/beta/groups", { displayName: "TEST scenario devices" });
    world.groupId = group.id;
    for (const r of world.records()) {
      const c = world.card(r.index);
      if (c.triesLeft !== MAX_PIN_TRIES) throw new Error(`card ${r.index} starts the run with ${c.triesLeft} PIN tries`);
    }
    return world;
  }

  records(): readonly CardRecord[] {
    return this.stack.cardIssuer.cards();
  }

  record(index: number): CardRecord {
    return this.stack.cardIssuer.card(index);
  }

  /** The card of the deck, opened once per run (PKCS#11 session on its SoftHSM token). */
  card(index: number): PivCard {
    let c = this.#cards.get(index);
    if (!c) {
      c = openLabCard(this.deck.lab, this.record(index).tokenLabel);
      this.#cards.set(index, c);
    }
    return c;
  }

  /**
   * A fetch into the stack that records every exchange; with `step`, it yields to the scheduler before each request;
   * with `capture`, it keeps the requests whose path matches, so a one-time secret can be presented again.
   */
  fetch(opts: { device?: number; step?: Step; capture?: { match: RegExp; into: CapturedRequest[] } } = {}): typeof fetch {
    return (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input instanceof Request ? input.url : input), BASE_URL);
      const method = init?.method ?? (input instanceof Request ? input.method : "GET");
      if (opts.step) await opts.step(`${method} ${url.pathname.replace(/[A-Za-z0-9_-]{16,}/g, "…")}`);
      if (method !== "GET" && opts.capture?.match.test(url.pathname)) {
        opts.capture.into.push({ method, url: url.href, headers: headersOf(init?.headers), ...(typeof init?.body === "string" ? { body: init.body } : {}) });
      }
      const res = await this.#base(input, init);
      this.http.push({
        seq: ++this.#seq,
        method,
        path: url.pathname,
        status: res.status,
        contentType: res.headers.get("content-type") ?? "",
        ...(opts.device !== undefined ? { device: opts.device } : {}),
      });
      return res;
    }) as typeof fetch;
  }

  /** Sequence number of the next exchange (to order flows' requests against other events). */
  nextSeq(): number {
    return ++this.#seq;
  }

  api(opts: { device?: number; step?: Step } = {}): JsonClient {
    return new JsonClient(this.fetch(opts), BASE_URL);
  }

  device(index: number): RealDevice {
    const d = this.devices[index];
    if (!d) throw new Error(`the world has no device ${index}`);
    return d;
  }

  /** Outcomes met in this run (success, refusal codes), for the run's statistics. */
  readonly stats = new Map<string, number>();

  count(key: string): void {
    this.stats.set(key, (this.stats.get(key) ?? 0) + 1);
  }

  finding(id: string, detail: string): void {
    if (!this.findings.some((f) => f.id === id && f.detail === detail)) this.findings.push({ id, detail });
  }

  close(): void {
    for (const c of this.#cards.values()) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    this.#cards.clear();
  }
}

function headersOf(h: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(h).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
