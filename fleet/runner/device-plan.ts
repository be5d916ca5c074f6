import type { IssuerName } from "../../emulators/derived/index.js";
import { ISSUERS } from "../../emulators/stack/index.js";
import { SeededRandom } from "../../src/random.js";
import { type DeviceTraits, pickPlatform } from "../agent/index.js";
import { deviceRandom } from "../sim/index.js";
import type { FleetPlan } from "./fleet-options.js";

export interface UserPlan {
  /** Deck index of the user's card (card 0 is Purebred's registration agent). */
  cardIndex: number;
  issuer: IssuerName;
}

export interface DevicePlan {
  user: number;
  issuer: IssuerName;
  platform: "ios" | "android";
  /** Drawn from the device's own stream (--population); absent: a current phone with a software keystore. */
  hardware?: true;
  traits?: Partial<DeviceTraits>;
}

/** Below the tenant's minimum OS versions (emulators/tenant/managed-device.ts MIN_OS_VERSION). */
const OLD_OS = { ios: "12.4", android: "7.1" } as const;

/**
 * Users and their devices, a pure function of the plan: one card per user, one or two devices per user, the user's
 * issuer fixed (round robin over the three for "mixed"), each device's platform drawn from its own stream.
 */
export function planDevices(plan: FleetPlan): { users: UserPlan[]; devices: DevicePlan[] } {
  const random = new SeededRandom(`${plan.seed}/users`);
  const users: UserPlan[] = [];
  const devices: DevicePlan[] = [];
  while (devices.length < plan.devices) {
    const u = users.length;
    const issuer = plan.issuer === "mixed" ? (ISSUERS[u % ISSUERS.length] as IssuerName) : plan.issuer;
    users.push({ cardIndex: u + 1, issuer });
    const count = Math.min(random.next() < 0.5 ? 1 : 2, plan.devices - devices.length);
    for (let k = 0; k < count; k++) {
      const platform = pickPlatform(plan.mix, deviceRandom(plan.seed, devices.length).fork("platform"));
      devices.push({ user: u, issuer, platform, ...deviceTraits(plan, devices.length, platform) });
    }
  }
  return { users, devices };
}

/** A device's traits from --population: independent draws from its own stream, so they do not depend on other devices. */
function deviceTraits(plan: FleetPlan, device: number, platform: "ios" | "android"): Pick<DevicePlan, "hardware" | "traits"> {
  const p = plan.population;
  if (p.hardware + p.cameraBlocked + p.oldOs + p.offNetwork + p.nonCompliant === 0) return {};
  const random = deviceRandom(plan.seed, device).fork("traits");
  const hardware = random.next() < p.hardware;
  const traits: Partial<DeviceTraits> = {};
  if (random.next() < p.cameraBlocked) traits.cameraAllowed = false;
  if (random.next() < p.oldOs) traits.osVersion = OLD_OS[platform];
  if (random.next() < p.offNetwork) traits.onPremisesNetwork = false;
  if (random.next() < p.nonCompliant) traits.compliant = false;
  return { ...(hardware ? { hardware: true as const } : {}), ...(Object.keys(traits).length ? { traits } : {}) };
}

/**
 * Purebred's registration agent card for a worker: card 0 for the first, one past the users' cards for the others.
 * PKCS#11 login state is per token and process, so two threads signing with one card would log each other out.
 */
export function purebredAgentCard(worker: number, users: number): number {
  return worker === 0 ? 0 : users + worker;
}

/** Cards a fleet needs: one per user (cards 1…users) and one registration agent per worker. */
export function cardsNeeded(users: number, workers: number): number {
  return users + workers;
}
