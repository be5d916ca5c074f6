import { DpclabError } from "../errors.js";
import type { LabStore } from "./lab-store.js";
import { MemoryStore } from "./memory-store.js";
import { PostgresStore } from "./postgres-store.js";
import { SqliteStore } from "./sqlite-store.js";

/**
 * What `--store` (or `$DPCLAB_STORE`) may say: "sqlite" (the default: the lab's own `lab.db`), "sqlite:PATH",
 * "memory" (nothing survives the process), or a `postgres://` URL (a lab shared by several servers).
 */
export function openStore(spec: string | undefined, defaultSqlitePath: string): LabStore {
  const s = spec ?? process.env.DPCLAB_STORE ?? "sqlite";
  if (s === "sqlite") return SqliteStore.open(defaultSqlitePath);
  if (s.startsWith("sqlite:") && s.length > "sqlite:".length) return SqliteStore.open(s.slice("sqlite:".length));
  if (s === "memory") return new MemoryStore();
  if (/^postgres(ql)?:\/\//.test(s)) return PostgresStore.open(s);
  throw new DpclabError(`--store ${JSON.stringify(s.slice(0, 80))}: say sqlite, sqlite:PATH, memory or postgres://USER@HOST/DB`, "usage");
}
