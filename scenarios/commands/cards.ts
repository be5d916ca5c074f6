import type { IssuerName } from "../../emulators/derived/index.js";
import { attempt, expectOutcome, mistypePin } from "../flows.js";
import { card, MAX_PIN_TRIES, type Model, OK, pickCard, refused } from "../model.js";
import type { World } from "../world.js";
import { ScenarioCommand, show } from "./command.js";

/**
 * The cardholders' and the card issuer's commands: a mistyped PIN at a kiosk, a PUK reset (DC-ACT-04), revoking a
 * PIV Card's certificates (card loss, DC-LNK-04; inside seven days, DC-ISS-06) and terminating the PIV identity
 * account (DC-TRM-02). Card 0, the Purebred registration agent, is never picked.
 */

export class MistypePin extends ScenarioCommand {
  constructor(
    readonly cardSlot: number,
    readonly issuer: IssuerName,
  ) {
    super();
  }
  check(): boolean {
    return true;
  }
  protected async act(m: Model, w: World): Promise<void> {
    const c = card(m, pickCard(this.cardSlot));
    const predicted = c.triesLeft <= 0 ? refused("card-blocked") : refused("pin-incorrect");
    const r = await attempt(() => mistypePin(w, this.issuer, c.index));
    expectOutcome(w, `a mistyped PIN on card ${c.index} at the ${this.issuer} kiosk`, predicted, r);
    if (c.triesLeft > 0) c.triesLeft--;
  }
  toString(): string {
    return `MistypePin(card ${pickCard(this.cardSlot)}, at ${show(this.issuer)})`;
  }
}

/** RESET RETRY COUNTER with the PUK; the user sets their own PIN again. A wrong PUK changes nothing. */
export class PukReset extends ScenarioCommand {
  constructor(
    readonly cardSlot: number,
    readonly rightPuk: boolean,
  ) {
    super();
  }
  check(): boolean {
    return true;
  }
  protected async act(m: Model, w: World): Promise<void> {
    const c = card(m, pickCard(this.cardSlot));
    const record = w.record(c.index);
    const puk = this.rightPuk ? record.puk : `${record.puk.slice(0, -1)}${(Number(record.puk.at(-1)) + 1) % 10}`;
    const r = await attempt(() => w.card(c.index).unblock(puk, record.pin));
    expectOutcome(w, `PUK reset of card ${c.index}`, this.rightPuk ? OK : refused("puk-incorrect"), r);
    if (r.ok) c.triesLeft = MAX_PIN_TRIES;
  }
  toString(): string {
    return `PukReset(card ${pickCard(this.cardSlot)}, ${this.rightPuk ? "right" : "wrong"} PUK)`;
  }
}

export class RevokeCard extends ScenarioCommand {
  constructor(readonly cardSlot: number) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return card(m as Model, pickCard(this.cardSlot)).revokedAt === undefined;
  }
  protected async act(m: Model, w: World): Promise<void> {
    const c = card(m, pickCard(this.cardSlot));
    const n = w.stack.cardIssuer.revokeCard(c.index, "keyCompromise");
    if (n !== 4) throw new Error(`revoking card ${c.index} revoked ${n} certificates, not its 4`);
    c.revokedAt = m.now;
  }
  toString(): string {
    return `RevokeCard(card ${pickCard(this.cardSlot)})`;
  }
}

export class TerminateAccount extends ScenarioCommand {
  constructor(readonly cardSlot: number) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return card(m as Model, pickCard(this.cardSlot)).terminatedAt === undefined;
  }
  protected async act(m: Model, w: World): Promise<void> {
    const c = card(m, pickCard(this.cardSlot));
    const account = w.stack.cardIssuer.terminateAccount(c.index);
    if (account.status !== "terminated") throw new Error(`card ${c.index}'s account is ${account.status} after termination`);
    c.terminatedAt = m.now;
    c.terminatedAtTick = m.ticks;
  }
  toString(): string {
    return `TerminateAccount(card ${pickCard(this.cardSlot)})`;
  }
}
