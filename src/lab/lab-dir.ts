import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DpclabError } from "../errors.js";
import { KEY_ALGORITHMS, type KeyAlgorithm } from "../pki/index.js";
import { type LabStore, object, oneOf, openStore, readJson, type Shape, string, writeJson, writeTextAtomically } from "../store/index.js";

/** What a lab was created with; everything else in the lab dir is state derived from it and from use. */
export interface LabConfig {
  version: 1;
  /** Key algorithm of the test PKI and the cards. */
  alg: KeyAlgorithm;
  seed: string;
  /** Base of the http URLs stamped into certificates (AIA, CRL DP); where `dpclab pki serve` answers by default. */
  baseUrl: string;
  createdAt: string;
}

/** The shape of lab.json (checked on every read: a corrupt file is one clear error, never a stack trace). */
export const labConfigShape: Shape<LabConfig> = object<LabConfig>({
  version: oneOf(1),
  alg: oneOf(...KEY_ALGORITHMS),
  seed: string,
  baseUrl: string,
  createdAt: string,
});

/** ./.dpclab unless DPCLAB_LAB_DIR says otherwise (containers set it). */
export const DEFAULT_LAB_DIR = process.env.DPCLAB_LAB_DIR ?? ".dpclab";
export const DEFAULT_BASE_URL = "http://127.0.0.1:7800";

/**
 * The lab directory holds all state: PKI keys and certificates, the card issuer's records, the card deck and the
 * SoftHSM configuration. Nothing is written outside it — never the system's SoftHSM token directory.
 */
export class LabDir {
  readonly root: string;
  /** `--store` as given (sqlite, sqlite:PATH, memory, postgres://…); undefined: $DPCLAB_STORE, else the lab's lab.db. */
  readonly storeSpec: string | undefined;
  #store?: LabStore;

  constructor(root: string = DEFAULT_LAB_DIR, opts: { store?: string } = {}) {
    this.root = resolve(root);
    this.storeSpec = opts.store;
  }

  /** The lab's own SQLite store, the default one (issue 14). */
  get storePath(): string {
    return join(this.root, "lab.db");
  }

  /**
   * The one store of this lab's state, opened on first use (refusing a damaged, newer or read-only one with one
   * line, before anything is written) and shared by everything of this process that works on the lab.
   */
  store(): LabStore {
    if (!this.#store) {
      mkdirSync(this.root, { recursive: true });
      this.#store = openStore(this.storeSpec, this.storePath);
    }
    return this.#store;
  }

  /** Closes the store if it was opened (a CLI command's last step; a later store() opens it again). */
  closeStore(): void {
    this.#store?.close();
    this.#store = undefined;
  }

  get configPath(): string {
    return join(this.root, "lab.json");
  }
  /** Where the card issuer (emulators/piv-ca) keeps its CAs and records. */
  get pivCaDir(): string {
    return join(this.root, "piv-ca");
  }
  get deckPath(): string {
    return join(this.root, "cards", "deck.json");
  }
  /** The PIN retry counters of the cards (SoftHSM has none; the card layer enforces them). */
  get pinCountersPath(): string {
    return join(this.root, "cards", "pin-counters.json");
  }
  get tokenDir(): string {
    return join(this.root, "softhsm", "tokens");
  }
  get softhsmConfPath(): string {
    return join(this.root, "softhsm", "softhsm2.conf");
  }

  exists(): boolean {
    return existsSync(this.configPath);
  }

  readConfig(): LabConfig {
    const config = readJson(this.configPath, labConfigShape);
    if (!config) throw new DpclabError(`no lab in ${this.root}: create one with "dpclab cards create --dir ${this.root} --count N"`, "no-lab");
    return config;
  }

  writeConfig(config: LabConfig): void {
    writeJson(this.configPath, config);
  }

  /**
   * The lab's softhsm2.conf (file backend: the robust one), pointing at the lab's token dir, for dpclab and for any
   * PKCS#11 client (`SOFTHSM2_CONF=<lab>/softhsm/softhsm2.conf pkcs11-tool --module …/libsofthsm2.so -L`).
   * Written only when missing or different, and atomically: every `dpclab` process calls this, and SoftHSM reading
   * a half-written (empty) config falls back to the system token dir and finds no card (issue 10 item 3).
   */
  ensureSoftHsmConf(): string {
    mkdirSync(this.tokenDir, { recursive: true });
    writeSoftHsmConf(this.softhsmConfPath, this.tokenDir);
    return this.softhsmConfPath;
  }
}

/** Writes a softhsm2.conf for `tokenDir` unless the file already says exactly that (atomic: temp + rename). */
export function writeSoftHsmConf(confPath: string, tokenDir: string): void {
  const text = `# dpclab TEST lab: SoftHSM tokens of the virtual PIV cards\ndirectories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`;
  let current: string | undefined;
  try {
    current = readFileSync(confPath, "utf8");
  } catch {
    current = undefined;
  }
  if (current !== text) writeTextAtomically(confPath, text);
}
