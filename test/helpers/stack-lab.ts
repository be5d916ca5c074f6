import { CardIssuer, createCards } from "../../emulators/piv-ca/index.js";
import { createLabStack, type LabStack, type LabStackOptions } from "../../emulators/stack/index.js";
import { VirtualClock } from "../../src/clock.js";
import { LabDir } from "../../src/lab/index.js";
import { tempDir } from "./cli.js";

export const STACK_BASE_URL = "http://127.0.0.1:7800";

export interface StackLab {
  lab: LabDir;
  clock: VirtualClock;
  stack: LabStack;
  /** Another stack on the same lab files, with a clock of its own: what a restarted `dpclab serve` holds. */
  restart(options?: Partial<LabStackOptions>): Promise<LabStack>;
  remove(): void;
}

/**
 * A fresh lab in a temporary directory (TEST PKI, `cards` SoftHSM cards from `seed`) with the whole stack over it
 * (tenant, three issuers, PKI, admin), on a VirtualClock at `start`: what tests that drive the lab as a phone need.
 */
export async function stackLab(opts: { seed: string; cards: number; start?: Date; stack?: Partial<LabStackOptions> }): Promise<StackLab> {
  const dir = tempDir(`dpclab-${opts.seed}-`);
  const start = opts.start ?? new Date("2026-03-01T00:00:00Z");
  const clock = new VirtualClock(start);
  const lab = new LabDir(dir.path);
  const issuer = await CardIssuer.create(lab, { version: 1, alg: "p256", seed: opts.seed, baseUrl: STACK_BASE_URL, createdAt: start.toISOString() }, clock);
  await createCards(lab, issuer, { count: opts.cards, seed: opts.seed, clock });
  const stack = await createLabStack(lab, { clock, ...opts.stack });
  return {
    lab,
    clock,
    stack,
    restart: (options) => createLabStack(lab, { ...opts.stack, clock: new VirtualClock(start), ...options }),
    remove: dir.remove,
  };
}
