import {
  type CredentialFiles,
  isRelyingPartyKind,
  loadCredential,
  RELYING_PARTY_KINDS,
  type RelyingParty,
  startRelyingParty,
} from "../../../emulators/relying-party/index.js";
import { DpclabError } from "../../errors.js";
import { LabDir } from "../../lab/index.js";
import { parseFlags, requireFlag } from "../args.js";

const USAGE = `dpclab use ${RELYING_PARTY_KINDS.join("|")} [--dir D] --credential DIR [--vpn-status crl|ocsp] [--json]`;

/**
 * A real relying party judges a derived credential: the lab starts it on 127.0.0.1 (nginx, OpenVPN, FreeRADIUS, or
 * `openssl cms`), runs the real client exchange with what `dpclab enroll --out DIR` wrote, prints the relying party's
 * own verdict and stops it. Exit 0 accepted, 1 refused (with the reason), 2 bad input.
 */
export async function useCommand(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv;
  if (!kind || kind.startsWith("-")) throw new DpclabError(`which relying party? ${USAGE}`, "usage");
  if (!isRelyingPartyKind(kind)) throw new DpclabError(`unknown relying party "${kind}" (${RELYING_PARTY_KINDS.join(", ")})`, "usage");
  const { values } = parseFlags(
    rest,
    { dir: { type: "string" }, credential: { type: "string" }, json: { type: "boolean" }, "vpn-status": { type: "string" } },
    USAGE,
  );
  const vpnStatus = values["vpn-status"] ?? "crl";
  if (vpnStatus !== "crl" && vpnStatus !== "ocsp") throw new DpclabError(`--vpn-status must be crl or ocsp (got "${vpnStatus}")`, "usage");
  const lab = new LabDir(values.dir);
  if (!lab.exists()) throw new DpclabError(`no lab in ${lab.root} (dpclab cards create --dir ${lab.root} first)`, "usage");
  let credential: CredentialFiles;
  try {
    credential = loadCredential(requireFlag(values.credential, "--credential", USAGE));
  } catch (error) {
    if (error instanceof DpclabError) throw new DpclabError(error.message, "usage");
    throw error;
  }
  if (kind === "smime" && !credential.signing)
    throw new DpclabError(`${credential.dir} has no S/MIME signing certificate (derived-signing.pem): S/MIME is iOS only`, "usage");

  let rp: RelyingParty | undefined;
  // Ctrl-C or a kill: stop what was started before going (process "exit" handlers cannot wait).
  const interrupted = () => {
    void (rp?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    rp = await startRelyingParty(kind, lab, { vpnStatus });
    const verdict = await rp.authenticate(credential);
    if (values.json) console.log(JSON.stringify(verdict, null, 2));
    else {
      console.log(`${kind}: ${verdict.accepted ? "accepted" : `refused (${verdict.reason})`} in ${verdict.latencyMs.toFixed(0)} ms by ${verdict.relyingParty}`);
      console.log(`  ${verdict.line}`);
      if (verdict.reason === "status-unknown")
        console.log(`  note: the lab's OCSP responders and CRLs are at ${lab.readConfig().baseUrl}; is dpclab serve running there (the one that issued it)?`);
    }
    return verdict.accepted ? 0 : 1;
  } finally {
    await rp?.close();
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
  }
}
