import type { IssuerName } from "../../emulators/derived/index.js";
import type { EnrolmentInput, EnrolmentResult, EnrolmentStep, JsonClient, SimulatedDevice } from "../clients/index.js";
import type { DeviceKey } from "../keystore/index.js";

/** A credential an issuer installed on the phone, with what its own renewal needs. */
export interface IssuedCredential extends EnrolmentResult {
  /** When the issuer renews it by itself (Intercede's Identity Agent); absent when only the tenant says when. */
  rekeyDueAt?: string;
  /** The device keys it certifies, when the issuer's rekey is proved with them (DC-MNT-01). */
  keys?: { pivAuth: DeviceKey; signing?: DeviceKey };
}

/** A rekey without the kiosk: the held credential and its current key, the proof. */
export interface RekeyInput {
  client: JsonClient;
  device: SimulatedDevice;
  credential: { credentialId: string; key: DeviceKey };
  onStep?: (step: EnrolmentStep) => void;
}

/** The issuer opened no rekey yet (from `dueAt`), or rekeyed into a new credential. */
export type RekeyOutcome = { due: false; dueAt: string; steps: EnrolmentStep[] } | ({ due: true } & IssuedCredential);

/**
 * One issuer as the device side sees it, one file per issuer, registered by name in registry.ts (as step-ca
 * registers its provisioners): how a phone enrols, and how a held credential is renewed.
 */
export interface IssuerWorkflow {
  readonly name: IssuerName;
  /** The enrolment needs a registration agent at the console (Purebred): the caller brings `agent`. */
  readonly needsAgent: boolean;
  /** The workflow at the kiosk and on the phone. A renewal is this again, with a new key (docs/intune.md §1.4)… */
  enrol(input: EnrolmentInput): Promise<IssuedCredential>;
  /** …unless the issuer rekeys without the kiosk, proved with the current key (Intercede's Identity Agent, DC-MNT-01). */
  rekey?(input: RekeyInput): Promise<RekeyOutcome>;
}
