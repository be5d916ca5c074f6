import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CardIssuer, createCards } from "../../../emulators/piv-ca/index.js";
import { systemClock } from "../../clock.js";
import { DpclabError } from "../../errors.js";
import { DEFAULT_BASE_URL, LabDir, openLabCard } from "../../lab/index.js";
import { JsonFilePinRetryStore } from "../../piv/index.js";
import { parseKeyAlgorithm, parseRevocationReason } from "../../pki/index.js";
import { table } from "../../text-table.js";
import { X509Certificate } from "../../x509.js";
import { intFlag, parseFlags, requireFlag } from "../args.js";
import { cardStatus } from "../card-status.js";
import { openLab } from "../lab-context.js";
import { progressBar } from "../progress.js";

const CREATE = "dpclab cards create [--dir D] --count N [--alg p256|p384|rsa2048|rsa3072] [--seed S] [--base-url URL]";
const LIST = "dpclab cards list [--dir D] [--json]";
const EXPORT = "dpclab cards export [--dir D] --card I --out O";
const REVOKE = "dpclab cards revoke [--dir D] --card I [--reason R]";

export async function cardsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "create":
      return create(rest);
    case "list":
      return list(rest);
    case "export":
      return exportCard(rest);
    case "revoke":
      return revoke(rest);
    default:
      throw new DpclabError(`unknown cards command "${sub ?? ""}" (create, list, export, revoke)`, "usage");
  }
}

async function create(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    { dir: { type: "string" }, count: { type: "string" }, alg: { type: "string" }, seed: { type: "string" }, "base-url": { type: "string" } },
    CREATE,
  );
  const count = intFlag(requireFlag(values.count, "--count", CREATE), "--count", { min: 1, max: 100_000 });
  const lab = new LabDir(values.dir);
  const seed = values.seed ?? (lab.exists() ? lab.readConfig().seed : String(Date.now()));
  const alg = values.alg ? parseKeyAlgorithm(values.alg) : undefined;
  const baseUrl = values["base-url"] ?? DEFAULT_BASE_URL;
  if (!/^http:\/\/[^/]+$/.test(baseUrl))
    throw new DpclabError(`--base-url must be an http origin like ${DEFAULT_BASE_URL} (CERT-05/06: AIA and CRL DP are http)`, "usage");
  const issuer = await CardIssuer.openOrCreate(
    lab,
    () => ({ version: 1, alg: alg ?? "p256", seed, baseUrl, createdAt: systemClock.now().toISOString() }),
    systemClock,
  );
  if (alg && alg !== issuer.config.alg)
    throw new DpclabError(`the lab in ${lab.root} uses ${issuer.config.alg}; choose another --dir for ${alg} cards`, "usage");
  lab.ensureSoftHsmConf(); // <lab>/softhsm/softhsm2.conf, for OpenSC and other PKCS#11 clients (SOFTHSM2_CONF)
  const bar = progressBar(`personalising ${count} cards`);
  const started = performance.now();
  const cards = await createCards(lab, issuer, { count, seed: issuer.config.seed, clock: systemClock, onProgress: (d, t) => bar.update(d, t) });
  const seconds = (performance.now() - started) / 1000;
  bar.done();
  console.log(
    `created ${cards.length} ${issuer.config.alg} cards (${((seconds * 1000) / cards.length).toFixed(1)} ms each) in ${lab.root}; the deck holds ${issuer.cards().length}`,
  );
  console.log(`seed ${issuer.config.seed} — replay: dpclab cards create --dir ${lab.root} --count ${count} --seed ${issuer.config.seed}`);
  return 0;
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { dir: { type: "string" }, json: { type: "boolean" } }, LIST);
  const { lab, issuer } = await openLab(values.dir);
  const pins = new JsonFilePinRetryStore(lab.pinCountersPath);
  const rows = issuer.cards().map((c) => ({
    index: c.index,
    tokenLabel: c.tokenLabel,
    cardholder: `${c.cardholder.givenName} ${c.cardholder.surname}`,
    email: c.cardholder.email,
    fascn: c.fascnText,
    uuid: c.cardUuid,
    pin: c.pin,
    puk: c.puk,
    status: cardStatus(issuer, c, pins),
    expires: c.expires.slice(0, 10),
  }));
  if (values.json) {
    console.log(JSON.stringify({ dir: lab.root, alg: issuer.config.alg, cards: rows }, null, 2));
  } else {
    console.log(
      table(
        ["#", "token label", "cardholder", "FASC-N", "UUID", "PIN", "PUK", "status"],
        rows.map((r) => [r.index, r.tokenLabel, r.cardholder, r.fascn, r.uuid, r.pin, r.puk, r.status]),
      ),
    );
  }
  return 0;
}

async function exportCard(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { dir: { type: "string" }, card: { type: "string" }, out: { type: "string" } }, EXPORT);
  const out = requireFlag(values.out, "--out", EXPORT);
  const { lab, issuer } = await openLab(values.dir);
  const card = issuer.card(intFlag(values.card, "--card"));
  const piv = openLabCard(lab, card.tokenLabel);
  mkdirSync(out, { recursive: true });
  // Read from the card itself over PKCS#11, as any relying party would.
  const files: [string, string][] = [];
  try {
    for (const [slot, file] of [
      ["9A", "piv-auth.pem"],
      ["9E", "card-auth.pem"],
      ["9C", "digital-signature.pem"],
      ["9D", "key-management.pem"],
    ] as const) {
      const der = piv.readCertificate(slot);
      if (!der) throw new DpclabError(`card ${card.index} has no ${slot} certificate`, "no-certificate");
      files.push([file, new X509Certificate(der.slice()).toString("pem")]);
    }
  } finally {
    piv.close();
  }
  files.push(["issuing-ca.pem", issuer.pivCa.certificate.toString("pem")], ["root.pem", issuer.root.certificate.toString("pem")]);
  for (const [file, pem] of files) writeFileSync(join(out, file), `${pem.trim()}\n`);
  console.log(`wrote ${files.map(([f]) => f).join(", ")} to ${out}`);
  return 0;
}

async function revoke(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { dir: { type: "string" }, card: { type: "string" }, reason: { type: "string" } }, REVOKE);
  const reason = parseRevocationReason(values.reason ?? "keyCompromise");
  const { issuer } = await openLab(values.dir);
  const card = issuer.card(intFlag(values.card, "--card"));
  const count = issuer.revokeCard(card.index, reason);
  issuer.save();
  console.log(
    count > 0 ? `revoked the ${count} certificates of card ${card.index} (${card.tokenLabel}), reason ${reason}` : `card ${card.index} was already revoked`,
  );
  return 0;
}
