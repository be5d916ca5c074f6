/** The flow steps the fleet times, in the order reports list them (other step names sort after these). */
const FLOW_STEPS = ["pki-auth", "enrol", "issue", "profile-apply", "renew", "end-to-end"] as const;

/** Series the reports chart; bucket = simDay(simulated time). */
export const SERIES = {
  /** label "renewals": renewals completed that simulated day. */
  renewalsPerSimDay: "renewals-per-sim-day",
  /** labels are fleet states (enrolled, renewal-due, expired, failed, …): devices in that state at the end of the day. */
  fleetStatePerSimDay: "fleet-state-per-sim-day",
} as const;

/** Counter prefix for failures by reason: `failed:<reason>`; `failed` alone is their sum. */
export const FAILED_PREFIX = "failed:";

/** Orders step names: known flow steps first, in flow order, then the rest alphabetically. */
export function compareSteps(a: string, b: string): number {
  const order = (s: string) => {
    const i = (FLOW_STEPS as readonly string[]).indexOf(s);
    return i < 0 ? FLOW_STEPS.length : i;
  };
  return order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The metrics the relying-party checks keep, named in one place for the checks and the reports. Latency is a flow
 * step (`rp-wifi`: wall ms of the real exchange, in the latency table and usable in --threshold); the
 * revocation-to-refusal histograms hold simulated ms and are kept out of the step table; errors are `failed:` counters,
 * so they are listed among the errors by reason.
 */
export const RELYING_PARTY_METRICS = {
  latency: (kind: string) => `rp-${kind}`,
  revocationPrefix: "rp-revocation-to-refusal:",
  revocationToRefusal: (kind: string) => `rp-revocation-to-refusal:${kind}`,
  accepted: (kind: string) => `rp:${kind}:accepted`,
  refused: (kind: string, reason: string) => `rp:${kind}:refused:${reason}`,
  refusedAfter: (kind: string, cause: string) => `rp:${kind}:revoked-refused:${cause}`,
  notApplicable: (kind: string, why: string) => `rp:${kind}:not-applicable:${why}`,
  refusedValid: (kind: string, reason: string) => `failed:rp-refused-valid:${kind}:${reason}`,
  acceptedRevoked: (kind: string, cause: string) => `failed:rp-accepted-revoked:${kind}:${cause}`,
  unavailable: (kind: string) => `failed:rp-unavailable:${kind}`,
} as const;
