import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { CardIssuer, createCards, pivCaHandler } from "../../../emulators/piv-ca/index.js";
import { serve } from "../../../emulators/shared/index.js";
import { systemClock } from "../../clock.js";
import { LabDir } from "../../lab/index.js";
import { intFlag, parseFlags } from "../args.js";
import { progressBar } from "../progress.js";
import { formatStep, runPkiAuth } from "../run-pki-auth.js";
import { table } from "../table.js";

const USAGE = "dpclab demo [--dir D] [--cards N] [--seed S]";

/**
 * The main job at this stage: a fresh lab with a few virtual PIV cards, its PKI served over real HTTP, and PKI-AUTH
 * run with each card — then the cases a kiosk must refuse: a revoked card and a mistyped PIN.
 */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { dir: { type: "string" }, cards: { type: "string" }, seed: { type: "string" } }, USAGE);
  const count = intFlag(values.cards, "--cards", { min: 3, max: 1000, fallback: 4 });
  const seed = values.seed ?? "dpclab-demo";
  const lab = new LabDir(values.dir ?? ".dpclab-demo");
  rmSync(lab.root, { recursive: true, force: true });

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const issuer = await CardIssuer.create(lab, { version: 1, alg: "p256", seed, baseUrl, createdAt: systemClock.now().toISOString() }, systemClock);
  console.log(`dpclab demo — lab ${lab.root}, seed ${seed}`);
  console.log(`test PKI: ${issuer.root.certificate.subject}  →  ${issuer.pivCa.certificate.subject}`);

  const bar = progressBar(`personalising ${count} virtual PIV cards in SoftHSM`);
  const started = performance.now();
  await createCards(lab, issuer, { count, seed, clock: systemClock, onProgress: (d, t) => bar.update(d, t) });
  bar.done(`personalised ${count} cards in ${((performance.now() - started) / 1000).toFixed(1)} s (keys generated inside the tokens)`);

  const server = await serve(pivCaHandler(issuer), { port });
  console.log(`CRL, OCSP and caIssuers served on ${server.url}\n`);
  const outcome: (string | number)[][] = [];
  try {
    for (const card of issuer.cards()) {
      console.log(`PKI-AUTH, card ${card.index} (${card.tokenLabel})`);
      const r = await runPkiAuth(lab, issuer, card, { online: true, clock: systemClock, onStep: (s) => console.log(formatStep(s)) });
      outcome.push([card.index, card.tokenLabel, "correct PIN", r.ok ? "AUTHENTICATED" : `REJECTED ${r.reason}`]);
    }

    const revoked = issuer.cards()[1];
    const mistyped = issuer.cards()[2];
    if (revoked && mistyped) {
      issuer.revokeCard(revoked.index, "keyCompromise");
      issuer.save();
      console.log(`\ncard ${revoked.index} reported compromised: its certificates are revoked (keyCompromise)`);
      const r1 = await runPkiAuth(lab, issuer, revoked, { online: true, clock: systemClock, onStep: (s) => console.log(formatStep(s)) });
      outcome.push([revoked.index, revoked.tokenLabel, "after revocation", r1.ok ? "AUTHENTICATED" : `REJECTED ${r1.reason}`]);

      console.log(`\ncard ${mistyped.index}: the cardholder mistypes the PIN`);
      const wrongPin = mistyped.pin === "000000" ? "111111" : "000000";
      const r2 = await runPkiAuth(lab, issuer, mistyped, { pin: wrongPin, online: true, clock: systemClock, onStep: (s) => console.log(formatStep(s)) });
      outcome.push([mistyped.index, mistyped.tokenLabel, "wrong PIN", r2.ok ? "AUTHENTICATED" : `REJECTED ${r2.reason}: ${r2.detail}`]);
    }
  } finally {
    await server.close();
  }
  console.log(`\n${table(["card", "token label", "case", "PKI-AUTH"], outcome)}`);
  console.log(`\nthe lab stays in ${lab.root}: try  node bin/dpclab.js cards list --dir ${lab.root}`);
  return 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
