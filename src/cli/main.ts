import { DpclabError } from "../errors.js";
import { accountsCommand } from "./commands/accounts.js";
import { cardsCommand } from "./commands/cards.js";
import { demoCommand } from "./commands/demo.js";
import { enrollCommand } from "./commands/enroll.js";
import { pkiCommand } from "./commands/pki.js";
import { pkiAuthCommand } from "./commands/pki-auth.js";
import { serveCommand } from "./commands/serve.js";

const HELP = `dpclab — Derived PIV Credential lab (TEST PKI only)

  dpclab demo [--dir D] [--cards N] [--seed S] [--devices N] [--workers K]
  dpclab cards create [--dir D] --count N [--alg p256|p384|rsa2048|rsa3072] [--seed S] [--base-url URL]
  dpclab cards list [--dir D] [--json]
  dpclab cards export [--dir D] --card I --out O
  dpclab cards revoke [--dir D] --card I [--reason R]
  dpclab accounts terminate [--dir D] --card I
  dpclab pki serve [--dir D] [--host 127.0.0.1] [--port 7800]
  dpclab pki-auth [--dir D] --card I [--pin P] [--online] [--json]
  dpclab serve [--dir D] [--host 127.0.0.1] [--port 7800]
  dpclab enroll [--dir D] --issuer purebred|entrust|intercede --card I --platform ios|android
                [--keystore software|hardware] [--agent-card J] [--url URL] [--out O]
  dpclab fleet run [--dir D] --devices N [--mix ios:60,android:40] [--issuer entrust|purebred|intercede|mixed]
                [--lifetime 365d] [--duration 400d] [--seed S] [--arrival-rate R] [--preset renewal-storm]
                [--transport inprocess|http] [--url URL] [--workers K] [--faults SPEC] [--churn SPEC]
                [--population SPEC] [--issuer-change 200d:ISSUER] [--threshold EXPR]... [--report DIR]
  dpclab conform CERT.pem [--chain FILE] [--edition 2014|r1-ipd|r1-fpd] [--json] [--junit FILE] [--matrix DIR]
                (SP 800-157 derived PIV Authentication profile; --chain: PEM intermediates + trust anchor)
  dpclab conform --issuer purebred|entrust|intercede|URL/issuers/NAME [--defect NAME]... [--dir D] [--edition E]
                [--json] [--junit FILE] [--matrix DIR]   (the active suite; exit 1 shall failed, 3 only should failed)
  dpclab validate CERT.pem --chain FILE [--trust-anchor FILE] [--policy OID]... [--crl FILE]... [--ocsp] [--at TIME] [--json]
  dpclab scenario list [--json]
  dpclab scenario run NAME [--seed S] [--runs N] [--path P] [--json]
                (property-based, model-based scenarios; a failure prints the command that replays it)
  dpclab use wifi|vpn|app|smime [--dir D] --credential DIR [--json]
                (a real relying party judges the derived credential DIR that enroll --out wrote; exit 1 refused)
  dpclab credentials revoke [--dir D] --serial S [--reason keyCompromise] [--url URL]

The lab directory (--dir, default ./.dpclab) holds all state.`;

/** A Map, not an object literal: the user's argv picks the entry, and "constructor" or "__proto__" must not find one. */
const COMMANDS = new Map<string, (argv: string[]) => Promise<number>>([
  ["demo", demoCommand],
  ["cards", cardsCommand],
  ["accounts", accountsCommand],
  ["pki", pkiCommand],
  ["pki-auth", pkiAuthCommand],
  ["serve", serveCommand],
  ["enroll", enrollCommand],
  ["fleet", (argv) => import("./commands/fleet.js").then((m) => m.fleetCommand(argv))],
  ["conform", (argv) => import("./commands/conform.js").then((m) => m.conformCommand(argv))],
  ["validate", (argv) => import("./commands/validate.js").then((m) => m.validateCommand(argv))],
  ["scenario", (argv) => import("./commands/scenario.js").then((m) => m.scenarioCommand(argv))],
  ["use", (argv) => import("./commands/use.js").then((m) => m.useCommand(argv))],
  ["credentials", (argv) => import("./commands/credentials.js").then((m) => m.credentialsCommand(argv))],
]);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    console.log(HELP);
    return command ? 0 : 2;
  }
  const run = COMMANDS.get(command);
  if (!run) throw new DpclabError(`unknown command "${command}" (try: dpclab help)`, "usage");
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Bad input is one clear line and a non-zero exit; anything else is a bug and says so.
    if (error instanceof DpclabError) {
      console.error(`dpclab: ${error.message}`);
      process.exitCode = error.code === "usage" ? 2 : 1;
    } else {
      console.error(`dpclab: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exitCode = 70;
    }
  },
);
