import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The subject openssl reads from a PEM certificate: an independent parser judges what the lab hands out. */
export function opensslSubject(pem: string): string {
  const dir = mkdtempSync(join(tmpdir(), "consumer-"));
  try {
    writeFileSync(join(dir, "cert.pem"), pem);
    return execFileSync("openssl", ["x509", "-in", join(dir, "cert.pem"), "-noout", "-subject"], { encoding: "utf8" }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
