import type fc from "fast-check";
import { checkInvariants } from "../invariants.js";
import { type DeviceModel, type Model, pickDevice } from "../model.js";
import type { World } from "../world.js";

/**
 * A scenario command: `check` says whether it applies to the model's state, `act` does it to the real stack and
 * the model (asserting the outcome the model predicts), and every invariant is checked after it. `toString` is what a
 * shrunk counterexample prints, so it names every parameter.
 */
export abstract class ScenarioCommand implements fc.AsyncCommand<Model, World> {
  abstract check(m: Readonly<Model>): boolean;
  protected abstract act(m: Model, w: World): Promise<void>;
  abstract toString(): string;

  async run(m: Model, w: World): Promise<void> {
    await this.act(m, w);
    await checkInvariants(m, w, "command");
  }
}

/** A command on one of the model's live devices, picked by slot: it applies when `pick` finds one. */
export abstract class DeviceCommand extends ScenarioCommand {
  constructor(readonly slot: number) {
    super();
  }
  /** The device this command acts on (default: any live device, by slot). */
  protected pick(m: Readonly<Model>): DeviceModel | undefined {
    return pickDevice(m as Model, this.slot);
  }
  check(m: Readonly<Model>): boolean {
    return this.pick(m) !== undefined;
  }
  protected async act(m: Model, w: World): Promise<void> {
    const d = this.pick(m);
    if (d) await this.actOn(m, w, d);
  }
  protected abstract actOn(m: Model, w: World, d: DeviceModel): Promise<void>;
}

/** A JS-ish rendering of a parameter for toString. */
export function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(show).join(",")}]` : String(v);
}
