import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DefectName, DerivedCredentialRecord, IssuerName } from "../../../emulators/derived/index.js";
import { CardIssuer, type CardRecord, createCards } from "../../../emulators/piv-ca/index.js";
import { inProcessFetch } from "../../../emulators/shared/index.js";
import { createLabStack, type LabStack } from "../../../emulators/stack/index.js";
import { JsonClient } from "../../../fleet/clients/index.js";
import { VirtualClock } from "../../clock.js";
import { DpclabError } from "../../errors.js";
import { LabDir } from "../../lab/index.js";
import type { ActiveMode, IssuerRecord, TranscriptLine } from "../index.js";

/**
 * Where the active suite's issuer runs, and the lab-side levers it pulls (revoking a PIV Card, terminating an identity
 * account) that no issuer API offers. Two kinds:
 * - in-process: a throwaway lab on tmpfs (six SoftHSM cards) and a lab stack with the requested defect knobs — the
 *   issuer's own transcripts are readable (white box);
 * - http: a running `dpclab serve` at a URL, with --dir its lab (the cards; the levers write the lab's state, which
 *   the server re-reads) — black box only.
 * Everything else the suite does goes through the lab's HTTP API (issuer workflows, tenant Graph API, /__admin),
 * in-process or over a socket alike.
 */
export interface IssuerTarget {
  issuer: IssuerName;
  mode: ActiveMode;
  location: string;
  defects: readonly DefectName[];
  fetch: typeof fetch;
  /** The lab's origin, e.g. http://127.0.0.1:7800. */
  baseUrl: string;
  lab: LabDir;
  /** The cards the suite uses: the Purebred registration agent and five applicants it may use up. */
  cards: SuiteCards;
  revokeCard(index: number): Promise<void>;
  terminateAccount(index: number): Promise<void>;
  /** The issuer's records with their transcripts (white box), or undefined. */
  transcripts(): { records: IssuerRecord[]; journal: TranscriptLine[] } | undefined;
  transcriptsUnavailable?: string;
  /** A URL written in a certificate (AIA OCSP) as this target answers it. */
  reach(url: string): string;
  close(): Promise<void>;
}

/**
 * agent: card 0, the Purebred registration agent of every lab stack; a: first enrolment, renewals and probes;
 * b: revoked before it enrols; c: revoked within seven days of its enrolment; d: identity account terminated;
 * e: lost device and one-time-secret probes.
 */
export interface SuiteCards {
  agent: CardRecord;
  a: CardRecord;
  b: CardRecord;
  c: CardRecord;
  d: CardRecord;
  e: CardRecord;
}

/** The virtual instant an in-process suite starts at (and its lab's cards were issued at). */
export const SUITE_START = new Date("2026-03-01T00:00:00Z");
const CARD_COUNT = 6;
const LAB_BASE_URL = "http://127.0.0.1:7800";

/**
 * A lab for the in-process suite: TEST PKI and six cards, made at SUITE_START. Tests make one and pass it as
 * `template` so that every run copies it instead of personalising cards again.
 */
export async function createSuiteLab(dir: string): Promise<LabDir> {
  const lab = new LabDir(dir);
  const clock = new VirtualClock(SUITE_START);
  const issuer = await CardIssuer.create(
    lab,
    { version: 1, alg: "p256", seed: "dpclab-conform", baseUrl: LAB_BASE_URL, createdAt: SUITE_START.toISOString() },
    clock,
  );
  await createCards(lab, issuer, { count: CARD_COUNT, seed: "dpclab-conform", clock });
  return lab;
}

export async function inProcessTarget(opts: { issuer: IssuerName; defects?: readonly DefectName[]; template?: string }): Promise<IssuerTarget> {
  const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "dpclab-conform-"));
  try {
    let lab: LabDir;
    if (opts.template) {
      cpSync(opts.template, dir, { recursive: true });
      lab = new LabDir(dir);
      lab.ensureSoftHsmConf(); // the copy's own token directory
    } else {
      lab = await createSuiteLab(dir);
    }
    const clock = new VirtualClock(SUITE_START);
    const defects = opts.defects ?? [];
    const stack: LabStack = await createLabStack(lab, { clock, defects: { [opts.issuer]: new Set(defects) } });
    const deck = stack.cardIssuer.cards();
    const issuance = stack.issuers[opts.issuer].issuance;
    return {
      issuer: opts.issuer,
      mode: "in-process",
      location: "in-process emulator",
      defects,
      fetch: inProcessFetch(stack.handler, LAB_BASE_URL),
      baseUrl: LAB_BASE_URL,
      lab,
      cards: { agent: card(deck, 0), a: card(deck, 1), b: card(deck, 2), c: card(deck, 3), d: card(deck, 4), e: card(deck, 5) },
      revokeCard: async (index) => {
        stack.cardIssuer.revokeCard(index, "keyCompromise");
      },
      terminateAccount: async (index) => {
        stack.cardIssuer.terminateAccount(index);
      },
      transcripts: () => ({ records: issuance.credentials().map(issuerRecord), journal: issuance.journal().map((t) => ({ ...t })) }),
      reach: (url) => url,
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A served lab (`dpclab serve`) at `url`, whose lab directory is `dir`. */
export async function httpTarget(opts: { issuer: IssuerName; url: string; dir: string }): Promise<IssuerTarget> {
  const origin = new URL(opts.url).origin;
  const lab = new LabDir(opts.dir);
  lab.readConfig(); // one clear line when --dir holds no lab
  const api = new JsonClient(fetch, origin);
  const serverNow = async () => new Date((await api.get<{ now: string }>("/__admin/clock")).now);
  let issuer: CardIssuer;
  try {
    issuer = await CardIssuer.open(lab, new VirtualClock(await serverNow()));
  } catch (error) {
    if (error instanceof DpclabError) throw error;
    throw new DpclabError(`no dpclab lab answers at ${origin}: ${(error as Error).message}`, "unreachable");
  }
  const { roots } = await api.get<{ roots: { pem: string }[] }>("/__admin/pki");
  const servedRoot = roots[0]?.pem.replace(/\s+/g, "");
  if (servedRoot !== issuer.root.certificate.toString("pem").replace(/\s+/g, "")) {
    throw new DpclabError(`the lab in ${lab.root} is not the one served at ${origin} (their TEST roots differ)`, "usage");
  }
  /** The card issuer as saved now, at the server's time; a change is saved and the server told to re-read it. */
  const change = async (act: (ci: CardIssuer) => void) => {
    const ci = await CardIssuer.open(lab, new VirtualClock(await serverNow()));
    act(ci);
    ci.save();
    await fetch(new URL("/pki", origin)); // the card issuer's handler re-reads the lab state on its next request
  };
  const cards = pickFreshCards(issuer);
  return {
    issuer: opts.issuer,
    mode: "http",
    location: origin,
    defects: [],
    fetch,
    baseUrl: origin,
    lab,
    cards,
    revokeCard: (index) => change((ci) => ci.revokeCard(index, "keyCompromise")),
    terminateAccount: (index) => change((ci) => ci.terminateAccount(index)),
    transcripts: () => undefined,
    transcriptsUnavailable: `are not exposed by ${origin} (a served lab's issuer keeps them in memory; run the suite in-process to judge them)`,
    reach: (url) => {
      const u = new URL(url);
      return `${origin}${u.pathname}${u.search}`;
    },
    // The applicants it used are left terminated, so that the next run against this lab picks fresh cards.
    close: async () =>
      change((ci) => {
        for (const c of [cards.a, cards.e]) ci.terminateAccount(c.index);
      }),
  };
}

/** Card 0 (the served lab's Purebred agent) and five cards with an active account and an unrevoked PIV Authentication certificate. */
function pickFreshCards(issuer: CardIssuer): SuiteCards {
  const deck = issuer.cards();
  const agent = deck[0];
  const fresh = deck.filter(
    (c) => c && c.index !== 0 && issuer.accountStatus(c.index) === "active" && issuer.pivCa.status(c.certificates["9A"]).status === "good",
  );
  const [a, b, c, d, e] = fresh;
  if (!agent || !a || !b || !c || !d || !e) {
    throw new DpclabError(
      `the suite needs card 0 (the Purebred agent) and five unused cards (active account, unrevoked); the lab has ${fresh.length} — add some with "dpclab cards create --count 6"`,
      "not-enough-cards",
    );
  }
  return { agent, a, b, c, d, e };
}

function card(deck: readonly CardRecord[], index: number): CardRecord {
  const c = deck[index];
  if (!c) throw new Error(`the suite lab has no card ${index}`);
  return c;
}

function issuerRecord(r: DerivedCredentialRecord): IssuerRecord {
  return {
    credentialId: r.id,
    cardIndex: r.cardIndex,
    deviceId: r.deviceId,
    issuedAt: r.issuedAt,
    status: r.status,
    serialNumber: r.pivAuth.serialNumber,
    recheckDueAt: r.recheckDueAt,
    ...(r.recheckDoneAt ? { recheckDoneAt: r.recheckDoneAt } : {}),
    ...(r.applicantPivAuth ? { applicantPivAuthSerial: r.applicantPivAuth.serialNumber } : {}),
    transcript: r.transcript.map((t) => ({ ...t })),
  };
}
