import type { DeviceAgent } from "../agent/index.js";
import type { RunOutcome } from "../report/index.js";

/**
 * Counts by name. A Map, not an object literal: names include failure reasons that come from a server's answer, and
 * an outside string never becomes a plain-object key ("constructor" would read Object's own constructor).
 */
class Tally {
  readonly #counts = new Map<string, number>();
  add(key: string, by = 1): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + by);
  }
  /** As JSON (own properties only), optionally sorted by name. */
  toJSON(sorted = false): Record<string, number> {
    const entries = [...this.#counts];
    if (sorted) entries.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return Object.fromEntries(entries);
  }
}

/** Counts only (issue 4 §4): the same for every run with the same seed and options. */
export function outcomeOf(agents: readonly DeviceAgent[], end: Date, injected: Record<string, number>[]): RunOutcome {
  const failed = new Tally();
  const counts = new Tally();
  const add = (tally: Tally, key: string, by = 1) => tally.add(key, by);
  const retired = new Tally();
  let enrolled = 0;
  let renewed = 0;
  for (const a of agents) {
    const e = a.end(end);
    if (e.category === "enrolled") enrolled++;
    else if (e.category === "renewed") renewed++;
    else if (e.category === "retired") add(retired, e.reason ?? "unknown");
    else add(failed, e.reason ?? "unknown");
    if (a.reEnrolments) add(counts, "re-enrolments", a.reEnrolments);
    add(counts, a.platform);
    if (a.keystoreKind === "hardware") add(counts, "keystore:hardware");
    const kind = a.credentialKind;
    if (kind === "hardware") add(counts, "credentials:hardware");
    if (kind !== undefined && kind !== a.keystoreKind) add(counts, "credentials:keystore-mismatch"); // never, if issuers are right
    add(counts, `issuer:${a.issuer}`);
    add(counts, "renewals", a.renewals);
    for (const p of a.profiles.values()) add(counts, p.ok ? "profiles:ok" : "profiles:failed");
  }
  for (const faults of injected) for (const [kind, n] of Object.entries(faults)) if (n) add(counts, kind.startsWith("faults:") ? kind : `faults:${kind}`, n);
  return { devices: agents.length, enrolled, renewed, failed: failed.toJSON(), retired: retired.toJSON(), counts: counts.toJSON() };
}

/** Outcome counts of several shards, added up (every field is a count), with the names sorted. */
export function mergeOutcomes(parts: readonly RunOutcome[]): RunOutcome {
  const failed = new Tally();
  const retired = new Tally();
  const counts = new Tally();
  let devices = 0;
  let enrolled = 0;
  let renewed = 0;
  for (const p of parts) {
    devices += p.devices;
    enrolled += p.enrolled;
    renewed += p.renewed;
    for (const [k, n] of Object.entries(p.failed)) failed.add(k, n);
    for (const [k, n] of Object.entries(p.retired)) retired.add(k, n);
    for (const [k, n] of Object.entries(p.counts)) counts.add(k, n);
  }
  return { devices, enrolled, renewed, failed: failed.toJSON(true), retired: retired.toJSON(true), counts: counts.toJSON(true) };
}

/** Counts alone as an outcome of no devices, to merge into a fleet's. */
export function countsOutcome(counts: Record<string, number>): RunOutcome {
  return { devices: 0, enrolled: 0, renewed: 0, failed: {}, retired: {}, counts };
}
