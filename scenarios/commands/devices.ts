import type { IssuerName, Platform } from "../../emulators/derived/index.js";
import { attempt, expectOutcome, mdmEnrol, register, rekeyFlow } from "../flows.js";
import {
  cameraBlocked,
  credential,
  type DeviceModel,
  MAX_DEVICES,
  type Model,
  pickCard,
  pickDevice,
  predatesIssuer,
  predictRekey,
  predictWorkflow,
  revoke,
} from "../model.js";
import { applyPinUse, deviceChecksIn, reachesKiosk, recordDelivered, registerHeld, runWorkflow } from "../steps.js";
import type { CapturedRequest, World } from "../world.js";
import { DeviceCommand, ScenarioCommand, show } from "./command.js";

/**
 * The users' and devices' commands (docs/intune.md §2): enrol a new device with an issuer, renew (run the issuer's
 * workflow again, §1.4), the Intercede Identity Agent's rekey, a check-in, a lost device (DC-TRM-01), and a device
 * presenting an old credential again after an issuer change (§1.3).
 */

/** "tenant": the issuer the tenant is configured with, the one Company Portal / the Intune app sends the user to. */
export type IssuerChoice = "tenant" | IssuerName;

/** The issuer workflow on a device, its registration with the tenant and a check-in, each outcome predicted. */
async function obtainAndRegister(m: Model, w: World, d: DeviceModel, issuer: IssuerName, cameraAllowed: boolean, typo: boolean): Promise<void> {
  const predicted = predictWorkflow(m, d, issuer, { typo });
  const captured: CapturedRequest[] = [];
  const r = await runWorkflow(m, w, d, issuer, { cameraAllowed, typo, captured });
  if (reachesKiosk(m, d, issuer)) applyPinUse(m, d.cardIndex, typo);
  expectOutcome(w, `device ${d.index} (${d.platform}, card ${d.cardIndex}) through the ${issuer} workflow`, predicted, r);
  if (!r.ok) return;
  await recordDelivered(m, w, d, r.value, { via: "pki-auth" }, captured);
  await registerHeld(m, w, d);
  await deviceChecksIn(m, w, d);
}

export class EnrolNewDevice extends ScenarioCommand {
  constructor(
    readonly platform: Platform,
    readonly cardSlot: number,
    readonly issuer: IssuerChoice,
    readonly typo: boolean,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.devices.length < MAX_DEVICES && (this.issuer !== "tenant" || m.issuer !== undefined);
  }
  protected async act(m: Model, w: World): Promise<void> {
    const issuer = this.issuer === "tenant" ? m.issuer?.name : this.issuer;
    if (!issuer) return;
    const d: DeviceModel = { index: m.devices.length, platform: this.platform, cardIndex: pickCard(this.cardSlot), compliant: true, lost: false, notified: [] };
    await mdmEnrol(w, d.index, d.platform, d.cardIndex);
    m.devices.push(d);
    const camera = await deviceChecksIn(m, w, d);
    await obtainAndRegister(m, w, d, issuer, camera, this.typo);
  }
  toString(): string {
    return `EnrolNewDevice(${this.platform}, card ${pickCard(this.cardSlot)}, ${show(this.issuer)}${this.typo ? ", PIN typo" : ""})`;
  }
}

/** docs/intune.md §1.4: a credential cannot be extended; the user runs the tenant issuer's workflow again (also after an issuer change). */
export class Renew extends DeviceCommand {
  constructor(
    slot: number,
    readonly typo: boolean,
  ) {
    super(slot);
  }
  protected override pick(m: Readonly<Model>): DeviceModel | undefined {
    return m.issuer !== undefined ? super.pick(m) : undefined;
  }
  protected async actOn(m: Model, w: World, d: DeviceModel): Promise<void> {
    if (!m.issuer) return;
    const camera = await deviceChecksIn(m, w, d);
    await obtainAndRegister(m, w, d, m.issuer.name, camera, this.typo);
  }
  toString(): string {
    return `Renew(device slot ${this.slot}${this.typo ? ", PIN typo" : ""})`;
  }
}

/** The MyID Identity Agent polls and, when due, rekeys with the current derived key (docs/anchors.md §5; DC-MNT-01, DC-MNT-06). */
export class Rekey extends DeviceCommand {
  protected override pick(m: Readonly<Model>): DeviceModel | undefined {
    return pickDevice(m as Model, this.slot, (d) => d.held !== undefined && credential(m as Model, d.held).issuer === "intercede");
  }
  protected async actOn(m: Model, w: World, d: DeviceModel): Promise<void> {
    const real = w.device(d.index);
    if (d.held === undefined || !real.held) return;
    const held = credential(m, d.held);
    const predicted = predictRekey(m, d, held);
    const captured: CapturedRequest[] = [];
    const r = await attempt(() => rekeyFlow(w, real, real.held as NonNullable<typeof real.held>, captured));
    if (!predicted.ok && predicted.code === "not-due") {
      if (!r.ok || r.value !== "not-due")
        throw new Error(`rekey of device ${d.index}: the model says not due yet, the agent got ${r.ok ? "a new credential" : r.code}`);
      w.count("rekey-not-due");
      return;
    }
    expectOutcome(w, `rekey of credential ${held.id} on device ${d.index}`, predicted, r);
    if (!r.ok || r.value === "not-due") return;
    revoke(held, m.now, "superseded");
    await recordDelivered(m, w, d, r.value, { via: "rekey", predecessor: held.id }, captured);
    await registerHeld(m, w, d);
    await deviceChecksIn(m, w, d);
  }
  toString(): string {
    return `Rekey(device slot ${this.slot})`;
  }
}

export class CheckIn extends DeviceCommand {
  protected async actOn(m: Model, w: World, d: DeviceModel): Promise<void> {
    await deviceChecksIn(m, w, d);
  }
  toString(): string {
    return `CheckIn(device slot ${this.slot})`;
  }
}

/** DC-TRM-01: the operator reports the device lost; every issuer revokes its credentials and the tenant retires it. */
export class LoseDevice extends DeviceCommand {
  protected async actOn(m: Model, w: World, d: DeviceModel): Promise<void> {
    const real = w.device(d.index);
    const r = await w.api({ device: d.index }).post<{ revoked: { issuer: string; serialNumber: string }[] }>(`/__admin/devices/${real.tenantId}/lost`, {});
    const expected = m.credentials
      .filter((c) => c.device === d.index && c.revokedAt === undefined)
      .map((c) => `${c.issuer}:${w.minted[c.id]?.serialNumber}`)
      .sort();
    const got = r.revoked.map((x) => `${x.issuer}:${x.serialNumber.toLowerCase()}`).sort();
    if (got.join(",") !== expected.join(","))
      throw new Error(`lost device ${d.index}: revoked [${got.join(", ")}], the model expected [${expected.join(", ")}]`);
    for (const c of m.credentials) if (c.device === d.index) revoke(c, m.now, "lost");
    d.lost = true;
  }
  toString(): string {
    return `LoseDevice(device slot ${this.slot})`;
  }
}

/**
 * DC-TRM-01, DC-TRM-04: whoever holds a lost device tries to get a credential again — its Identity Agent rekeys
 * (Intercede), or someone runs the issuer workflow on it with the cardholder's card. A revoked credential rekeys
 * nothing, and the retired device is no longer approved (DC-ISS-02).
 */
export class LostDeviceTriesAgain extends ScenarioCommand {
  constructor(
    readonly slot: number,
    readonly how: "rekey" | "workflow",
  ) {
    super();
  }
  #device(m: Readonly<Model>): DeviceModel | undefined {
    const lost = m.devices.filter(
      (d) => d.lost && (this.how === "workflow" || (d.held !== undefined && credential(m as Model, d.held).issuer === "intercede")),
    );
    return lost.length && (this.how === "rekey" || m.issuer) ? lost[this.slot % lost.length] : undefined;
  }
  check(m: Readonly<Model>): boolean {
    return this.#device(m) !== undefined;
  }
  protected async act(m: Model, w: World): Promise<void> {
    const d = this.#device(m);
    if (!d) return;
    const real = w.device(d.index);
    const captured: CapturedRequest[] = [];
    if (this.how === "rekey") {
      if (d.held === undefined || !real.held) return;
      const predicted = predictRekey(m, d, credential(m, d.held));
      const r = await attempt(() => rekeyFlow(w, real, real.held as NonNullable<typeof real.held>, captured));
      const actual = r.ok && r.value === "not-due" ? { ok: false as const, code: "not-due", message: "the agent found no rekey due" } : r;
      expectOutcome(w, `rekey from lost device ${d.index}`, predicted, actual);
      if (actual.ok) throw new Error(`lost device ${d.index} rekeyed its credential`);
      return;
    }
    const issuer = m.issuer?.name;
    if (!issuer) return;
    const predicted = predictWorkflow(m, d, issuer);
    const r = await runWorkflow(m, w, d, issuer, { cameraAllowed: !cameraBlocked(m, d.platform), captured });
    if (reachesKiosk(m, d, issuer)) applyPinUse(m, d.cardIndex, false);
    expectOutcome(w, `the ${issuer} workflow on lost device ${d.index}`, predicted, r);
    if (r.ok) throw new Error(`lost device ${d.index} obtained a new credential`);
  }
  toString(): string {
    return `LostDeviceTriesAgain(slot ${this.slot}, ${this.how})`;
  }
}

/**
 * docs/intune.md §1.3: after the issuer is deleted, credentials obtained under it stay invalid even if the same issuer is
 * added again. The device presents such a credential to the tenant again: it must be refused.
 */
export class ReRegisterOldCredential extends ScenarioCommand {
  constructor(readonly slot: number) {
    super();
  }
  #pick(m: Readonly<Model>): { d: DeviceModel; old: number } | undefined {
    const candidates = m.devices.flatMap((d) => {
      if (d.lost || !m.issuer) return [];
      const old = m.credentials
        .filter((c) => c.device === d.index && c.issuer === m.issuer?.name && predatesIssuer(m as Model, c) && m.now < c.notAfter)
        .at(-1);
      return old ? [{ d, old: old.id }] : [];
    });
    return candidates.length ? candidates[this.slot % candidates.length] : undefined;
  }
  check(m: Readonly<Model>): boolean {
    return this.#pick(m) !== undefined;
  }
  protected async act(m: Model, w: World): Promise<void> {
    const pick = this.#pick(m);
    if (!pick) return;
    const { d, old } = pick;
    const real = w.device(d.index);
    const held = real.history.find((h) => h.model === old);
    if (!held) throw new Error(`device ${d.index} never held credential ${old}`);
    const r = await attempt(() => register(w, real, held));
    if (r.ok) {
      throw new Error(
        `device ${d.index} re-registered credential ${old}, obtained before the issuer was deleted: accepted (docs/intune.md §1.3 says it stays invalid)`,
      );
    } else if (r.code.startsWith("http-5")) {
      throw new Error(`re-registering an old credential answered ${r.code}`);
    }
    await deviceChecksIn(m, w, d);
  }
  toString(): string {
    return `ReRegisterOldCredential(slot ${this.slot})`;
  }
}
