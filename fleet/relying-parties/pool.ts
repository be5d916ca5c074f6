import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  findLibfaketime,
  missingPackages,
  type RelyingParty,
  type RelyingPartyKind,
  SimulatedTime,
  startRelyingParty,
  type Verdict,
} from "../../emulators/relying-party/index.js";
import { DpclabError } from "../../src/errors.js";
import type { LabDir } from "../../src/lab/index.js";
import type { PresentableCredential } from "../agent/index.js";
import { clearPresented, writePresented } from "./presented-files.js";

/** A move of the simulated clock between two exchanges of a relying party larger than this is a jump to it. */
const CLOCK_JUMP_MS = 60_000;

/**
 * The fleet's relying parties: one real server per kind (nginx, OpenVPN, FreeRADIUS; openssl cms for S/MIME),
 * started on first use and shared by every device, however many — exchanges take turns, so at most one client
 * process runs per kind. They all see the simulation's clock through libfaketime (SimulatedTime), set to the
 * device's instant before each exchange.
 */
export class RelyingPartyPool {
  readonly #parties = new Map<RelyingPartyKind, Promise<RelyingParty>>();
  readonly #described = new Map<RelyingPartyKind, string>();
  /** The simulated instant of each kind's last exchange. */
  readonly #lastAt = new Map<RelyingPartyKind, number>();
  #turn: Promise<unknown> = Promise.resolve();
  #trusted: readonly string[];

  private constructor(
    private readonly lab: LabDir,
    private readonly dir: string,
    private readonly time: SimulatedTime,
    trusted: readonly string[],
  ) {
    this.#trusted = trusted;
  }

  /**
   * For these kinds, trusting these issuers' CAs: every binary and libfaketime checked first, so a missing package is
   * one line naming what to install before anything starts.
   */
  static open(lab: LabDir, kinds: readonly RelyingPartyKind[], trusted: readonly string[], at: Date): RelyingPartyPool {
    const missing = [...missingPackages(kinds), ...(findLibfaketime() ? [] : ["faketime"])];
    if (missing.length > 0)
      throw new DpclabError(`--relying-parties ${kinds.join(",")} needs ${missing.join(", ")}: apt-get install ${missing.join(" ")}`, "usage");
    const dir = join(lab.root, "relying-parties", "fleet");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return new RelyingPartyPool(lab, dir, SimulatedTime.open(join(dir, "simulated-time"), at), trusted);
  }

  /** One real exchange with `credential` at simulated instant `at`: the relying party's own verdict. */
  authenticate(kind: RelyingPartyKind, credential: PresentableCredential, at: Date): Promise<Verdict> {
    const exchange = this.#turn.then(async () => {
      const last = this.#lastAt.get(kind);
      this.#lastAt.set(kind, at.getTime());
      const party = await this.#party(kind);
      if (last !== undefined && Math.abs(at.getTime() - last) > CLOCK_JUMP_MS) await party.clockJumped?.();
      this.time.set(at);
      const scratch = join(this.dir, "presented");
      try {
        return await party.authenticate(writePresented(scratch, credential));
      } finally {
        clearPresented(scratch);
      }
    });
    this.#turn = exchange.catch(() => undefined);
    return exchange;
  }

  /**
   * The organisation reconfigures its relying parties for another issuer (after the tenant's issuer changed,
   * docs/intune.md §1.3): they are stopped now and start again trusting only `trusted` issuers' CAs.
   */
  async retrust(trusted: readonly string[]): Promise<void> {
    await this.#turn;
    this.#trusted = trusted;
    await this.#stopAll();
  }

  /** What each started relying party is (program, port, status check). */
  describe(): Record<string, string> {
    return Object.fromEntries([...this.#described].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  async close(): Promise<void> {
    await this.#turn;
    await this.#stopAll();
  }

  #party(kind: RelyingPartyKind): Promise<RelyingParty> {
    let party = this.#parties.get(kind);
    if (!party) {
      party = startRelyingParty(kind, this.lab, { time: this.time, dir: this.dir, trustIssuers: this.#trusted });
      this.#parties.set(kind, party);
      void party.then(
        (p) => this.#described.set(kind, p.describe()),
        () => this.#parties.delete(kind), // a failed start is tried again at the next exchange
      );
    }
    return party;
  }

  async #stopAll(): Promise<void> {
    const parties = [...this.#parties.values()];
    this.#parties.clear();
    for (const p of parties) await p.then((rp) => rp.close()).catch(() => undefined);
  }
}
