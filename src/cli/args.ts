import { type ParseArgsConfig, parseArgs } from "node:util";
import { DpclabError } from "../errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses a command's flags strictly: an unknown flag or a missing value is a one-line usage error. */
export function parseFlags<O extends Options>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new DpclabError(`${(error as Error).message.split("\n")[0]} (usage: ${usage})`, "usage");
  }
}

export function requireFlag(value: string | undefined, flag: string, usage: string): string {
  if (value === undefined || value === "") throw new DpclabError(`${flag} is required (usage: ${usage})`, "usage");
  return value;
}

/** A non-negative integer flag, e.g. --card 3 or --count 100. */
export function intFlag(value: string | undefined, flag: string, opts: { min?: number; max?: number; fallback?: number } = {}): number {
  if (value === undefined) {
    if (opts.fallback !== undefined) return opts.fallback;
    throw new DpclabError(`${flag} is required`, "usage");
  }
  const n = Number(value);
  const min = opts.min ?? 0;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || (opts.max !== undefined && n > opts.max)) {
    throw new DpclabError(`${flag} must be a whole number${opts.max !== undefined ? ` from ${min} to ${opts.max}` : ` ≥ ${min}`} (got "${value}")`, "usage");
  }
  return n;
}
