import { parseDuration } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";

/** A bad option: one line for the user, exit 2 from the CLI. */
export function usage(message: string): DpclabError {
  return new DpclabError(message, "usage");
}

/** A duration flag's text in ms; a bad one is a usage error naming the flag. */
export function flagDuration(text: string, flag: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw usage(`${flag}: ${(error as Error).message}`);
  }
}
