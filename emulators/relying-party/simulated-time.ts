import { existsSync, writeFileSync } from "node:fs";
import { DpclabError } from "../../src/errors.js";
import type { ProcessEnv } from "./process.js";

const LIBFAKETIME = [
  "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/faketime/libfaketime.so.1",
];

/** libfaketime's path (Debian's `faketime` package), or undefined when it is not installed. */
export function findLibfaketime(): string | undefined {
  return LIBFAKETIME.find((p) => existsSync(p));
}

/**
 * The simulated instant for real servers and clients. nginx, FreeRADIUS, OpenVPN and OpenSSL judge validity periods,
 * OCSP thisUpdate/nextUpdate and CRL nextUpdate by the system clock; a fleet runs on a virtual one. Every process a
 * relying party starts with `env` runs under libfaketime, which re-reads the offset in `file` at each clock call
 * (FAKETIME_NO_CACHE), so one long-running server follows the simulation as `set` moves it.
 */
export class SimulatedTime {
  readonly env: ProcessEnv;

  private constructor(
    readonly file: string,
    library: string,
  ) {
    this.env = { LD_PRELOAD: library, FAKETIME_TIMESTAMP_FILE: file, FAKETIME_NO_CACHE: "1" };
  }

  /** At `file` (written now, at the real time): fails with the package to install when libfaketime is missing. */
  static open(file: string, at: Date = new Date()): SimulatedTime {
    const library = findLibfaketime();
    if (!library) throw new DpclabError("relying parties on a simulated clock need libfaketime: apt-get install faketime", "missing-binary");
    const time = new SimulatedTime(file, library);
    time.set(at);
    return time;
  }

  /**
   * From now on the processes see `at` (and time runs on from there at the real pace). The offset is whole seconds
   * rounded up, plus one: a certificate issued at `at` is never seen as not yet valid.
   */
  set(at: Date): void {
    const offset = Math.ceil((at.getTime() - Date.now()) / 1000) + 1;
    writeFileSync(this.file, `${offset >= 0 ? "+" : ""}${offset}\n`);
  }

  /** libfaketime fixed at `at`, for one command (a server certificate made as of then). */
  static fixedEnv(at: Date): ProcessEnv | undefined {
    const library = findLibfaketime();
    const stamp = at
      .toISOString()
      .replace("T", " ")
      .replace(/\.\d+Z$/, "");
    return library ? { LD_PRELOAD: library, FAKETIME: `@${stamp}` } : undefined;
  }
}
