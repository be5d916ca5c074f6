import type { FleetMetrics } from "../metrics/index.js";

/**
 * The requests that are a flow step of their own, timed where the device sees them: PKI-AUTH is the kiosk login
 * (the issuer validates the card's certificate path, its revocation status and the challenge signature; the card's
 * own signature before it takes well under a millisecond), issue is the request that returns the new certificates.
 */
const TIMED_STEPS: readonly { step: "pki-auth" | "issue"; path: RegExp }[] = [
  { step: "pki-auth", path: /^\/issuers\/[a-z]+\/kiosk\/login$/ },
  { step: "issue", path: /^\/issuers\/entrust\/mobile\/activate$/ },
  { step: "issue", path: /^\/issuers\/intercede\/.*\/(activations|rekey)$/ },
  { step: "issue", path: /^\/issuers\/purebred\/registrations\/[^/]+\/credentials$/ },
];

/** Times each successful POST that is a PKI-AUTH or an issuance, per attempt (a retried request counts once it works). */
export function stepTimingFetch(inner: typeof fetch, metrics: FleetMetrics): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    if (method !== "POST") return inner(input, init);
    const url = input instanceof Request ? input.url : input instanceof URL ? input.href : input;
    const pathname = new URL(url, "http://x").pathname;
    const step = TIMED_STEPS.find((t) => t.path.test(pathname))?.step;
    if (!step) return inner(input, init);
    const started = performance.now();
    const response = await inner(input, init);
    if (response.ok) metrics.recordLatency(step, performance.now() - started, performance.timeOrigin + performance.now());
    return response;
  }) as typeof fetch;
}
