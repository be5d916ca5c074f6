import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { LabDir } from "../../src/lab/index.js";
import { AppRelyingParty } from "./app.js";
import { type CredentialFiles, writeLabTrust } from "./credential.js";
import { findBinary, PACKAGE_OF } from "./process.js";
import { serverIdentity } from "./server-identity.js";
import type { SimulatedTime } from "./simulated-time.js";
import { SmimeRelyingParty } from "./smime.js";
import type { RelyingPartyKind, Verdict } from "./verdict.js";
import { VpnRelyingParty } from "./vpn.js";
import { WifiRelyingParty } from "./wifi.js";

export {
  type CredentialFiles,
  type CredentialToWrite,
  cardCredential,
  type KeyPairFiles,
  type LabTrust,
  loadCredential,
  writeCredential,
  writeLabTrust,
} from "./credential.js";
export { findBinary, freePort, PACKAGE_OF, requireBinary } from "./process.js";
export { findLibfaketime, SimulatedTime } from "./simulated-time.js";
export { findPkcs11Engine, type TokenKey } from "./token-key.js";
export { isRelyingPartyKind, RELYING_PARTY_KINDS, type RefusalReason, type RelyingPartyKind, reasonFromText, type Verdict } from "./verdict.js";

/** A real relying party the lab started on 127.0.0.1; `close()` stops every process it started. */
export interface RelyingParty {
  readonly kind: RelyingPartyKind;
  describe(): string;
  /** One real client exchange with the credential; the relying party's own verdict. */
  authenticate(credential: CredentialFiles): Promise<Verdict>;
  /** The clock its processes read jumped (a simulated clock moved on between exchanges): what a server must redo. */
  clockJumped?(): Promise<void>;
  close(): Promise<void>;
}

export interface RelyingPartyOptions {
  /** VPN: check status with a CRL (re-fetched from the lab's CRL URLs before each authentication) or OCSP; default crl. */
  vpnStatus?: "crl" | "ocsp";
  /** The servers' and clients' clock, when it is a simulated one (a fleet's): they run under libfaketime. */
  time?: SimulatedTime;
  /** Where configs and state go instead of `<lab>/relying-parties` (a fleet keeps its own). */
  dir?: string;
  /** Trust only these issuers' CAs (with the root and the PIV CA); default every issuer CA of the lab. */
  trustIssuers?: readonly string[];
}

/** The binaries each relying party runs (servers and clients), for a set-up check or a test's skip reason. */
export const BINARIES: Record<RelyingPartyKind, string[]> = {
  app: ["nginx", "curl", "openssl"],
  smime: ["openssl"],
  vpn: ["openvpn", "openssl"],
  wifi: ["freeradius", "eapol_test", "openssl"],
};

/** The Debian packages these relying parties' servers and clients need that are not installed (none: all there). */
export function missingPackages(kinds: readonly RelyingPartyKind[]): string[] {
  return [...new Set(kinds.flatMap((k) => BINARIES[k]).filter((b) => !findBinary(b)))].map((b) => PACKAGE_OF[b] ?? b);
}

/**
 * Starts the relying party of `kind` for the lab: configs and state go to `<lab>/relying-parties/<kind>/` (rewritten
 * at each start), servers listen on 127.0.0.1 only, and every certificate is judged against the lab's TEST root.
 */
export async function startRelyingParty(kind: RelyingPartyKind, lab: LabDir, opts: RelyingPartyOptions = {}): Promise<RelyingParty> {
  const base = opts.dir ?? join(lab.root, "relying-parties");
  const dir = join(base, kind === "vpn" && opts.vpnStatus === "ocsp" ? "vpn-ocsp" : kind);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const trust = writeLabTrust(lab, join(dir, "trust"), opts.trustIssuers);
  const simulated = opts.time !== undefined;
  const identity = await serverIdentity(join(base, simulated ? "tls-simulated" : "tls"), simulated);
  const env = opts.time?.env;
  return kind === "app"
    ? await AppRelyingParty.start(dir, trust, identity, env)
    : kind === "smime"
      ? await SmimeRelyingParty.start(dir, trust, env)
      : kind === "vpn"
        ? await VpnRelyingParty.start(dir, trust, identity, opts.vpnStatus ?? "crl", env)
        : await WifiRelyingParty.start(dir, trust, identity, env);
}
