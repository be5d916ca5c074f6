import type { PivCard } from "../../src/piv/index.js";
import type { KeyAlgorithm } from "../../src/pki/index.js";
import type { JsonClient } from "./http-json.js";
import type { SimulatedDevice } from "./simulated-device.js";

/** One step of a workflow as the user lives it, for a transcript or a progress line. */
export interface EnrolmentStep {
  step: string;
  detail: string;
}

/** What every issuer's enrolment client takes: the lab, the cardholder at the kiosk with their PIV Card, the phone. */
export interface EnrolmentInput {
  /** Reaches the issuer: the kiosk and the phone talk to the same server (the phone's requests drop the kiosk session). */
  client: JsonClient;
  card: PivCard;
  pin: string;
  device: SimulatedDevice;
  /** The registration agent who supervises at the console, with their own PIV Card (Purebred; the others ignore it). */
  agent?: { card: PivCard; pin: string };
  /** Derived key algorithm; default P-256. */
  alg?: KeyAlgorithm;
  onStep?: (step: EnrolmentStep) => void;
  /** Called when the kiosk shows the one-time secret, before the phone uses it (a simulated user may dawdle past expiresAt). */
  onSecretShown?: (expiresAt: string) => void;
}

/** What every enrolment installs on the phone. */
export interface EnrolmentResult {
  certificates: { pivAuth: Uint8Array; signing?: Uint8Array; encryption?: Uint8Array };
  /** iOS: the escrowed S/MIME key-management key, PKCS#8. */
  encryptionKeyPkcs8?: Uint8Array;
  /** Issuer CA certificate, then the TEST root (DER). */
  chain: Uint8Array[];
  credentialId: string;
  steps: EnrolmentStep[];
}
