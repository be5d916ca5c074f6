/**
 * An error whose message is fit to show a user as one line (CLI) or as a problem+json detail (HTTP).
 * Anything else that escapes is a bug.
 */
export class DpclabError extends Error {
  constructor(
    message: string,
    /** A stable, machine-readable reason code, e.g. "pin-incorrect", "card-blocked". */
    readonly code: string = "error",
    /** The HTTP status this error maps to when it reaches a client (always 4xx for bad input). */
    readonly status: number = 400,
  ) {
    super(message);
    this.name = "DpclabError";
  }
}
