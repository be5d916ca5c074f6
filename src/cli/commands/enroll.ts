import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GRAPH_ISSUER, type IssuerName } from "../../../emulators/derived/index.js";
import { CardIssuer } from "../../../emulators/piv-ca/index.js";
import { writeCredential } from "../../../emulators/relying-party/index.js";
import { inProcessFetch } from "../../../emulators/shared/index.js";
import { createLabStack, ISSUERS } from "../../../emulators/stack/index.js";
import { RecordingKeystore } from "../../../fleet/agent/index.js";
import { JsonClient } from "../../../fleet/clients/index.js";
import { enrolDevice } from "../../../fleet/enrol-device.js";
import { issuerWorkflow } from "../../../fleet/issuers/index.js";
import { HardwareKeystore, type Keystore, SoftwareKeystore } from "../../../fleet/keystore/index.js";
import { OffsetClock } from "../../clock.js";
import { DpclabError } from "../../errors.js";
import { LabDir, openLabCard } from "../../lab/index.js";
import { type PivCard, Pkcs11Library } from "../../piv/index.js";
import { CertificateFacts } from "../../pki/index.js";
import { X509Certificate } from "../../x509.js";
import { intFlag, parseFlags, requireFlag } from "../args.js";

const USAGE =
  "dpclab enroll [--dir D] --issuer purebred|entrust|intercede --card I --platform ios|android [--keystore software|hardware] [--agent-card J] [--url URL] [--out O]";

/**
 * One enrolment, step by step, through the HTTP API: the device enrols in the tenant, the user signs in at the issuer's
 * kiosk with the PIV card, the device gets its derived credential and hands it to the tenant, then checks in.
 * Against a running `dpclab serve` with --url, otherwise in-process.
 */
export async function enrollCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      dir: { type: "string" },
      issuer: { type: "string" },
      card: { type: "string" },
      platform: { type: "string" },
      keystore: { type: "string" },
      "agent-card": { type: "string" },
      url: { type: "string" },
      out: { type: "string" },
    },
    USAGE,
  );
  const issuer = requireFlag(values.issuer, "--issuer", USAGE);
  if (!(ISSUERS as readonly string[]).includes(issuer)) throw new DpclabError(`--issuer must be purebred, entrust or intercede (got "${issuer}")`, "usage");
  const platform = requireFlag(values.platform, "--platform", USAGE);
  if (platform !== "ios" && platform !== "android") throw new DpclabError(`--platform must be ios or android (got "${platform}")`, "usage");
  const keystoreKind = values.keystore ?? "software";
  if (keystoreKind !== "software" && keystoreKind !== "hardware")
    throw new DpclabError(`--keystore must be software or hardware (got "${keystoreKind}")`, "usage");
  if (values.url && !/^https?:\/\/[^/]+\/?$/.test(values.url))
    throw new DpclabError(`--url must be an origin such as http://127.0.0.1:7800 (got "${values.url}")`, "usage");
  const lab = new LabDir(values.dir);
  const cardIssuer = await CardIssuer.open(lab, new OffsetClock());
  const record = cardIssuer.card(intFlag(values.card, "--card"));
  const agentIndex = intFlag(values["agent-card"], "--agent-card", { fallback: 0 });
  const needsAgent = issuerWorkflow(issuer as IssuerName).needsAgent;
  if (needsAgent) {
    cardIssuer.card(agentIndex);
    if (agentIndex === record.index)
      throw new DpclabError(`card ${agentIndex} is the Purebred registration agent; enrol another card or name another agent with --agent-card`, "usage");
  }
  // Outputs stay in the lab unless --out says otherwise (issue 10 §9): never the current directory by default.
  const out = values.out ?? join(lab.root, "enrolments", `${issuer}-card${record.index}-${platform}-${stamp(new Date())}`);

  const stack = values.url ? undefined : await createLabStack(lab, { clock: new OffsetClock(), purebredAgents: [agentIndex] });
  const fetchFn = stack ? inProcessFetch(stack.handler) : fetch;
  // In-process, the lab's configured base URL: the origin the emulators put into their answers (QR codes, profiles).
  const baseUrl = values.url ?? cardIssuer.config.baseUrl;
  console.log(
    `enrolling card ${record.index} (${record.tokenLabel}) with ${issuer} on ${platform}, ${keystoreKind} keystore — ${values.url ? `over HTTP at ${values.url}` : "in-process"}`,
  );
  await ensureTenantIssuer(new JsonClient(fetchFn, baseUrl), issuer as IssuerName);

  const cards: PivCard[] = [];
  const open = (label: string) => {
    const card = openLabCard(lab, label);
    cards.push(card);
    return card;
  };
  try {
    const keystore: Keystore =
      keystoreKind === "hardware"
        ? HardwareKeystore.provision(Pkcs11Library.open({ softhsmConf: lab.ensureSoftHsmConf() }), `${issuer}-${record.index}-${Date.now().toString(36)}`)
        : // A software keystore's keys go with their certificates, for the relying parties of `dpclab use`.
          new RecordingKeystore(new SoftwareKeystore({ exportable: true }));
    const result = await enrolDevice({
      fetch: fetchFn,
      baseUrl,
      issuer: issuer as IssuerName,
      platform,
      keystore,
      card: open(record.tokenLabel),
      pin: record.pin,
      cardIndex: record.index,
      email: record.cardholder.email,
      agent: needsAgent ? { card: open(cardIssuer.card(agentIndex).tokenLabel), pin: cardIssuer.card(agentIndex).pin } : undefined,
      onStep: (s) => console.log(`  ✓ ${s.step.padEnd(24)} ${s.detail}`),
    });
    const { pivAuth, signing, encryption } = result.certificates;
    // A hardware keystore's keys stay in its SoftHSM token (non-extractable): only the certificates are written then.
    const [pivAuthKey, signingKey] =
      keystore instanceof RecordingKeystore
        ? keystore.take(CertificateFacts.fromDer(pivAuth).spki, ...(signing ? [CertificateFacts.fromDer(signing).spki] : [])).map((k) => k?.exportPkcs8?.())
        : [];
    const files = writeCredential(out, {
      pivAuth,
      chain: result.chain,
      ...(pivAuthKey ? { pivAuthKey } : {}),
      ...(signing ? { signing } : {}),
      ...(signingKey ? { signingKey } : {}),
      ...(encryption ? { encryption } : {}),
      ...(result.encryptionKeyPkcs8 ? { encryptionKey: result.encryptionKeyPkcs8 } : {}),
    });
    // root.pem: the lab's TEST root, the trust anchor to verify with.
    writeFileSync(join(out, "root.pem"), `${cardIssuer.root.certificate.toString("pem")}\n`);
    const cert = new X509Certificate(result.certificates.pivAuth.slice());
    writeFileSync(
      join(out, "credential.json"),
      `${JSON.stringify({ issuer, platform, keystore: keystoreKind, deviceId: result.deviceId, credentialId: result.credentialId, serialNumber: cert.serialNumber }, null, 2)}\n`,
    );
    console.log(`derived credential ${result.credentialId}: serial ${cert.serialNumber}, valid to ${cert.notAfter.toISOString().slice(0, 10)}`);
    console.log(`wrote ${[...files, "root.pem", "credential.json"].join(", ")} to ${out}`);
    return 0;
  } finally {
    for (const card of cards) card.close();
    stack?.cardIssuer.save();
  }
}

/**
 * A private key (the escrowed S/MIME key-management key) is readable by its owner only: a file left by an earlier
 * run is removed first, so the key is never written into a file that others can read; "wx" refuses one that reappears.
 */
/** 20260304T012345Z: sortable, and safe in a file name. */
function stamp(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

/** The tenant needs its one issuer (docs/intune.md §1.2); add it when there is none, refuse when it is another. */
async function ensureTenantIssuer(tenant: JsonClient, issuer: IssuerName): Promise<void> {
  const { value } = await tenant.get<{ value: { issuer: string; displayName: string }[] }>("/tenant/beta/deviceManagement/derivedCredentials");
  const current = value[0];
  if (!current) {
    await tenant.post("/tenant/beta/deviceManagement/derivedCredentials", {
      displayName: "DPCLAB TEST derived credentials",
      issuer: GRAPH_ISSUER[issuer],
      notificationType: "companyPortal",
    });
  } else if (current.issuer !== GRAPH_ISSUER[issuer]) {
    throw new DpclabError(
      `the tenant's derived credential issuer is ${current.issuer}; one issuer per tenant — delete it first (docs/intune.md §1.3)`,
      "issuer-mismatch",
    );
  }
}
