/**
 * What a fleet run against a served lab (`--url`) saw of the server itself. A `dpclab serve` that died and came back
 * on a store of its own in memory lost its tenant and issuers: every device then failed for reasons that read like
 * the fleet's own fault ("expired"). The run must say what happened instead, and not exit 0 (issue 10).
 *
 * Two signs: the server's lab instance id (`/__admin/clock` answers it; a lab on a durable store keeps it across
 * restarts, an in-memory one gets a new one) changed, or the server stayed unreachable. An outage the run rode out
 * (the server came back within --ride-out with the same lab: its store kept the state, issue 14) is a note, not a
 * failure.
 */
export class ServerWatch {
  #instance: string | undefined;
  #restarts = 0;
  #refused = 0;
  #firstRefusedAt: string | undefined;
  #firstRestartAt: string | undefined;
  #outages = 0;
  #longestOutageMs = 0;

  constructor(
    private readonly url: string,
    private readonly simulatedNow: () => Date,
  ) {}

  /** An `/__admin/clock` answer: `{ now, instance }`. */
  observe(answer: unknown): void {
    const instance = (answer as { instance?: unknown } | null)?.instance;
    if (typeof instance !== "string") return;
    if (this.#instance !== undefined && instance !== this.#instance) {
      this.#restarts++;
      this.#firstRestartAt ??= this.simulatedNow().toISOString();
    }
    this.#instance = instance;
  }

  /** A request failed on the wire and was not retried any more: counted when it was a refused connection. */
  failed(error: unknown): void {
    if (!isConnectionRefused(error)) return;
    this.#refused++;
    this.#firstRefusedAt ??= this.simulatedNow().toISOString();
  }

  /** The server answered again after being unreachable for `ms` of real time. */
  recovered(ms: number): void {
    this.#outages++;
    this.#longestOutageMs = Math.max(this.#longestOutageMs, ms);
  }

  /** What the run rode out: the server went away and came back with its lab (same instance). */
  notes(): string[] {
    if (this.#outages === 0 || this.#restarts > 0) return [];
    return [
      `the lab at ${this.url} was unreachable ${this.#outages}× (longest ${(this.#longestOutageMs / 1000).toFixed(1)} s) and came back with its state (the same lab instance): the requests were sent again once it answered`,
    ];
  }

  /** One line per kind of trouble, for the summary; empty when the server stayed up. */
  incidents(): string[] {
    const out: string[] = [];
    if (this.#restarts > 0) {
      out.push(
        `the lab at ${this.url} restarted during the run as a new lab (${this.#restarts}×, first seen at simulated ${this.#firstRestartAt}): its tenant and issuers lost the devices and credentials they held (a store in memory?), so devices failed from then on`,
      );
    }
    if (this.#refused > 0) {
      out.push(`the lab at ${this.url} refused ${this.#refused} connection(s) (nothing listening; first at simulated ${this.#firstRefusedAt})`);
    }
    return out;
  }
}

function isConnectionRefused(error: unknown): boolean {
  return errorCodes(error).includes("ECONNREFUSED");
}

/** Refused, reset or closed under a request: the server went away (killed, restarting), not an answer of it. */
export function isConnectionLost(error: unknown): boolean {
  return errorCodes(error).some((code) => CONNECTION_LOST.has(code));
}

const CONNECTION_LOST = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
}
