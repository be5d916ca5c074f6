import fc from "fast-check";
import type { IssuerName, Platform } from "../../emulators/derived/index.js";
import { ISSUERS, MAX_DEVICES, type NotificationType, PLATFORMS, type ProfileKind, USER_CARDS } from "../model.js";
import { MistypePin, PukReset, RevokeCard, TerminateAccount } from "./cards.js";
import { type Advance, AdvanceClock } from "./clock.js";
import type { ScenarioCommand } from "./command.js";
import { CheckIn, EnrolNewDevice, type IssuerChoice, LoseDevice, LostDeviceTriesAgain, Rekey, Renew, ReRegisterOldCredential } from "./devices.js";
import { RaceConcurrentPinAttempts, RaceIssuerDeleteDuringEnrolment, RaceRenewVsCardRevocation } from "./races.js";
import {
  AssignProfile,
  ChangeSettings,
  CreateIssuer,
  CreateProfile,
  DeleteIssuer,
  EditProfile,
  type ProfileSpec,
  SetCompliance,
  SetConditionalAccess,
} from "./tenant.js";

export * from "./cards.js";
export * from "./clock.js";
export { ScenarioCommand } from "./command.js";
export * from "./devices.js";
export * from "./races.js";
export * from "./tenant.js";

/**
 * The arbitraries of the commands, one per command, parameterised so that a catalogue entry can narrow them (one
 * issuer, one platform …). The catalogue picks and weighs them.
 */
const slot = fc.nat({ max: MAX_DEVICES * 2 - 1 });
const cardSlot = fc.nat({ max: USER_CARDS.length - 1 });
/** How long the other side of a race is busy before it acts (in steps): spreads it over the whole flow. */
const busy = fc.nat({ max: 16 });
/** One enrolment in six starts with a mistyped PIN. */
const typo = fc.nat({ max: 5 }).map((n) => n === 5); // shrinks towards no typo
const notification = fc.constantFrom<NotificationType>("companyPortal", "companyPortal,email", "email", "none");

export type CommandArb = fc.Arbitrary<ScenarioCommand>;

export const arb = {
  createIssuer: (issuers: readonly IssuerName[] = ISSUERS, notifications: fc.Arbitrary<NotificationType> = notification): CommandArb =>
    fc.tuple(fc.constantFrom(...issuers), notifications, fc.constantFrom(10, 20, 30)).map(([i, n, t]) => new CreateIssuer(i, n, t)),
  deleteIssuer: (): CommandArb => fc.constant(new DeleteIssuer()),
  changeSettings: (): CommandArb =>
    fc
      .tuple(notification, fc.constantFrom(10, 20, 30), fc.option(fc.constantFrom(...ISSUERS), { freq: 4, nil: undefined }))
      .map(([n, t, i]) => new ChangeSettings(n, t, i)),
  createProfile: (
    kinds: readonly ProfileKind[] = ["wifi", "vpn", "email", "appAuth", "trustedRoot", "restrictions"],
    platforms: readonly Platform[] = PLATFORMS,
  ): CommandArb =>
    fc
      .record<ProfileSpec>({
        kind: fc.constantFrom(...kinds),
        platform: fc.constantFrom(...platforms),
        derivedCredential: fc.boolean(),
        issuerAccess: fc.boolean(),
        cameraBlocked: fc.boolean(),
        assign: fc.boolean(),
      })
      .map((spec) => new CreateProfile(spec)),
  editProfile: (): CommandArb => slot.map((s) => new EditProfile(s)),
  assignProfile: (): CommandArb => fc.tuple(slot, fc.boolean()).map(([s, on]) => new AssignProfile(s, on)),
  conditionalAccess: (): CommandArb => fc.boolean().map((b) => new SetConditionalAccess(b)),
  compliance: (): CommandArb => fc.tuple(slot, fc.boolean()).map(([s, c]) => new SetCompliance(s, c)),
  enrol: (platforms: readonly Platform[] = PLATFORMS, issuers: readonly IssuerChoice[] = ["tenant", "tenant", ...ISSUERS]): CommandArb =>
    fc.tuple(fc.constantFrom(...platforms), cardSlot, fc.constantFrom(...issuers), typo).map(([p, c, i, typo]) => new EnrolNewDevice(p, c, i, typo)),
  renew: (): CommandArb => fc.tuple(slot, typo).map(([s, typo]) => new Renew(s, typo)),
  rekey: (): CommandArb => slot.map((s) => new Rekey(s)),
  checkIn: (): CommandArb => slot.map((s) => new CheckIn(s)),
  loseDevice: (): CommandArb => slot.map((s) => new LoseDevice(s)),
  lostDeviceTriesAgain: (): CommandArb =>
    fc.tuple(slot, fc.constantFrom("rekey" as const, "workflow" as const)).map(([s, how]) => new LostDeviceTriesAgain(s, how)),
  reRegisterOld: (): CommandArb => slot.map((s) => new ReRegisterOldCredential(s)),
  mistypePin: (): CommandArb => fc.tuple(cardSlot, fc.constantFrom(...ISSUERS)).map(([c, i]) => new MistypePin(c, i)),
  pukReset: (): CommandArb => fc.tuple(cardSlot, fc.boolean()).map(([c, right]) => new PukReset(c, right)),
  revokeCard: (): CommandArb => cardSlot.map((c) => new RevokeCard(c)),
  terminateAccount: (): CommandArb => cardSlot.map((c) => new TerminateAccount(c)),
  advance: (kinds: readonly Advance[] = ["1d", "8d", "to-renewal", "to-rekey", "past-expiry"]): CommandArb =>
    fc.constantFrom(...kinds).map((k) => new AdvanceClock(k)),
  raceRenewRevoke: (): CommandArb => fc.tuple(slot, busy, fc.scheduler()).map(([s, b, sch]) => new RaceRenewVsCardRevocation(s, b, sch)),
  raceIssuerDelete: (platforms: readonly Platform[] = PLATFORMS): CommandArb =>
    fc
      .tuple(fc.constantFrom(...platforms), cardSlot, fc.boolean(), busy, fc.scheduler())
      .map(([p, c, readd, b, s]) => new RaceIssuerDeleteDuringEnrolment(p, c, readd, b, s)),
  racePin: (): CommandArb => {
    const side = fc.record({ issuer: fc.constantFrom(...ISSUERS), pins: fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }) });
    return fc.tuple(cardSlot, side, side, fc.scheduler()).map(([c, a, b, s]) => new RaceConcurrentPinAttempts(c, a, b, s));
  },
};

/** A weighted choice, for fc.commands: each arbitrary repeated `weight` times. */
export function weighted(...entries: [number, CommandArb][]): CommandArb[] {
  return entries.flatMap(([w, a]) => Array.from({ length: w }, () => a));
}
