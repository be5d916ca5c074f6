import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { DpclabError } from "../../src/errors.js";
import { run } from "./process.js";
import { SimulatedTime } from "./simulated-time.js";

/** The TLS identity of the lab's relying-party servers: a self-signed TEST certificate for 127.0.0.1 (the clients trust it alone). */
export interface ServerIdentity {
  certPath: string;
  keyPath: string;
}

/** Where a simulated clock may go: a certificate made as of 2000 for a century covers any fleet's timeline. */
const SIMULATED_SPAN = { from: new Date("2000-01-01T00:00:00Z"), days: 36_500 };

/**
 * Made once per directory with openssl; reused after. With `simulated`, made under libfaketime as of 2000 for a
 * hundred years, so clients on a simulated clock (simulated-time.ts) accept it at any instant a fleet reaches.
 */
export async function serverIdentity(dir: string, simulated = false): Promise<ServerIdentity> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certPath = join(dir, "server.pem");
  const keyPath = join(dir, "server.key.pem");
  if (existsSync(certPath) && existsSync(keyPath)) return { certPath, keyPath };
  const r = await run(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      String(simulated ? SIMULATED_SPAN.days : 3650),
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
    ],
    simulated ? { env: SimulatedTime.fixedEnv(SIMULATED_SPAN.from) } : {},
  );
  if (r.code !== 0)
    throw new DpclabError(`openssl could not make the relying parties' TLS certificate: ${r.stderr.trim().split("\n")[0]}`, "openssl-failed", 500);
  chmodSync(keyPath, 0o600);
  return { certPath, keyPath };
}
