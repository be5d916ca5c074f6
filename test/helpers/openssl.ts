import { execFile, spawnSync } from "node:child_process";

/** Runs the openssl CLI: the independent judge of our certificates, CRLs and OCSP responses. */
export function openssl(args: string[], input?: Buffer): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const child = execFile("openssl", args, { maxBuffer: 8 << 20 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out: `${stdout}${stderr}` });
    });
    if (input) child.stdin?.end(input);
  });
}

/** openssl, synchronously: only for what needs no server of this process (that would deadlock the event loop). */
export function ossl(args: string[]): { status: number; out: string } {
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** openssl against our own server in this process: must not block the event loop (spawnSync would deadlock it). */
export function osslAsync(args: string[]): Promise<{ status: number; out: string }> {
  return new Promise((done) => {
    execFile("openssl", args, { timeout: 30_000 }, (error, stdout, stderr) => {
      done({ status: error ? (typeof error.code === "number" ? error.code : -1) : 0, out: `${stdout}${stderr}` });
    });
  });
}
