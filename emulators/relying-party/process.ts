import { type ChildProcess, execFile, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { connect, createServer } from "node:net";
import { delimiter, join } from "node:path";
import { DpclabError } from "../../src/errors.js";

/** The Debian package that brings each binary a relying party runs. */
export const PACKAGE_OF: Record<string, string> = {
  nginx: "nginx",
  openvpn: "openvpn",
  freeradius: "freeradius",
  eapol_test: "eapoltest",
  openssl: "openssl",
  curl: "curl",
};

const SEARCH = ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"];

/** The absolute path of `name`, or undefined when it is not installed. */
export function findBinary(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...SEARCH]) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The binary's path, or one line naming the package to install. */
export function requireBinary(name: string): string {
  const path = findBinary(name);
  if (!path) throw new DpclabError(`${name} is not installed: apt-get install ${PACKAGE_OF[name] ?? name}`, "missing-binary");
  return path;
}

/** A free TCP port on 127.0.0.1 (UDP servers take the same number: nothing else on loopback claims it). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

/** Variables added to this process's environment for a child (e.g. libfaketime's, simulated-time.ts). */
export type ProcessEnv = Readonly<Record<string, string>>;

const withEnv = (env: ProcessEnv | undefined) => (env ? { ...process.env, ...env } : undefined);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (killed after `timeoutMs`); never throws for a non-zero exit. */
export function run(
  file: string,
  args: string[],
  opts: { input?: string | Buffer; timeoutMs?: number; cwd?: string; env?: ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((done) => {
    const child = execFile(
      file,
      args,
      { timeout: opts.timeoutMs ?? 20_000, maxBuffer: 16 << 20, cwd: opts.cwd, env: withEnv(opts.env), encoding: "buffer", killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code as number) : 124) : 0;
        done({ code, stdout: stdout.toString("utf8"), stderr: stderr.toString("utf8") });
      },
    );
    live.add(child);
    child.once("exit", () => live.delete(child));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Every process a relying party started and has not yet seen exit: killed if this process exits first. */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
}

/** A long-running server process with its output kept (bounded), stopped by `stop()`. */
export class ServerProcess {
  #out = "";
  readonly #exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const keep = (d: Buffer) => {
      this.#out += d.toString("utf8");
      if (this.#out.length > 4 << 20) this.#out = this.#out.slice(-(2 << 20));
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.#exited = new Promise((done) => child.once("exit", (code) => done(code)));
  }

  /**
   * Starts `file` and waits until its output matches `ready`, or (a number) its TCP port on 127.0.0.1 accepts a
   * connection; when it exits first or `timeoutMs` passes, it is killed and this fails.
   */
  static async start(
    name: string,
    file: string,
    args: string[],
    opts: { ready: RegExp | number; timeoutMs?: number; cwd?: string; env?: ProcessEnv },
  ): Promise<ServerProcess> {
    const child = spawn(file, args, { cwd: opts.cwd, env: withEnv(opts.env), stdio: ["ignore", "pipe", "pipe"] });
    track(child);
    const server = new ServerProcess(name, child);
    try {
      if (typeof opts.ready === "number") await server.#waitForPort(opts.ready, opts.timeoutMs ?? 15_000);
      else await server.waitFor(opts.ready, opts.timeoutMs ?? 15_000);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  async #waitForPort(port: number, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running)
        throw new DpclabError(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}): ${lastLines(this.#out)}`, "relying-party-failed", 500);
      const open = await new Promise<boolean>((done) => {
        const socket = connect(port, "127.0.0.1");
        socket.once("connect", () => {
          socket.destroy();
          done(true);
        });
        socket.once("error", () => done(false));
      });
      if (open) return;
      if (Date.now() > until)
        throw new DpclabError(
          `${this.name} is not listening on 127.0.0.1:${port} after ${timeoutMs} ms: ${lastLines(this.#out)}`,
          "relying-party-timeout",
          500,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Everything it printed so far. */
  output(): string {
    return this.#out;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first match of `pattern` in the output from `from` on; fails when it exits or time runs out. */
  waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    return new Promise((done, fail) => {
      const check = () => {
        const m = this.#out.slice(from).match(pattern);
        if (m) {
          finish();
          done(m);
        } else if (!this.running) {
          finish();
          fail(new DpclabError(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}): ${lastLines(this.#out)}`, "relying-party-failed", 500));
        }
      };
      const timer = setTimeout(() => {
        finish();
        fail(
          new DpclabError(`${this.name} did not print ${pattern} within ${timeoutMs} ms: ${lastLines(this.#out.slice(from))}`, "relying-party-timeout", 500),
        );
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.child.stdout?.off("data", check);
        this.child.stderr?.off("data", check);
        this.child.off("exit", check);
      };
      this.child.stdout?.on("data", check);
      this.child.stderr?.on("data", check);
      this.child.on("exit", check);
      check();
    });
  }

  /** SIGTERM, then SIGKILL after a second; resolves once it exited. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGTERM");
    const killer = setTimeout(() => this.child.kill("SIGKILL"), 1_000);
    await this.#exited;
    clearTimeout(killer);
  }
}

/** The last few non-empty lines of some output, joined on one line, for an error message. */
export function lastLines(text: string, n = 3): string {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(" | ");
}
