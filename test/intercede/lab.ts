import type { ApplicantAuthenticator, DerivedIssuance } from "../../emulators/derived/index.js";
import type { IntercedeEmulator, IntercedeEmulatorOptions } from "../../emulators/intercede/index.js";
import type { CardIssuer } from "../../emulators/piv-ca/index.js";
import type { IssuingAuthority } from "../../emulators/shared/index.js";
import type { EmulatorSettings } from "../../emulators/stack/index.js";
import { type ServedStackLab, servedStackLab } from "../helpers/stack-lab.js";

/**
 * A MyID lab: the served lab stack (test/helpers/stack-lab.ts: real SoftHSM cards, the Intune-like tenant as device
 * approver, the three issuers, every CA's publication on one loopback server), seen from the Intercede side.
 */
export interface IntercedeLab extends ServedStackLab {
  /** The current stack's (after `emulator`, the new one's). */
  readonly cardIssuer: CardIssuer;
  readonly authenticator: ApplicantAuthenticator;
  /** The Intercede issuer CA (kept on disk: the same across `emulator` calls). */
  authority: IssuingAuthority;
  /** PEM files for openssl: root, issuer CA. */
  rootPem: string;
  caPem: string;
  /**
   * A MyID with these settings: a rebuilt stack on the same lab and clock (rebuild in test/helpers/stack-lab.ts),
   * served in-process and on the server from now on. Its issuance, tenant and kiosk are new: enrol devices after it.
   */
  emulator(opts?: EmulatorSettings<IntercedeEmulatorOptions> & { validityDays?: number }): Promise<{ issuance: DerivedIssuance; myid: IntercedeEmulator }>;
}

export async function makeIntercedeLab(opts: { cards: number; seed: string; start: Date }): Promise<IntercedeLab> {
  const world = await servedStackLab({ seed: opts.seed, cards: opts.cards, start: opts.start });
  const authority = world.stack.issuers.intercede.issuance.authority;
  const lab = Object.assign(world, {
    authority,
    rootPem: world.pem("root", new Uint8Array(world.stack.cardIssuer.root.certificate.rawData)),
    caPem: world.pem("intercede-ca", new Uint8Array(authority.certificate.rawData)),
    async emulator(o: EmulatorSettings<IntercedeEmulatorOptions> & { validityDays?: number } = {}) {
      const { validityDays, ...settings } = o;
      const stack = await world.rebuild({ validityDays, settings: { intercede: settings } });
      return { issuance: stack.issuers.intercede.issuance, myid: stack.emulators.intercede };
    },
  });
  return Object.defineProperties(lab, {
    cardIssuer: { get: () => world.stack.cardIssuer },
    authenticator: { get: () => world.stack.authenticator },
  }) as IntercedeLab;
}
