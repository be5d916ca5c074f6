import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { GRAPH_ISSUER, type IssuerName, type Platform } from "../../../emulators/derived/index.js";
import { CardIssuer, createCards } from "../../../emulators/piv-ca/index.js";
import { serve } from "../../../emulators/shared/index.js";
import { createLabStack } from "../../../emulators/stack/index.js";
import { type PresentableCredential, RecordingKeystore } from "../../../fleet/agent/index.js";
import { JsonClient } from "../../../fleet/clients/index.js";
import { enrolDevice } from "../../../fleet/enrol-device.js";
import { issuerWorkflow } from "../../../fleet/issuers/index.js";
import { SoftwareKeystore } from "../../../fleet/keystore/index.js";
import { OffsetClock } from "../../clock.js";
import { LabDir, openLabCard } from "../../lab/index.js";
import { CertificateFacts } from "../../pki/index.js";
import { table } from "../../text-table.js";
import { CertificatePolicyExtension, X509Certificate } from "../../x509.js";
import { intFlag, parseFlags } from "../args.js";
import { demoRelyingParties } from "../demo-relying-parties.js";
import { progressBar } from "../progress.js";
import { formatStep, runPkiAuth } from "../run-pki-auth.js";
import { runFleetAndReport } from "./fleet.js";

const USAGE = "dpclab demo [--dir D] [--cards N] [--seed S] [--devices N] [--workers K]";

/** The demo fleet's year: renewals at 80 % of 180 days, an issuer change, a little churn and a few faults and slips. */
const DEMO_FLEET = {
  issuer: "mixed",
  mix: "ios:60,android:40",
  lifetime: "180d",
  duration: "365d",
  issuerChange: "200d:entrust",
  churn: "lost:0.01,unenrol:0.01",
  faults: "429:0.01,503:0.005,drop:0.002,pin:0.03,expired:0.01",
  thresholds: ["renew.p95<2000ms", "checks.rate>0.99"],
} as const;

/**
 * The main job. First a walk-through: a fresh lab of virtual PIV cards, the whole emulated world served over real
 * HTTP, PKI-AUTH with each card (and the cases a kiosk must refuse), derived PIV credentials from each issuer to
 * simulated phones through an issuer change in the tenant, OpenSSL judging every chain. Then a demo fleet: a few
 * hundred iOS and Android devices with all three issuers live a simulated year (renewals, an issuer change, lost and
 * unenrolled devices, faults), with the k6-style summary and report.html.
 */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    { dir: { type: "string" }, cards: { type: "string" }, seed: { type: "string" }, devices: { type: "string" }, workers: { type: "string" } },
    USAGE,
  );
  const count = intFlag(values.cards, "--cards", { min: 4, max: 1000, fallback: 4 });
  const devices = intFlag(values.devices, "--devices", { min: 0, max: 100_000, fallback: 300 });
  const workers = intFlag(values.workers, "--workers", { min: 1, max: 64, fallback: Math.min(4, availableParallelism()) });
  const seed = values.seed ?? "dpclab-demo";
  const lab = new LabDir(values.dir ?? ".dpclab-demo");
  rmSync(lab.root, { recursive: true, force: true });

  const clock = new OffsetClock();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const created = await CardIssuer.create(lab, { version: 1, alg: "p256", seed, baseUrl, createdAt: clock.now().toISOString() }, clock);
  console.log(`dpclab demo — lab ${lab.root}, seed ${seed}`);
  console.log(`test PKI: ${created.root.certificate.subject}  →  ${created.pivCa.certificate.subject}`);

  const bar = progressBar(`personalising ${count} virtual PIV cards in SoftHSM`);
  const started = performance.now();
  await createCards(lab, created, { count, seed, clock, onProgress: (d, t) => bar.update(d, t) });
  bar.done(`personalised ${count} cards in ${((performance.now() - started) / 1000).toFixed(1)} s (keys generated inside the tokens)`);

  const stack = await createLabStack(lab, { clock, purebredAgents: [0] });
  const issuer = stack.cardIssuer;
  const server = await serve(stack.handler, { port });
  console.log(`tenant, issuers (Purebred, Entrust, Intercede), CRL/OCSP/caIssuers and /__admin served on ${server.url}\n`);
  const outcome: (string | number)[][] = [];
  const derived: (string | number)[][] = [];
  let usedAt: (string | number)[][] = [];
  try {
    // 1. PKI-AUTH (FIPS 201-3 §6.2.3.1) with every card, revocation over real HTTP.
    for (const card of issuer.cards()) {
      console.log(`PKI-AUTH, card ${card.index} (${card.tokenLabel})`);
      const r = await runPkiAuth(lab, issuer, card, { online: true, clock, onStep: (s) => console.log(formatStep(s)) });
      outcome.push([card.index, card.tokenLabel, "correct PIN", r.ok ? "AUTHENTICATED" : `REJECTED ${r.reason}`]);
    }
    const [agent, revoked, mistyped, holder] = issuer.cards();
    if (!agent || !revoked || !mistyped || !holder) throw new Error("the demo needs four cards");
    issuer.revokeCard(revoked.index, "keyCompromise");
    issuer.save();
    console.log(`\ncard ${revoked.index} reported compromised: its certificates are revoked (keyCompromise)`);
    const r1 = await runPkiAuth(lab, issuer, revoked, { online: true, clock, onStep: (s) => console.log(formatStep(s)) });
    outcome.push([revoked.index, revoked.tokenLabel, "after revocation", r1.ok ? "AUTHENTICATED" : `REJECTED ${r1.reason}`]);
    console.log(`\ncard ${mistyped.index}: the cardholder mistypes the PIN`);
    const wrongPin = mistyped.pin === "000000" ? "111111" : "000000";
    const r2 = await runPkiAuth(lab, issuer, mistyped, { pin: wrongPin, online: true, clock, onStep: (s) => console.log(formatStep(s)) });
    outcome.push([mistyped.index, mistyped.tokenLabel, "wrong PIN", r2.ok ? "AUTHENTICATED" : `REJECTED ${r2.reason}: ${r2.detail}`]);

    // 2. Derived PIV credentials (SP 800-157) from each issuer, one issuer at a time in the tenant (docs/intune.md §1.3).
    const tenant = new JsonClient(fetch, server.url);
    const runs: [IssuerName, Platform][] = [
      ["entrust", "ios"],
      ["intercede", "android"],
      ["purebred", "ios"],
    ];
    let previousDevice: string | undefined;
    // The first credential (Entrust, iOS) goes to the relying parties at the end: its keys stay exportable for them.
    let forRelyingParties: { credential: PresentableCredential; deviceId: string } | undefined;
    for (const [name, platform] of runs) {
      const { value } = await tenant.get<{ value: { id: string; issuer: string }[] }>("/tenant/beta/deviceManagement/derivedCredentials");
      for (const s of value) await tenant.delete(`/tenant/beta/deviceManagement/derivedCredentials/${s.id}`);
      await tenant.post("/tenant/beta/deviceManagement/derivedCredentials", {
        displayName: "DPCLAB TEST",
        issuer: GRAPH_ISSUER[name],
        notificationType: "companyPortal,email",
      });
      if (previousDevice) {
        const before = await tenant.post<{ derivedCredential: { state: string } }>(`/__lab/tenant/managedDevices/${previousDevice}/checkIn`, {});
        console.log(
          `\nissuer changed to ${GRAPH_ISSUER[name]}: the earlier device's credential is now "${before.derivedCredential.state}" — its user must enrol again`,
        );
      }
      console.log(`\nderived credential: ${name} on ${platform}, card ${holder.index} (${holder.tokenLabel})`);
      const needsAgent = issuerWorkflow(name).needsAgent;
      const cards = [openLabCard(lab, holder.tokenLabel), ...(needsAgent ? [openLabCard(lab, agent.tokenLabel)] : [])];
      const keystore = new RecordingKeystore(new SoftwareKeystore({ exportable: true }));
      try {
        const result = await enrolDevice({
          fetch,
          baseUrl: server.url,
          issuer: name,
          platform,
          keystore,
          card: cards[0] as NonNullable<(typeof cards)[0]>,
          pin: holder.pin,
          cardIndex: holder.index,
          email: holder.cardholder.email,
          agent: needsAgent ? { card: cards[1] as NonNullable<(typeof cards)[1]>, pin: agent.pin } : undefined,
          onStep: (s) => console.log(`  ✓ ${s.step.padEnd(26)} ${s.detail}`),
        });
        previousDevice = result.deviceId;
        if (!forRelyingParties) {
          const { pivAuth, signing } = result.certificates;
          const [authKey, signKey] = keystore.take(CertificateFacts.fromDer(pivAuth).spki, ...(signing ? [CertificateFacts.fromDer(signing).spki] : []));
          if (authKey)
            forRelyingParties = {
              deviceId: result.deviceId,
              credential: { pivAuth, chain: result.chain, pivAuthKey: authKey, ...(signing ? { signing } : {}), ...(signKey ? { signingKey: signKey } : {}) },
            };
        }
        const cert = new X509Certificate(result.certificates.pivAuth.slice());
        const policy = cert.getExtension(CertificatePolicyExtension)?.policies.join(", ") ?? "none";
        derived.push([
          name,
          platform,
          cert.serialNumber.slice(0, 16),
          policy,
          Object.keys(result.certificates).length,
          judge(result.certificates.pivAuth, result.chain, issuer.root.certificate),
        ]);
      } finally {
        for (const c of cards) c.close();
      }
    }
    // 3. A derived credential where it is used: real relying parties accept it, and refuse it once revoked.
    if (forRelyingParties) {
      const { credential, deviceId } = forRelyingParties;
      usedAt = await demoRelyingParties(lab, credential, () => stack.reportLost(deviceId));
    }
  } finally {
    await server.close();
    issuer.save();
  }
  console.log(`\n${table(["card", "token label", "case", "PKI-AUTH"], outcome)}`);
  console.log(`\n${table(["issuer", "platform", "derived PIV Auth serial", "policy", "certificates", "openssl verify"], derived)}`);
  if (usedAt.length) console.log(`\n${table(["relying party", "credential", "verdict", "latency"], usedAt)}`);
  console.log(`\nthe lab stays in ${lab.root}: try  node bin/dpclab.js cards list --dir ${lab.root}`);
  if (devices === 0) return 0;

  const fleetDir = join(lab.root, "fleet");
  const reportDir = join(lab.root, "fleet-report");
  console.log(
    `\ndemo fleet: ${devices} devices (${DEMO_FLEET.mix}), all three issuers, ${DEMO_FLEET.duration} simulated on ${workers} worker thread(s); ` +
      `credentials live ${DEMO_FLEET.lifetime}, the tenants switch to Entrust at ${DEMO_FLEET.issuerChange.split(":")[0]}`,
  );
  return runFleetAndReport({ ...DEMO_FLEET, devices, workers: Math.min(workers, devices), seed, dir: fleetDir }, reportDir);
}

/** OpenSSL as the independent judge of an issued chain; says so when it is not installed. */
function judge(leaf: Uint8Array, chain: Uint8Array[], root: X509Certificate): string {
  const dir = mkdtempSync(join(tmpdir(), "dpclab-demo-"));
  try {
    const pem = (der: Uint8Array) => new X509Certificate(der.slice()).toString("pem");
    writeFileSync(join(dir, "leaf.pem"), pem(leaf));
    writeFileSync(join(dir, "root.pem"), root.toString("pem"));
    const intermediates = chain.map((c) => new X509Certificate(c.slice())).filter((c) => c.subject !== c.issuer);
    writeFileSync(join(dir, "chain.pem"), intermediates.map((c) => c.toString("pem")).join("\n"));
    const out = execFileSync("openssl", ["verify", "-CAfile", join(dir, "root.pem"), "-untrusted", join(dir, "chain.pem"), join(dir, "leaf.pem")], {
      encoding: "utf8",
    });
    return out.includes(": OK") ? "OK" : out.trim();
  } catch (error) {
    return `not verified (${(error as Error).message.split("\n")[0]})`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
