import type { IssuerName } from "../emulators/derived/index.js";
import { type Attempt, attempt, cameraAllowedBy, checkIn, type Delivered, expectOutcome, hold, issuerWorkflow, register, replaySecrets } from "./flows.js";
import { checkDelivered } from "./invariants.js";
import {
  cameraBlocked,
  card,
  credential,
  type DeviceModel,
  MAX_PIN_TRIES,
  type Model,
  checkIn as modelCheckIn,
  type Outcome,
  onPremises,
  predictRegistration,
  VALIDITY_MS,
} from "./model.js";
import type { CapturedRequest, Step, World } from "./world.js";

/**
 * The steps commands and races are made of, each doing the real thing and keeping the model in step: a check-in, an
 * issuer workflow (its effect on the PIN counter, the credential it mints), the registration with the tenant.
 */

/** A check-in: the tenant's state of the device's credential must be the model's (INV-TENANT-STATE, docs/intune.md §1.4). */
export async function deviceChecksIn(m: Model, w: World, d: DeviceModel, step?: Step): Promise<boolean> {
  const real = w.device(d.index);
  const result = await checkIn(w, real, step);
  const expected = modelCheckIn(m, d);
  if (result.derivedCredential.state !== expected) {
    throw new Error(`check-in of device ${d.index}: the tenant says ${result.derivedCredential.state}, the model says ${expected}`);
  }
  real.policyTypes = result.policies.map((p) => p.type);
  const camera = cameraAllowedBy(result);
  if (camera === cameraBlocked(m, d.platform))
    throw new Error(`device ${d.index}: camera ${camera ? "allowed" : "blocked"} by its policies, the model disagrees`);
  return camera;
}

/** The PIN entries of a workflow: a typo costs a try, the right PIN resets the counter (unless the card is blocked). */
export function applyPinUse(m: Model, cardIndex: number, typo: boolean): void {
  const c = card(m, cardIndex);
  if (c.triesLeft <= 0) return;
  if (typo) c.triesLeft--;
  if (c.triesLeft > 0) c.triesLeft = MAX_PIN_TRIES;
}

/** Does the workflow get as far as the kiosk's PIN prompt? Entrust checks the camera first (fleet/clients/entrust-client). */
export function reachesKiosk(m: Model, d: DeviceModel, issuer: IssuerName): boolean {
  return !(issuer === "entrust" && cameraBlocked(m, d.platform));
}

/** Runs an issuer workflow for a device: real only (the caller predicts and applies the model). */
export async function runWorkflow(
  m: Model,
  w: World,
  d: DeviceModel,
  issuer: IssuerName,
  opts: { cameraAllowed: boolean; typo?: boolean; step?: Step; captured: CapturedRequest[] },
): Promise<Attempt<Delivered>> {
  return attempt(() =>
    issuerWorkflow(w, {
      device: w.device(d.index),
      issuer,
      cardIndex: d.cardIndex,
      cameraAllowed: opts.cameraAllowed,
      onPremisesNetwork: onPremises(m, d),
      ...(opts.typo ? { typo: true } : {}),
      ...(opts.step ? { step: opts.step } : {}),
      captured: opts.captured,
    }),
  );
}

/**
 * A credential was delivered to a device: the model and the world record it, the certificate is judged (INV-CERT),
 * and its one-time secrets are presented again (INV-ONE-TIME).
 */
export async function recordDelivered(
  m: Model,
  w: World,
  d: DeviceModel,
  delivered: Delivered,
  how: { via: "pki-auth" } | { via: "rekey"; predecessor: number },
  captured: CapturedRequest[],
): Promise<number> {
  const id = m.credentials.length;
  const predecessor = how.via === "rekey" ? credential(m, how.predecessor) : undefined;
  m.credentials.push({
    id,
    issuer: delivered.issuer,
    cardIndex: d.cardIndex,
    device: d.index,
    platform: d.platform,
    issuedAt: m.now,
    notAfter: m.now + VALIDITY_MS,
    issuedUnder: m.issuer ? m.generation : undefined,
    deletionsBefore: m.deletions.length,
    via: how.via,
    pkiAuthAt: predecessor ? predecessor.pkiAuthAt : m.now,
    rechecked: false,
    ...(predecessor ? { predecessor: predecessor.id } : {}),
  });
  const real = w.device(d.index);
  const held = hold(id, delivered);
  real.held = held;
  real.history.push(held);
  w.minted[id] = { model: id, issuer: delivered.issuer, credentialId: delivered.credentialId, serialNumber: held.serialNumber };
  d.held = id;
  if (held.notAfter.getTime() - w.startMs !== m.now + VALIDITY_MS || held.notBefore.getTime() - w.startMs !== m.now) {
    throw new Error(
      `credential ${id}: valid ${held.notBefore.toISOString()} – ${held.notAfter.toISOString()}, the model expected ${VALIDITY_MS / 86_400_000} days from now`,
    );
  }
  await checkDelivered(w, delivered.issuer, delivered.certificates.pivAuth, delivered.chain);
  await replaySecrets(w, real, captured);
  return id;
}

/** The device registers the credential it holds with the tenant; the model predicts the tenant's answer. */
export async function registerHeld(m: Model, w: World, d: DeviceModel, predicted: Outcome = predictHeldRegistration(m, d), step?: Step): Promise<void> {
  const real = w.device(d.index);
  const held = real.held;
  if (!held || d.held === undefined) throw new Error(`device ${d.index} holds no credential to register`);
  const r = await attempt(() => register(w, real, held, step));
  expectOutcome(w, `device ${d.index} registers credential ${d.held}`, predicted, r);
  if (r.ok) d.registered = { credential: d.held, generation: m.generation };
}

export function predictHeldRegistration(m: Model, d: DeviceModel): Outcome {
  if (d.held === undefined) throw new Error(`device ${d.index} holds no credential`);
  const held = credential(m, d.held);
  return predictRegistration(m, held.issuer, held.issuedAt);
}
