import { execFile } from "node:child_process";

/** Runs the openssl CLI: the independent judge of our certificates, CRLs and OCSP responses. */
export function openssl(args: string[], input?: Buffer): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const child = execFile("openssl", args, { maxBuffer: 8 << 20 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out: `${stdout}${stderr}` });
    });
    if (input) child.stdin?.end(input);
  });
}
