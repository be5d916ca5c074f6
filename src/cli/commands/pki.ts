import { pivCaHandler } from "../../../emulators/piv-ca/index.js";
import { isLoopbackHost, serve } from "../../../emulators/shared/index.js";
import { DpclabError } from "../../errors.js";
import { intFlag, parseFlags } from "../args.js";
import { openLab } from "../lab-context.js";
import { exposureWarning } from "./serve.js";

const SERVE = "dpclab pki serve [--dir D] [--host 127.0.0.1] [--port 7800]";

export async function pkiCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "serve") throw new DpclabError(`unknown pki command "${sub ?? ""}" (serve)`, "usage");
  const { values } = parseFlags(rest, { dir: { type: "string" }, host: { type: "string" }, port: { type: "string" } }, SERVE);
  const { issuer } = await openLab(values.dir);
  const port = intFlag(values.port, "--port", { min: 0, max: 65_535, fallback: 7800 });
  let server: Awaited<ReturnType<typeof serve>>;
  try {
    server = await serve(pivCaHandler(issuer), { host: values.host ?? "127.0.0.1", port });
  } catch (error) {
    throw new DpclabError(`cannot listen on ${values.host ?? "127.0.0.1"}:${port}: ${(error as Error).message}`, "listen-failed");
  }
  console.log(`dpclab TEST PKI serving on ${server.url}`);
  for (const a of [issuer.root, issuer.pivCa]) {
    console.log(`  ${a.name.padEnd(7)} CRL  ${server.url}/pki/crl/${a.name}.crl`);
    console.log(`  ${"".padEnd(7)} OCSP ${server.url}/pki/ocsp/${a.name}`);
    console.log(`  ${"".padEnd(7)} AIA  ${server.url}/pki/aia/${a.name}.p7c`);
  }
  // CRL, OCSP and caIssuers are public by nature (no admin API here): beyond loopback, a warning is enough.
  if (!isLoopbackHost(values.host ?? "127.0.0.1")) console.log(exposureWarning(values.host ?? "127.0.0.1"));
  if (issuer.config.baseUrl !== server.url) console.log(`note: certificates in this lab point at ${issuer.config.baseUrl}`);
  console.log("ready");
  await new Promise<void>((resolve) => {
    const stop = () => void server.close().then(resolve);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
}
