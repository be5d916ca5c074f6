import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A real PostgreSQL server for the shared-lab tests and the store bench: Debian's `postgresql` (installed by the test command when
 * missing and root), a fresh cluster in a temp dir (initdb + pg_ctl), run as the unprivileged `postgres` user when
 * this runs as root (PostgreSQL refuses root), on a free loopback port, trust auth, fsync off (a killed server keeps its commits; only an OS crash could lose them). `skip` says why not.
 */
export interface PostgresServer {
  url: string;
  /** A URL of a new, empty database on this server (CREATE DATABASE): one lab store each. */
  newDatabase(name: string): string;
  /** Stops the server at once (as a crash would), keeping its data: `start` brings it back on the same port. */
  kill(): void;
  start(): void;
  stop(): void;
}

export function postgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "pg_ctl")));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : undefined;
}

export async function startPostgres(): Promise<PostgresServer | { skip: string }> {
  const bin = postgresBin();
  if (!bin) return { skip: "PostgreSQL is not installed (apt-get install postgresql; the test command does it as root)" };
  const asRoot = process.getuid?.() === 0;
  if (asRoot && spawnSync("id", ["postgres"]).status !== 0) return { skip: "running as root and there is no postgres user to run PostgreSQL as" };
  const dir = mkdtempSync(join(tmpdir(), "dpclab-pg-"));
  chmodSync(dir, 0o700);
  const uid = asRoot ? Number(execFileSync("id", ["-u", "postgres"]).toString()) : undefined;
  const gid = asRoot ? Number(execFileSync("id", ["-g", "postgres"]).toString()) : undefined;
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", join(bin, cmd), ...args]] : [join(bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: "utf8", timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${(r.stderr || r.stdout || String(r.error)).trim().split("\n").slice(-3).join(" / ")}`);
  };
  const data = join(dir, "data");
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const start = () => run("pg_ctl", ["-D", data, "-o", options, "-w", "-t", "60", "-l", join(dir, "server.log"), "start"]);
  start();
  let stopped = false;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    newDatabase: (name) => {
      if (!/^[a-z][a-z0-9_]{0,40}$/.test(name)) throw new RangeError(`bad database name ${name}`);
      const psql = join(bin, "psql");
      const r = spawnSync(psql, [url, "-v", "ON_ERROR_STOP=1", "-c", `DROP DATABASE IF EXISTS ${name}`, "-c", `CREATE DATABASE ${name}`], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`CREATE DATABASE ${name}: ${r.stderr.trim()}`);
      return url.replace(/\/postgres$/, `/${name}`);
    },
    kill: () => run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]),
    start,
    stop: () => {
      if (stopped) return;
      stopped = true;
      try {
        run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
      } catch {
        // already down
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
