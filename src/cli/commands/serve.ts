import { ADMIN_TOKEN_ENV, adminToken, requireAdminToken, StoredClock } from "../../../emulators/admin/index.js";
import { isLoopbackHost, serve } from "../../../emulators/shared/index.js";
import { createLabStack, ISSUERS } from "../../../emulators/stack/index.js";
import { DpclabError } from "../../errors.js";
import { LabDir } from "../../lab/index.js";
import { intFlag, parseFlags } from "../args.js";

const USAGE = `dpclab serve [--dir D] [--store sqlite|sqlite:PATH|memory|postgres://…] [--host 127.0.0.1] [--port 7800]   (beyond loopback, /__admin needs the token: ${ADMIN_TOKEN_ENV} or printed)`;
/** How often the issuers run their due checks (seven-day rechecks, identity-account monitoring) in real time. */
const DUE_CHECK_INTERVAL_MS = 5_000;

/** Everything under one origin: /tenant, /issuers/{purebred,entrust,intercede}, /pki, /__admin. */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { dir: { type: "string" }, store: { type: "string" }, host: { type: "string" }, port: { type: "string" } }, USAGE);
  const lab = new LabDir(values.dir, { store: values.store });
  const port = intFlag(values.port, "--port", { min: 0, max: 65_535, fallback: 7800 });
  const host = values.host ?? "127.0.0.1";
  // On loopback only this machine reaches the lab; beyond it, anyone on the network could move its clock.
  const exposed = !isLoopbackHost(host);
  const admin = exposed ? adminToken() : undefined;
  // The lab's one store (issue 14): a restart, or a second server on the same PostgreSQL, finds the lab as it was,
  // its clock included. A damaged, newer or read-only store is refused here with one line, before anything is written.
  const store = lab.store();
  const stack = await createLabStack(lab, { clock: new StoredClock(store), store });
  let server: Awaited<ReturnType<typeof serve>>;
  try {
    server = await serve(admin ? requireAdminToken(stack.handler, admin.token) : stack.handler, { host, port });
  } catch (error) {
    throw new DpclabError(`cannot listen on ${host}:${port}: ${(error as Error).message}`, "listen-failed");
  }
  const dueChecks = new DueChecks(stack.tick);
  const timer = setInterval(() => dueChecks.run(), DUE_CHECK_INTERVAL_MS);
  console.log(`dpclab TEST lab serving on ${server.url}`);
  console.log(`  tenant     ${server.url}/tenant/beta/deviceManagement/derivedCredentials`);
  for (const name of ISSUERS) console.log(`  ${name.padEnd(10)} ${server.url}/issuers/${name}/`);
  console.log(`  pki        ${server.url}/pki`);
  console.log(`  admin      ${server.url}/__admin/clock`);
  console.log(`  store      ${store.kind} ${store.where}`);
  // On stdout, before "ready": the banner an operator (or a script waiting for "ready") reads.
  if (admin) {
    console.log(exposureWarning(host));
    console.log(
      `warning: /__admin answers only "Authorization: Bearer <token>"; token: ${admin.fromEnv ? `the value of ${ADMIN_TOKEN_ENV}` : `${admin.token} (set ${ADMIN_TOKEN_ENV} to choose it)`}`,
    );
  }
  if (stack.cardIssuer.config.baseUrl !== server.url) console.log(`note: certificates in this lab point at ${stack.cardIssuer.config.baseUrl}`);
  console.log("ready");
  await new Promise<void>((resolve) => {
    const stop = () => {
      clearInterval(timer);
      void server.close().then(() => {
        lab.closeStore();
        resolve();
      });
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
}

/**
 * The issuers' due checks on a timer. A store that went away (PostgreSQL restarting) must not take the server down:
 * the checks are skipped, one line says so, and they run again once the store is back (what was due is still due).
 */
class DueChecks {
  #failing = false;

  constructor(private readonly tick: () => void) {}

  run(): void {
    try {
      this.tick();
      if (this.#failing) console.error("dpclab serve: the lab store is back; the due checks run again");
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) console.error(`dpclab serve: due checks skipped: ${(error as Error).message.split("\n")[0]}`);
      this.#failing = true;
    }
  }
}

/** The start-up warning of a server bound beyond loopback (also `pki serve`). */
export function exposureWarning(host: string): string {
  const where = host === "0.0.0.0" || host === "::" ? "every network interface" : `${host}, not a loopback address`;
  return `warning: listening on ${where}: other machines can reach this TEST lab (its TEST PKI is not to be trusted anywhere)`;
}
