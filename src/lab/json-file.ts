import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { threadId } from "node:worker_threads";
import { DpclabError } from "../errors.js";

/** Reads a JSON file, or returns undefined when it does not exist. */
export function readJson<T>(path: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  return JSON.parse(text) as T;
}

let tmpCounter = 0;

/**
 * Writes JSON atomically (temp file + rename), so a crash never leaves half a state file: no lost state. The temp
 * name is unique per process, thread and write, so fleet worker threads writing the same file never share one.
 */
export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}-${threadId}-${++tmpCounter}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

const LOCK_WAIT_MS = 10_000;
/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 30_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Read-modify-write of one JSON file under an exclusive lock file (`PATH.lock`, created with O_EXCL), so two
 * processes or threads updating different entries never lose each other's change.
 */
export function updateJson<T>(path: string, update: (current: T | undefined) => T): T {
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
    const next = update(readJson<T>(path));
    writeJson(path, next);
    return next;
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
