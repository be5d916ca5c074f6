import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { DpclabError } from "../../src/errors.js";
import { run } from "./process.js";

/** The TLS identity of the lab's relying-party servers: a self-signed TEST certificate for 127.0.0.1 (the clients trust it alone). */
export interface ServerIdentity {
  certPath: string;
  keyPath: string;
}

/** Made once per directory with openssl; reused after. */
export async function serverIdentity(dir: string): Promise<ServerIdentity> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certPath = join(dir, "server.pem");
  const keyPath = join(dir, "server.key.pem");
  if (existsSync(certPath) && existsSync(keyPath)) return { certPath, keyPath };
  const r = await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "3650",
    "-subj",
    "/CN=DPCLAB TEST relying party 127.0.0.1/O=DPCLAB TEST",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,digitalSignature,keyCertSign",
    "-addext",
    "extendedKeyUsage=serverAuth",
    "-keyout",
    keyPath,
    "-out",
    certPath,
  ]);
  if (r.code !== 0)
    throw new DpclabError(`openssl could not make the relying parties' TLS certificate: ${r.stderr.trim().split("\n")[0]}`, "openssl-failed", 500);
  chmodSync(keyPath, 0o600);
  return { certPath, keyPath };
}
