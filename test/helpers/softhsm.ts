import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TempSoftHsm {
  dir: string;
  tokenDir: string;
  conf: string;
  /** Environment for child processes (pkcs11-tool, softhsm2-util) that must see the same tokens. */
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

/** A throwaway SoftHSM token directory + softhsm2.conf; on tmpfs (/dev/shm) when available, it is ~10× faster. */
export function makeTempSoftHsm(opts: { onDisk?: boolean } = {}): TempSoftHsm {
  const base = !opts.onDisk && existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const dir = mkdtempSync(join(base, "dpclab-softhsm-"));
  const tokenDir = join(dir, "tokens");
  mkdirSync(tokenDir);
  const conf = join(dir, "softhsm2.conf");
  writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  return {
    dir,
    tokenDir,
    conf,
    env: { ...process.env, SOFTHSM2_CONF: conf },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
