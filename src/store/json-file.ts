import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { threadId } from "node:worker_threads";
import { DpclabError } from "../errors.js";
import { CorruptLabFile, type Shape } from "./shape.js";

/**
 * A lab file the server cannot read is the server's fault, not the client's: served, it is a 500 problem+json with
 * this one-line message; in the CLI, exit 1.
 */
export const CORRUPT_LAB_STATUS = 500;

/**
 * Reads a lab JSON file, or returns undefined when it does not exist. Anything else that is not what `shape` accepts
 * (empty, truncated, `null`, `{}`, wrong types) is one clear DpclabError naming the file: a lab file is never trusted
 * just because it parses.
 */
export function readJson<T>(path: string, shape: Shape<T>): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new DpclabError(`cannot read lab file ${path}: ${(e as Error).message}`, "corrupt-lab", CORRUPT_LAB_STATUS);
  }
  return parseJson(path, text, shape);
}

/** Parses the text of a lab file and checks its shape; see readJson. */
export function parseJson<T>(path: string, text: string, shape: Shape<T>): T {
  if (text.trim() === "") throw corrupt(path, "it is empty");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw corrupt(path, `it is not valid JSON (truncated?): ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    return shape(value);
  } catch (e) {
    if (e instanceof CorruptLabFile) throw corrupt(path, e.explain());
    throw e;
  }
}

function corrupt(path: string, what: string): DpclabError {
  return new DpclabError(`corrupt lab file ${path}: ${what}; restore it or create a new lab`, "corrupt-lab", CORRUPT_LAB_STATUS);
}

export interface WriteJsonOptions {
  /**
   * File mode of the new file. 0o600 for anything holding a PIN, a PUK or a private key (deck.json,
   * pin-counters.json): the temp file is created with it, so the renamed file never exists with a wider one.
   */
  mode?: number;
  /** One line instead of indented JSON: for files rewritten on hot paths (the PIN counters of thousands of cards). */
  compact?: boolean;
}

let tmpCounter = 0;

/**
 * Writes JSON atomically (temp file + rename), so a crash never leaves half a state file: no lost state. The temp
 * name is unique per process, thread and write, so fleet worker threads writing the same file never share one.
 */
export function writeJson(path: string, value: unknown, opts: WriteJsonOptions = {}): void {
  writeTextAtomically(path, `${opts.compact ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`, opts);
}

/** Temp file (created with the final mode) + rename: readers see the old or the new content, never a partial one. */
export function writeTextAtomically(path: string, text: string, opts: WriteJsonOptions = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}-${threadId}-${++tmpCounter}.tmp`;
  const mode = opts.mode ?? 0o644;
  try {
    // flag wx: a fresh file, so `mode` applies (an existing file would keep its own).
    writeFileSync(tmp, text, { mode, flag: "wx" });
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw e;
  }
}

const LOCK_WAIT_MS = 10_000;
/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 30_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Read-modify-write of one JSON file under an exclusive lock file (`PATH.lock`, created with O_EXCL), so two
 * processes or threads updating different entries never lose each other's change. `update` sees the file as it is
 * now (validated by `shape`), never a copy read earlier.
 */
export function updateJson<T>(path: string, shape: Shape<T>, update: (current: T | undefined) => T, opts: WriteJsonOptions = {}): T {
  return withFileLock(path, () => {
    const next = update(readJson(path, shape));
    writeJson(path, next, opts);
    return next;
  });
}

/** Runs `fn` holding the exclusive lock file of `path` (the one updateJson takes). */
export function withFileLock<R>(path: string, fn: () => R): R {
  mkdirSync(dirname(path), { recursive: true });
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, "wx"));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (isStale(lock)) {
        try {
          unlinkSync(lock);
        } catch {
          // another waiter removed it first
        }
        continue;
      }
      if (Date.now() > deadline) throw new DpclabError(`${lock} is held by another process (remove it if none runs)`, "lock-timeout");
      Atomics.wait(pause, 0, 0, 1); // a synchronous 1 ms nap: the callers are synchronous
    }
  }
  try {
    return fn();
  } finally {
    unlinkSync(lock);
  }
}

function isStale(lock: string): boolean {
  try {
    return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
  } catch {
    return false; // gone already: try again
  }
}

/**
 * What identifies one version of a file without reading it: inode, size and mtime (ns). An atomic rename gives every
 * write a new inode, so a change inside one mtime tick is still seen. "" when the file does not exist.
 */
export function fileVersion(path: string): string {
  const s = statSync(path, { bigint: true, throwIfNoEntry: false });
  return s ? `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}` : "";
}
