/**
 * What a fleet run against a served lab (`--url`) saw of the server itself. A `dpclab serve` that died and came back
 * lost its in-memory tenant and issuers: every device then failed for reasons that read like the fleet's own fault
 * ("expired"). The run must say what happened instead, and not exit 0 (issue 10).
 *
 * Two signs: the server's instance id (`/__admin/clock` answers it; a new process has a new one) changed, or the
 * connection was refused (nothing listened on the port).
 */
export class ServerWatch {
  #instance: string | undefined;
  #restarts = 0;
  #refused = 0;
  #firstRefusedAt: string | undefined;
  #firstRestartAt: string | undefined;

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

  /** A request failed on the wire: counted when it was a refused connection. */
  failed(error: unknown): void {
    if (!isConnectionRefused(error)) return;
    this.#refused++;
    this.#firstRefusedAt ??= this.simulatedNow().toISOString();
  }

  /** One line per kind of trouble, for the summary; empty when the server stayed up. */
  incidents(): string[] {
    const out: string[] = [];
    if (this.#restarts > 0) {
      out.push(
        `the lab at ${this.url} restarted during the run (${this.#restarts}×, first seen at simulated ${this.#firstRestartAt}): its tenant and issuers lost the devices and credentials they held, so devices failed from then on`,
      );
    }
    if (this.#refused > 0) {
      out.push(`the lab at ${this.url} refused ${this.#refused} connection(s) (nothing listening; first at simulated ${this.#firstRefusedAt})`);
    }
    return out;
  }
}

function isConnectionRefused(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === "ECONNREFUSED") return true;
  }
  return false;
}
