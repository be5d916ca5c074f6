import type { IssuerName } from "../../emulators/derived/index.js";
import type { CardIssuer } from "../../emulators/piv-ca/index.js";
import { ISSUERS } from "../../emulators/stack/index.js";
import type { VirtualClock } from "../../src/clock.js";
import { type LabDir, openLabCard } from "../../src/lab/index.js";
import type { PivCard } from "../../src/piv/index.js";
import { Pkcs11Library } from "../../src/pkcs11/index.js";
import { type AgentEnvironment, DeviceAgent, type SlipKind, UserSlips } from "../agent/index.js";
import { issuerWorkflow } from "../issuers/index.js";
import { HardwareKeystore, type Keystore, SoftwareKeystore } from "../keystore/index.js";
import type { FleetMetrics } from "../metrics/index.js";
import { relyingPartiesOf } from "../relying-parties/index.js";
import { type DeviceRange, deviceRandom } from "../sim/index.js";
import { type DevicePlan, planDevices, purebredAgentCard, type UserPlan } from "./device-plan.js";
import type { FleetPlan } from "./fleet-options.js";
import type { IssuerLink } from "./issuer-link.js";
import { localLink } from "./local-link.js";
import { remoteLink } from "./remote-link.js";

/** What a shard is built from. */
export interface ShardSetup {
  plan: FleetPlan;
  lab: LabDir;
  cardIssuer: CardIssuer;
  clock: VirtualClock;
  /** The devices [start, end) this shard simulates (global indices). */
  range: DeviceRange;
  remote: boolean;
  /** Filled with what the caller must close (cards, links), even if the run throws. */
  cards: PivCard[];
  links: IssuerLink[];
}

interface UserCard {
  cardIndex: number;
  card: PivCard;
  pin: string;
  email: string;
}

/**
 * A shard's devices and what they reach: one link (stack: one tenant, one issuer) per issuer in use (docs/intune.md §1.2:
 * one issuer per tenant), the users' cards, and a DeviceAgent per device with its randomness from (seed, device).
 */
export class ShardDevices {
  /** This shard's agents in index order; events carry global indices (see agentOf). */
  readonly agents: DeviceAgent[];
  /** The shard's links in the order they were built (the day's due checks run in this order). */
  readonly links: IssuerLink[] = [];
  /** User slips so far, by `faults:<kind>`. */
  readonly slips: Record<string, number> = {};
  readonly #setup: ShardSetup;
  readonly #mine: DevicePlan[];
  readonly #users: UserPlan[];
  readonly #records: ReturnType<CardIssuer["cards"]>;
  readonly #linkByIssuer = new Map<IssuerName, IssuerLink>();
  readonly #userCards = new Map<number, UserCard>();
  #library: Pkcs11Library | undefined;

  private constructor(setup: ShardSetup) {
    this.#setup = setup;
    this.#records = setup.cardIssuer.cards();
    const { users, devices } = planDevices(setup.plan);
    this.#users = users;
    this.#mine = devices.slice(setup.range.start, setup.range.end);
    this.agents = [];
  }

  static async open(setup: ShardSetup, metrics: FleetMetrics): Promise<ShardDevices> {
    const shard = new ShardDevices(setup);
    const envs = await shard.#connect(metrics);
    shard.agents.push(...shard.#agents(envs));
    return shard;
  }

  agentOf(subject: number): DeviceAgent | undefined {
    return this.agents[subject - this.#setup.range.start];
  }

  /** The stack (tenant) a device is managed by: its first issuer's, whatever issuer the tenant has now. */
  linkOf(agent: DeviceAgent): IssuerLink {
    return this.#linkByIssuer.get(this.#mine[agent.index - this.#setup.range.start]!.issuer)!;
  }

  #open(index: number) {
    const record = this.#records[index];
    if (!record) throw new Error(`card ${index} is missing from the deck`);
    const card = openLabCard(this.#setup.lab, record.tokenLabel);
    this.#setup.cards.push(card);
    return { card, record };
  }

  /** One link per issuer this shard's devices use, and the environment their agents share. */
  async #connect(metrics: FleetMetrics): Promise<Map<IssuerName, AgentEnvironment>> {
    const { plan, lab, cardIssuer, clock, range } = this.#setup;
    const trustedRoot = new Uint8Array(cardIssuer.root.certificate.rawData);
    const used = ISSUERS.filter((name) => this.#mine.some((d) => d.issuer === name));
    const agentCardIndex = purebredAgentCard(range.worker, this.#users.length);
    // Devices that start with, or change to, an issuer whose enrolment needs a registration agent (Purebred) share
    // one agent card; every environment carries it, since a device keeps its environment across an issuer change.
    const needsAgent = (name: IssuerName) => issuerWorkflow(name).needsAgent;
    const purebredAgent =
      used.some(needsAgent) || (plan.issuerChange !== undefined && needsAgent(plan.issuerChange.to))
        ? (() => {
            const agentCard = this.#open(agentCardIndex);
            return { card: agentCard.card, pin: agentCard.record.pin };
          })()
        : undefined;
    const envs = new Map<IssuerName, AgentEnvironment>();
    for (const name of used) {
      const link = this.#setup.remote
        ? await remoteLink(plan.url!, name, clock, plan)
        : await localLink(lab, name, clock, plan, { http: plan.transport === "http", agentCard: agentCardIndex, worker: range.worker });
      this.#setup.links.push(link);
      this.links.push(link);
      this.#linkByIssuer.set(name, link);
      envs.set(name, {
        fetch: link.fetch,
        baseUrl: link.baseUrl,
        clock,
        metrics,
        trustedRoot,
        ...(purebredAgent ? { purebredAgent } : {}),
        assign: link.assign,
      });
    }
    return envs;
  }

  #agents(envs: Map<IssuerName, AgentEnvironment>): DeviceAgent[] {
    const { plan, range } = this.#setup;
    // Hardware keystores are SoftHSM tokens of their own in the lab, labelled per run (a reused lab keeps old ones).
    const runTag = Date.now().toString(36);
    const onSlip = (kind: SlipKind) => {
      this.slips[`faults:${kind}`] = (this.slips[`faults:${kind}`] ?? 0) + 1;
    };
    // A device real relying parties judge hands its keys to their clients (eapol_test, OpenVPN, openssl read files).
    const sampled = (index: number, d: DevicePlan) =>
      plan.relyingParties !== undefined && relyingPartiesOf(plan.relyingParties, plan.seed, index, d.platform).length > 0;
    return this.#mine.map((d, i) => {
      const index = range.start + i;
      const keystore: Keystore | undefined = d.hardware
        ? HardwareKeystore.provision(this.#secureElements(), `${runTag}-${index}`)
        : sampled(index, d)
          ? new SoftwareKeystore({ exportable: true })
          : undefined;
      return new DeviceAgent({
        index,
        issuer: d.issuer,
        platform: d.platform,
        user: this.#userCard(d.user),
        random: deviceRandom(plan.seed, index).fork("retry"),
        env: envs.get(d.issuer)!,
        slips: new UserSlips(plan.slips, deviceRandom(plan.seed, index).fork("slips"), onSlip),
        ...(d.traits ? { traits: d.traits } : {}),
        ...(keystore ? { keystore } : {}),
      });
    });
  }

  #userCard(u: number): UserCard {
    let c = this.#userCards.get(u);
    if (!c) {
      const user = this.#users[u]!;
      const { card, record } = this.#open(user.cardIndex);
      c = { cardIndex: user.cardIndex, card, pin: record.pin, email: record.cardholder.email };
      this.#userCards.set(u, c);
    }
    return c;
  }

  #secureElements(): Pkcs11Library {
    this.#library ??= Pkcs11Library.open({ softhsmConf: this.#setup.lab.ensureSoftHsmConf() });
    return this.#library;
  }
}
