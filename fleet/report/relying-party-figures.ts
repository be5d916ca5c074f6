import { Histogram, RELYING_PARTY_METRICS as M, type MetricsSnapshot } from "../metrics/index.js";
import { formatMs } from "./format.js";
import type { RunResult } from "./run-result.js";
import { roundMs } from "./step-stats.js";

/** What one relying party made of the fleet's credentials (`--relying-parties`), as the reports show it. */
export interface RelyingPartyFigures {
  /** How it describes itself: program, port, how it checks status. */
  relyingParty: string;
  accepted: number;
  /** Refusals by the relying party's reason (revoked, untrusted, expired, …), expected or not. */
  refused: Record<string, number>;
  /** Wall-clock ms of the real exchange (client start to the relying party's verdict). */
  latency: { count: number; p50: number; p90: number; p95: number; p99: number; max: number };
  /**
   * Simulated ms from a revocation (or an issuer change) to this relying party's first refusal of the credential:
   * 0 when it refused at once; asked again every simulated hour while it still accepted.
   */
  revocationToRefusal: { count: number; p50: number; p95: number; max: number };
  /** Revoked credentials it still accepted when the checks gave up (two simulated days) or the run ended. */
  neverRefused: number;
  /** Credentials it refused while the tenant held them valid: errors, by reason under the errors. */
  refusedValid: number;
  /** Exchanges it could not make at all (did not start, crashed). */
  unavailable: number;
  /** The relying party's own line for the first verdict of each kind (accepted, or the refusal reason). */
  lines: Record<string, string>;
}

const sum = (counters: Record<string, number>, prefix: string) =>
  Object.entries(counters)
    .filter(([k]) => k.startsWith(prefix))
    .reduce((a, [, v]) => a + v, 0);

function stats(snapshot: MetricsSnapshot, name: string) {
  const json = snapshot.latency[name];
  const h = json ? Histogram.fromJSON(json) : new Histogram();
  const at = (p: number) => (h.count ? roundMs(h.percentile(p)) : 0);
  return { count: h.count, p50: at(50), p90: at(90), p95: at(95), p99: at(99), max: h.count ? roundMs(h.max) : 0 };
}

/** Per relying-party kind, in the order they ran; empty for a run without `--relying-parties`. */
export function relyingPartyFigures(r: RunResult): Record<string, RelyingPartyFigures> {
  const ran = r.relyingParties ?? {};
  const c = r.metrics.counters;
  const out: Record<string, RelyingPartyFigures> = {};
  for (const kind of Object.keys(ran).sort()) {
    const refused: Record<string, number> = {};
    const prefix = M.refused(kind, "");
    for (const [k, v] of Object.entries(c)) if (k.startsWith(prefix)) refused[k.slice(prefix.length)] = v;
    const { count, p50, p95, max } = stats(r.metrics, M.revocationToRefusal(kind));
    out[kind] = {
      relyingParty: ran[kind]!.relyingParty,
      accepted: c[M.accepted(kind)] ?? 0,
      refused,
      latency: stats(r.metrics, M.latency(kind)),
      revocationToRefusal: { count, p50, p95, max },
      neverRefused: sum(c, M.acceptedRevoked(kind, "")),
      refusedValid: sum(c, M.refusedValid(kind, "")),
      unavailable: c[M.unavailable(kind)] ?? 0,
      lines: { ...ran[kind]!.lines },
    };
  }
  return out;
}

/** One relying party's figures as the summary and report.html show them, a cell each. */
export function relyingPartyCells(f: RelyingPartyFigures): {
  refused: string;
  latency: [p50: string, p95: string, p99: string];
  revocationToRefusal: string;
  errors: number;
} {
  const ms = (v: number) => (f.latency.count ? formatMs(v) : "-");
  const r = f.revocationToRefusal;
  return {
    refused:
      Object.entries(f.refused)
        .map(([reason, n]) => `${reason} ${n}`)
        .join(", ") || "-",
    latency: [ms(f.latency.p50), ms(f.latency.p95), ms(f.latency.p99)],
    revocationToRefusal: r.count ? `${formatSimulated(r.p50)} / ${formatSimulated(r.max)}` : "-",
    errors: f.refusedValid + f.unavailable,
  };
}

/** A simulated span for people: 0s, 45s, 12.0m, 3.5h, 2.0d. */
export function formatSimulated(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)}m`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)}h`;
  return `${(ms / 86_400_000).toFixed(1)}d`;
}
