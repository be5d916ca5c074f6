import { credential, DAY_MS, HOUR_MS, INTERCEDE_REKEY_BEFORE_MS, type Model, RECHECK_AFTER_MS, renewalDueAt, tick, VALIDITY_MS } from "../model.js";
import { deviceChecksIn } from "../steps.js";
import type { World } from "../world.js";
import { ScenarioCommand } from "./command.js";

/**
 * Time passes on the lab's virtual clock, through the admin API (/__admin/clock/advance), which also runs the issuers'
 * due checks (seven-day rechecks, account monitoring). Then every device checks in, as devices do daily.
 */
export type Advance = "1d" | "8d" | "to-renewal" | "to-rekey" | "past-expiry";

/** How far each kind of advance goes from the model's state. */
export function advanceBy(m: Readonly<Model>, kind: Advance): number {
  const next = (times: number[]) => {
    const ahead = times.filter((t) => t > m.now).sort((a, b) => a - b);
    return ahead.length ? (ahead[0] as number) - m.now + HOUR_MS : DAY_MS;
  };
  switch (kind) {
    case "1d":
      return DAY_MS;
    case "8d":
      return RECHECK_AFTER_MS + DAY_MS;
    case "past-expiry":
      return VALIDITY_MS + DAY_MS;
    case "to-renewal":
      return next(
        m.devices.flatMap((d) =>
          d.lost || !d.registered || !m.issuer ? [] : [renewalDueAt(credential(m as Model, d.registered.credential), m.issuer.threshold)],
        ),
      );
    case "to-rekey":
      return next(m.credentials.filter((c) => c.issuer === "intercede" && c.revokedAt === undefined).map((c) => c.notAfter - INTERCEDE_REKEY_BEFORE_MS));
  }
}

export class AdvanceClock extends ScenarioCommand {
  constructor(
    readonly kind: Advance,
    readonly checkIns = true,
  ) {
    super();
  }
  check(): boolean {
    return true;
  }
  protected async act(m: Model, w: World): Promise<void> {
    const by = advanceBy(m, this.kind);
    const r = await w.api().post<{ now: string }>("/__admin/clock/advance", { by });
    m.now += by;
    if (Date.parse(r.now) !== w.startMs + m.now) throw new Error(`the lab clock says ${r.now}, the model ${new Date(w.startMs + m.now).toISOString()}`);
    tick(m);
    if (this.checkIns) for (const d of m.devices) if (!d.lost) await deviceChecksIn(m, w, d);
  }
  toString(): string {
    return `AdvanceClock(${this.kind}${this.checkIns ? "" : ", no check-ins"})`;
  }
}
