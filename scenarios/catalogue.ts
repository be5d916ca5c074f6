import fc from "fast-check";
import type { IssuerName, Platform } from "../emulators/derived/index.js";
import {
  AdvanceClock,
  arb,
  type CommandArb,
  CreateIssuer,
  CreateProfile,
  DeleteIssuer,
  EditProfile,
  EnrolNewDevice,
  LoseDevice,
  MistypePin,
  type ProfileSpec,
  PukReset,
  Renew,
  RevokeCard,
  type ScenarioCommand,
  SetCompliance,
  SetConditionalAccess,
  TerminateAccount,
  weighted,
} from "./commands/index.js";
import { ISSUERS, type Model, type NotificationType, PLATFORMS } from "./model.js";
import { judgeAtRelyingParties } from "./relying-parties.js";
import type { World } from "./world.js";

/**
 * The named scenarios (`dpclab scenario list`): each is a setup (generated too, so it can vary the issuer or the
 * platform between runs) and a weighted set of commands fast-check draws sequences from. Every invariant of
 * scenarios/invariants.ts is checked in every scenario; `covers` names what the scenario is there to exercise.
 */
export interface Scenario {
  name: string;
  title: string;
  /** Rule IDs and reference sections the scenario exercises most. */
  covers: string[];
  setup: fc.Arbitrary<ScenarioCommand[]>;
  commands: CommandArb[];
  maxCommands: number;
  /** Runs of `dpclab scenario run` by default. */
  runs: number;
  /** Runs of the vitest suite (small: the whole catalogue stays within a few minutes on two cores). */
  testRuns: number;
  finally?: (m: Model, w: World) => void | Promise<void>;
  /** It serves the lab's CRLs and OCSP to real servers: its deck must be made with `servesStatus`. */
  servesStatus?: true;
}

const profile = (spec: Partial<ProfileSpec> & Pick<ProfileSpec, "kind" | "platform">): CreateProfile =>
  new CreateProfile({ derivedCredential: false, issuerAccess: false, cameraBlocked: false, assign: true, ...spec });

/**
 * A tenant as the docs tell an admin to set it up (docs/intune.md §1.2, §1.6–§1.8): the issuer, a trusted root profile per
 * platform, a corporate Wi-Fi that reaches the issuer without needing the credential, and the derived credential
 * app-authentication profiles, all assigned to the scenario group. No lint fires on it.
 */
export function baseline(issuer: IssuerName, notificationType: NotificationType = "companyPortal"): ScenarioCommand[] {
  return [
    new CreateIssuer(issuer, notificationType, 20),
    ...PLATFORMS.flatMap((platform) => [
      profile({ kind: "trustedRoot", platform }),
      profile({ kind: "wifi", platform, issuerAccess: true }),
      profile({ kind: "appAuth", platform, derivedCredential: true }),
    ]),
  ];
}

const enrolments = (n: number, platforms: readonly Platform[] = PLATFORMS) =>
  Array.from({ length: n }, (_, i) => new EnrolNewDevice(platforms[i % platforms.length] as Platform, i, "tenant", false));

const anyIssuer = fc.constantFrom(...ISSUERS);
const anyPlatform = fc.constantFrom(...PLATFORMS);

/** A scenario's own check at the end of each run: what it is about must have happened (by the model's accounting). */
function happened(w: World, what: string, atLeast = 1): void {
  const n = w.stats.get(what) ?? 0;
  if (n < atLeast) throw new Error(`the scenario never met "${what}" (${n} times): its setup no longer sets it up`);
}

function enrolment(issuer: IssuerName, platform: Platform): Scenario {
  return {
    name: `enrol-${issuer}-${platform}`,
    title: `enrolment with ${issuer} on ${platform}: MDM enrolment, the ${issuer} workflow at the kiosk, registration, check-in (docs/intune.md §2)`,
    covers: ["DC-ISS-04", "DC-ISS-12", "CERT-01…CERT-14", "docs/intune.md §2", platform === "android" ? "docs/intune.md §1.6 (iOS-only objects)" : "DC-KEY-03"],
    setup: fc.constant([...baseline(issuer), new EnrolNewDevice(platform, 0, "tenant", false)]),
    commands: weighted([4, arb.enrol([platform], ["tenant"])], [1, arb.checkIn()], [1, arb.renew()], [1, arb.advance(["1d"])], [1, arb.mistypePin()]),
    maxCommands: 6,
    runs: 30,
    testRuns: 8,
  };
}

export const CATALOGUE: readonly Scenario[] = [
  ...ISSUERS.flatMap((issuer) => PLATFORMS.map((platform) => enrolment(issuer, platform))),
  {
    name: "renewal-storm",
    title: "six devices enrolled at one instant reach the renewal threshold together: one notice each, renewal by re-issuance (Intercede: rekey)",
    covers: ["docs/intune.md §1.4", "DC-MNT-06", "DC-MNT-01"],
    setup: anyIssuer.map((issuer) => [...baseline(issuer, "companyPortal,email"), ...enrolments(6), new AdvanceClock("to-renewal")]),
    commands: weighted(
      [3, arb.advance(["to-renewal", "to-rekey", "1d"])],
      [4, arb.renew()],
      [2, arb.rekey()],
      [1, arb.checkIn()],
      [1, arb.raceRenewRevoke()],
      [1, arb.changeSettings()],
    ),
    maxCommands: 12,
    runs: 30,
    testRuns: 10,
    finally: (m) => {
      // Six credentials reached the threshold at one instant: each got its notice, on both channels, once.
      const first = m.renewalNotices.filter((n) => n.credential < 6);
      if (first.length !== 12) throw new Error(`the storm's six credentials got ${first.length} renewal notices, not 6 × 2 channels`);
    },
  },
  {
    name: "issuer-change",
    title: "the admin deletes the issuer and adds one (maybe the same) again: old credentials invalid, profiles need an edit, users re-enrol",
    covers: ["docs/intune.md §1.3", "docs/intune.md §5.1"],
    setup: fc
      .tuple(anyIssuer, anyIssuer)
      .map(([from, to]) => [
        ...baseline(from),
        ...enrolments(3),
        new DeleteIssuer(),
        new CreateIssuer(to, "companyPortal", 20),
        ...PLATFORMS.map((_, i) => new EditProfile(2 + 3 * i)),
        new Renew(0, false),
      ]),
    commands: weighted(
      [2, arb.deleteIssuer()],
      [2, arb.createIssuer()],
      [2, arb.editProfile()],
      [3, arb.renew()],
      [2, arb.reRegisterOld()],
      [2, arb.raceIssuerDelete()],
      [1, arb.enrol(PLATFORMS, ["tenant"])],
      [1, arb.checkIn()],
      [1, arb.advance(["1d", "to-renewal"])],
    ),
    maxCommands: 12,
    runs: 30,
    testRuns: 10,
  },
  {
    name: "card-revoked-in-window",
    title: "a PIV Card revoked within seven days of obtaining a credential revokes it at the recheck; revoked later, it does not",
    covers: ["DC-ISS-06", "DC-LNK-04", "DC-ISS-04"],
    setup: anyIssuer.map((issuer) => [...baseline(issuer), ...enrolments(3), new AdvanceClock("1d"), new RevokeCard(0), new AdvanceClock("8d")]),
    commands: weighted(
      [3, arb.revokeCard()],
      [3, arb.advance(["1d", "8d", "to-rekey"])],
      [2, arb.renew()],
      [1, arb.rekey()],
      [2, arb.raceRenewRevoke()],
      [1, arb.enrol(PLATFORMS, ["tenant"])],
      [1, arb.checkIn()],
    ),
    maxCommands: 10,
    runs: 30,
    testRuns: 10,
    finally: (m) => {
      const first = m.credentials[0];
      if (first?.revokedFor !== "recheck" && first?.revokedFor !== "lost")
        throw new Error("the credential of the card revoked on day 1 survived its seven-day recheck");
    },
  },
  {
    name: "account-termination",
    title: "a terminated PIV identity account: every derived credential revoked at the issuers' next check, nothing new issued or rekeyed",
    covers: ["DC-TRM-02", "DC-LNK-02", "DC-LNK-03", "DC-MNT-03"],
    setup: anyIssuer.map((issuer) => [...baseline(issuer), ...enrolments(3), new TerminateAccount(0), new AdvanceClock("1d"), new Renew(0, false)]),
    commands: weighted(
      [2, arb.terminateAccount()],
      [2, arb.advance(["1d", "8d", "to-rekey"])],
      [2, arb.renew()],
      [2, arb.rekey()],
      [1, arb.enrol(PLATFORMS, ["tenant"])],
      [1, arb.checkIn()],
    ),
    maxCommands: 10,
    runs: 30,
    testRuns: 10,
    finally: (_m, w) => happened(w, "account-terminated"),
  },
  {
    name: "camera-blocked",
    title: "a device restriction blocks the camera: Entrust and Intercede cannot scan their QR code, Purebred is unaffected; the lint says so",
    covers: ["docs/intune.md §1.7", "docs/intune.md §4", "camera-blocked-qr-enrolment lint"],
    setup: fc
      .tuple(anyIssuer, anyPlatform)
      .map(([issuer, platform]) => [
        ...baseline(issuer),
        profile({ kind: "restrictions", platform, cameraBlocked: true }),
        new EnrolNewDevice(platform, 0, "tenant", false),
      ]),
    commands: weighted(
      [3, arb.createProfile(["restrictions"])],
      [2, arb.assignProfile()],
      [3, arb.enrol(PLATFORMS, ["tenant"])],
      [1, arb.renew()],
      [1, arb.checkIn()],
    ),
    maxCommands: 8,
    runs: 30,
    testRuns: 10,
    finally: (m, w) => {
      if (m.issuer?.name !== "purebred") happened(w, "camera-blocked");
    },
  },
  {
    name: "conditional-access-email",
    title: "email-only notifications with conditional access blocking email on non-compliant devices: renewal notices not delivered; the lint warns",
    covers: ["docs/intune.md §1.2", "docs/intune.md §1.7", "docs/intune.md §4", "DC-ISS-02"],
    setup: anyIssuer.map((issuer) => [
      ...baseline(issuer, "email"),
      new SetConditionalAccess(true),
      ...enrolments(3),
      new SetCompliance(0, false),
      new AdvanceClock("to-renewal"),
    ]),
    commands: weighted(
      [3, arb.compliance()],
      [2, arb.advance(["to-renewal", "1d"])],
      [1, arb.conditionalAccess()],
      [1, arb.changeSettings()],
      [2, arb.renew()],
      [1, arb.checkIn()],
    ),
    maxCommands: 10,
    runs: 30,
    testRuns: 10,
    finally: (m) => {
      if (!m.renewalNotices.some((n) => n.device === 0 && n.channel === "email" && !n.delivered))
        throw new Error("the non-compliant device's renewal email was not blocked");
    },
  },
  {
    name: "deadlock-lint",
    title: "Purebred reached only through a Wi-Fi that needs the derived credential: the deadlock lint fires and enrolment fails until another path exists",
    covers: ["docs/intune.md §1.7", "docs/intune.md §1.8", "issuer-access-deadlock lint", "purebred-no-network-access lint"],
    setup: fc.constant([
      new CreateIssuer("purebred", "companyPortal", 20),
      ...PLATFORMS.flatMap((platform) => [
        profile({ kind: "trustedRoot", platform }),
        profile({ kind: "wifi", platform, derivedCredential: true, issuerAccess: true }),
      ]),
      new EnrolNewDevice("ios", 0, "tenant", false),
    ]),
    commands: weighted(
      [3, arb.enrol(PLATFORMS, ["tenant"])],
      [2, arb.createProfile(["wifi", "vpn"])],
      [1, arb.assignProfile()],
      [1, arb.editProfile()],
      [2, arb.renew()],
    ),
    maxCommands: 8,
    runs: 30,
    testRuns: 10,
    finally: (_m, w) => happened(w, "no-on-premises-network"),
  },
  {
    name: "lost-device",
    title: "a device reported lost: its credentials revoked at every issuer, the tenant retires it, no rekey from it",
    covers: ["DC-TRM-01", "DC-TRM-03", "DC-TRM-04"],
    setup: anyIssuer.map((issuer) => [...baseline(issuer), ...enrolments(3), new LoseDevice(0)]),
    commands: weighted(
      [2, arb.loseDevice()],
      [3, arb.lostDeviceTriesAgain()],
      [2, arb.rekey()],
      [2, arb.renew()],
      [1, arb.enrol()],
      [2, arb.advance(["1d", "to-rekey"])],
      [1, arb.checkIn()],
    ),
    maxCommands: 10,
    runs: 30,
    testRuns: 10,
  },
  {
    name: "relying-parties",
    title:
      "real relying parties (nginx, OpenVPN, FreeRADIUS, openssl cms) accept exactly the valid credentials: a revoked one refused by every one, a renewed one accepted while its revoked predecessor is refused, an old one after an issuer change judged by its CA",
    covers: ["DC-TRM-01", "DC-TRM-03", "DC-MNT-06", "DC-ISS-06", "DC-LIFE-02"],
    setup: anyIssuer.map((issuer) => [...baseline(issuer), ...enrolments(3), new LoseDevice(0)]),
    commands: weighted(
      [2, arb.renew()],
      [2, arb.rekey()],
      [2, arb.loseDevice()],
      [1, arb.revokeCard()],
      [2, arb.advance(["1d", "8d", "to-rekey", "past-expiry"])],
      [1, arb.deleteIssuer()],
      [1, arb.createIssuer()],
      [1, arb.checkIn()],
      [1, arb.enrol()],
    ),
    maxCommands: 6,
    runs: 10,
    testRuns: 3,
    servesStatus: true,
    finally: async (m, w) => {
      await judgeAtRelyingParties(m, w);
      happened(w, "relying-party:refused-revoked");
    },
  },
  {
    name: "pin-lockout-puk-reset",
    title: "mistyped PINs block the card after 10 tries, the PUK resets it; two kiosks using one card at once keep the count exact",
    covers: ["DC-ACT-07", "DC-ACT-04", "DC-ISS-04"],
    setup: anyIssuer.map((issuer) => [
      ...baseline(issuer),
      ...enrolments(2),
      ...Array.from({ length: 11 }, () => new MistypePin(0, issuer)),
      new Renew(0, false),
      new PukReset(0, false),
      new PukReset(0, true),
      new Renew(0, false),
    ]),
    commands: weighted([6, arb.mistypePin()], [2, arb.pukReset()], [2, arb.racePin()], [2, arb.enrol(PLATFORMS, ["tenant"])], [1, arb.renew()]),
    maxCommands: 25,
    runs: 30,
    testRuns: 10,
    finally: (_m, w) => happened(w, "card-blocked", 2),
  },
  {
    name: "everything",
    title: "the whole model: every command, every issuer and platform, every invariant",
    covers: ["all invariants"],
    setup: fc.oneof(
      fc.constant<ScenarioCommand[]>([]),
      anyIssuer.map((issuer) => baseline(issuer)),
    ),
    commands: weighted(
      [2, arb.createIssuer()],
      [1, arb.deleteIssuer()],
      [1, arb.changeSettings()],
      [3, arb.createProfile()],
      [1, arb.editProfile()],
      [1, arb.assignProfile()],
      [1, arb.conditionalAccess()],
      [1, arb.compliance()],
      [4, arb.enrol()],
      [2, arb.renew()],
      [1, arb.rekey()],
      [1, arb.checkIn()],
      [1, arb.loseDevice()],
      [1, arb.reRegisterOld()],
      [2, arb.mistypePin()],
      [1, arb.pukReset()],
      [1, arb.revokeCard()],
      [1, arb.terminateAccount()],
      [2, arb.advance()],
      [1, arb.raceRenewRevoke()],
      [1, arb.raceIssuerDelete()],
      [1, arb.racePin()],
    ),
    maxCommands: 25,
    runs: 100,
    testRuns: 25,
  },
];

export function scenarioByName(name: string): Scenario | undefined {
  return CATALOGUE.find((s) => s.name === name);
}
