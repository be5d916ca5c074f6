import { createHash } from "node:crypto";
import { GRAPH_ISSUER } from "../../../emulators/derived/index.js";
import type { CardRecord } from "../../../emulators/piv-ca/index.js";
import { JsonClient, type SimulatedDevice } from "../../../fleet/clients/index.js";
import { enrolDevice } from "../../../fleet/enrol-device.js";
import { type IssuerWorkflow, issuerWorkflow } from "../../../fleet/issuers/index.js";
import type { DeviceKey, Keystore } from "../../../fleet/keystore/index.js";
import { DAY_MS } from "../../clock.js";
import { DpclabError } from "../../errors.js";
import { openLabCard } from "../../lab/index.js";
import type { PivCard } from "../../piv/index.js";
import { CertificateFacts, createOcspRequest, newOcspNonce, readOcspResponse } from "../../pki/index.js";
import { X509Certificate } from "../../x509.js";
import type {
  ActiveEvidence,
  CardholderNoticeSeen,
  CertificateStatus,
  LifecycleObservation,
  LifecycleTrigger,
  ObservedCredential,
  Probe,
  ProbeId,
} from "../index.js";
import { certificateEvidence, readCertificate } from "../index.js";
import { RecordingKeystore, replayingKeystore, tamperingKeystore } from "./keystores.js";
import { SECRET_PROBES, type SecretContext, type ShownSecret } from "./secret-probes.js";
import type { IssuerTarget } from "./target.js";

/**
 * The active suite's scenario (issue 5 §3): one virtual timeline that drives an issuer through what SP 800-157 asks of
 * it and records what happened, for src/conformance/active-checks.ts to judge. It plays the cardholders, their phones
 * (the fleet's device clients), the MDM (the tenant's Graph API) and the lab operator (/__admin, card revocation,
 * identity account termination).
 *
 *   day 0   tenant set to the issuer; card b revoked
 *           C1 full Intune enrolment (card a) · C3 (card c) · C5 (card d) · C6 (card e) [· C1b (card a), Intercede]
 *           probes: unapproved device, CSR without proof of possession, revoked card, one-time secret used twice
 *           Purebred/Entrust: renewal = a new enrolment (C1r, new key), then one on the key of C1 (must be refused)
 *           a one-time secret is shown …
 *   day 1   … and used a day late
 *   day 2   card c revoked (within seven days of C3) · card d's identity account terminated → C5 · new enrolment of d
 *           device of C6 reported lost → C6
 *   day 8   after the seven-day recheck → C3
 *   ~day 338 (Intercede, rekey window): rekey with a wrong proof, from another keystore, then C1 → C2; C1b on its own
 *           key; C5 of the terminated account
 */
export async function runActiveSuite(t: IssuerTarget): Promise<ActiveEvidence> {
  return new Suite(t).run();
}

interface Delivered {
  credentialId: string;
  certificates: { pivAuth: Uint8Array };
  chain: Uint8Array[];
}

const ANDROID = { platform: "android" as const, osVersion: "14" };

class Suite {
  readonly api: JsonClient;
  readonly credentials: ObservedCredential[] = [];
  readonly probes: Probe[] = [];
  readonly lifecycle: LifecycleObservation[] = [];
  /** The device key each credential certifies, by credential name (for the same-key renewal attempts). */
  readonly keys = new Map<string, DeviceKey>();

  /** The device side of the issuer under test. */
  readonly workflow: IssuerWorkflow;

  constructor(readonly t: IssuerTarget) {
    this.api = new JsonClient(t.fetch, t.baseUrl);
    this.workflow = issuerWorkflow(t.issuer);
  }

  async run(): Promise<ActiveEvidence> {
    const { t } = this;
    const { a, b, c, d, e } = t.cards;
    const start = await this.now();
    await this.useIssuer();

    // ——— day 0: enrolments ———
    await t.revokeCard(b.index); // before it ever enrols (DC-ISS-04 probe below)
    const c1 = await this.enrolFully("C1", "first enrolment (MDM enrolment, issuer workflow, tenant registration, check-in)", a);
    const { rekey } = this.workflow;
    const c1b = rekey ? await this.enrol("C1b", "second enrolment of card a (for a rekey on its own key)", a) : undefined;
    const c3 = await this.enrol("C3", "enrolment of card c (its card is revoked two days later)", c);
    const c5 = await this.enrol("C5", "enrolment of card d (its identity account is terminated two days later)", d);
    const c6 = await this.enrol("C6", "enrolment of card e (its device is reported lost two days later)", e);

    // ——— day 0: issuance probes ———
    await this.probe("unapproved-device", ["DC-ISS-02"], "card a enrols a device the MDM never enrolled", async () => {
      const device = this.device(`not-enrolled-${Date.now().toString(36)}`, new RecordingKeystore());
      return async () => describe(await this.enrolWith(a, device));
    });
    await this.probe("bad-proof-of-possession", ["DC-ISS-12"], "card a enrols a device whose CSR signature does not match its key", async () => {
      const device = this.device(await this.mdmEnrol(a), tamperingKeystore());
      return async () => describe(await this.enrolWith(a, device));
    });
    await this.probe("revoked-card", ["DC-ISS-04"], "card b, whose PIV Authentication certificate is revoked, enrols a device", async () => {
      const device = this.device(await this.mdmEnrol(b), new RecordingKeystore());
      return async () => describe(await this.enrolWith(b, device));
    });
    await this.probe("secret-replay", ["DC-LNK-01"], `the ${SECRET_PROBES[t.issuer].secret} of a completed step is presented again`, async () => {
      const shown = await this.showSecret(e, true);
      return () => shown.use();
    });

    // ——— day 0: renewal by a new enrolment (Purebred, Entrust: credentials cannot be renewed, docs/intune.md §1.4) ———
    if (!rekey) {
      const keystore = new RecordingKeystore();
      const c1r = await this.observe("C1r", "renewal of C1: the workflow again on the same device", a, c1.deviceId, keystore, async () =>
        this.enrolWith(a, this.device(c1.deviceId, keystore)),
      );
      c1r.renews = c1.name;
      await this.probe("same-key-renewal", ["DC-MNT-06"], `another renewal on C1's device, its CSR carrying the key ${c1.name} already certified`, async () => {
        const device = this.device(c1.deviceId, replayingKeystore(this.keyOf(c1)));
        return async () => describe(await this.enrolWith(a, device));
      });
    }

    // ——— day 0 → 1: a one-time secret used late ———
    await this.probe("secret-late", ["DC-LNK-01"], `a ${SECRET_PROBES[t.issuer].secret} is used a day after the kiosk showed it`, async () => {
      const shown = await this.showSecret(e, false);
      await this.advance(DAY_MS);
      return () => shown.use();
    });

    // ——— day 2: card revoked within seven days; identity account terminated; device lost ———
    await this.advance(DAY_MS);
    const revokedAt = await this.now();
    await t.revokeCard(c.index);
    const terminatedAt = await this.now();
    await t.terminateAccount(d.index);
    await this.advance(60_000); // the issuers' monitoring runs when the lab clock moves
    await this.observeStatus("account-terminated", `card d's identity account was terminated at ${terminatedAt} (its card left unrevoked)`, c5, terminatedAt);
    await this.probe(
      "terminated-enrolment",
      rekey ? ["DC-LNK-02"] : ["DC-LNK-02", "DC-MNT-03"],
      "card d, whose identity account is terminated, enrols a new device",
      async () => {
        const device = this.device(await this.mdmEnrol(d), new RecordingKeystore());
        return async () => describe(await this.enrolWith(d, device));
      },
    );
    if (!rekey) this.copyProbe("terminated-enrolment", "terminated-renewal", ["DC-MNT-03"]);
    const lostAt = await this.now();
    await this.api.post(`/__admin/devices/${encodeURIComponent(c6.deviceId)}/lost`);
    await this.observeStatus("device-lost", `the device of C6 was reported lost at ${lostAt}`, c6, lostAt);

    // ——— day 8: the seven-day recheck has run ———
    await this.advance(6 * DAY_MS);
    await this.observeStatus(
      "card-revoked-within-7-days",
      `card c's PIV Authentication certificate was revoked at ${revokedAt}, within seven days of C3's issuance`,
      c3,
      revokedAt,
    );

    // ——— Intercede: the Identity Agent's rekey window ———
    if (rekey && c1b) await this.rekeys(rekey, c1, c1b, c5);
    else this.noRekeyProbes();

    const end = await this.now();
    const outbox = await this.api.get<{ value: unknown[] }>("/__admin/outbox");
    const transcripts = t.transcripts();
    return {
      target: { issuer: t.issuer, mode: t.mode, location: t.location, defects: [...t.defects] },
      timeline: { start, end },
      credentials: this.credentials,
      probes: this.probes,
      lifecycle: this.lifecycle,
      notices: outbox.value.filter(isNotice),
      ...(transcripts ? { transcripts } : { transcriptsUnavailable: t.transcriptsUnavailable ?? "are not exposed by the issuer" }),
    };
  }

  /** The issuer's own rekey (Intercede's Identity Agent): into its window, then the probes and C1 → C2. */
  async rekeys(rekey: NonNullable<IssuerWorkflow["rekey"]>, c1: ObservedCredential, c1b: ObservedCredential, c5: ObservedCredential): Promise<void> {
    const { a } = this.t.cards;
    const agent = (credential: ObservedCredential, key: DeviceKey, keystore: Keystore) =>
      rekey({ client: this.api, device: this.device(credential.deviceId, keystore), credential: { credentialId: credential.credentialId, key } });
    // Into the window: the agent's poll says from when.
    const poll = await agent(c1, this.keyOf(c1), new RecordingKeystore());
    if (!poll.due) {
      await this.advance(Math.max(0, Date.parse(poll.dueAt) - Date.parse(await this.now())) + 60_000);
    }
    await this.probe("rekey-wrong-proof", ["DC-MNT-01"], "a rekey of C1 whose challenge is signed by a key other than C1's", async () => {
      const stranger = await new RecordingKeystore().generateKey("p256");
      return async () => rekeyed(await agent(c1, stranger, new RecordingKeystore()));
    });
    await this.probe(
      "rekey-other-keystore",
      ["DC-MNT-04"],
      "a rekey of C1 sent from a hardware keystore instead of the software one holding C1's key",
      async () => {
        return async () => rekeyed(await agent(c1, this.keyOf(c1), new RecordingKeystore("hardware")));
      },
    );
    const keystore = new RecordingKeystore();
    const c2 = await this.observe("C2", "rekey of C1 by the Identity Agent (new key, proof by the current key)", a, c1.deviceId, keystore, async () => {
      const r = await agent(c1, this.keyOf(c1), keystore);
      if (!r.due) throw new DpclabError(`MyID requested no rekey of C1 inside its rekey window (due ${r.dueAt})`, "suite-rekey-not-due");
      return r;
    });
    c2.renews = c1.name;
    await this.observeStatus("rekeyed", "C1 was rekeyed into C2", c1, c2.issuedAt);
    await this.probe("same-key-renewal", ["DC-MNT-06"], "a rekey of C1b whose CSR carries C1b's current key", async () => {
      return async () => rekeyed(await agent(c1b, this.keyOf(c1b), replayingKeystore(this.keyOf(c1b))));
    });
    await this.probe("terminated-renewal", ["DC-MNT-03"], "a rekey of C5, whose cardholder's identity account is terminated", async () => {
      return async () => rekeyed(await agent(c5, this.keyOf(c5), new RecordingKeystore()));
    });
  }

  noRekeyProbes(): void {
    const reason = `${this.t.issuer} has no remote rekey protocol: a renewal is a new enrolment with PKI-AUTH at the kiosk`;
    for (const [id, rules] of [
      ["rekey-wrong-proof", ["DC-MNT-01"]],
      ["rekey-other-keystore", ["DC-MNT-04"]],
    ] as const) {
      this.probes.push({ id, rules, attempt: "a remote rekey", at: "n/a", outcome: { result: "not-run", reason } });
    }
  }

  // ——— driving ———

  /** The tenant's one issuer (docs/intune.md §1.2) must be this one: set it when there is none, replace another. */
  async useIssuer(): Promise<void> {
    const path = "/tenant/beta/deviceManagement/derivedCredentials";
    const { value } = await this.api.get<{ value: { id: string; issuer: string }[] }>(path);
    if (value.length === 1 && value[0]?.issuer === GRAPH_ISSUER[this.t.issuer]) return;
    for (const s of value) await this.api.delete(`${path}/${s.id}`);
    await this.api.post(path, { displayName: "DPCLAB TEST conformance", issuer: GRAPH_ISSUER[this.t.issuer], notificationType: "companyPortal" });
  }

  /** Company Portal / Intune app MDM enrolment of a new Android device for the cardholder: the device id. */
  async mdmEnrol(card: CardRecord): Promise<string> {
    const managed = await this.api.post<{ id: string }>("/tenant/beta/deviceManagement/managedDevices", {
      ...ANDROID,
      ownership: "fullyManaged",
      userPrincipalName: card.cardholder.email,
      cardIndex: card.index,
      compliant: true,
    });
    return managed.id;
  }

  device(deviceId: string, keystore: Keystore): SimulatedDevice {
    return { deviceId, ...ANDROID, keystore, cameraAllowed: true, onPremisesNetwork: true };
  }

  /** The issuer's own workflow for `card` on `device` (the fleet's device clients), with the cards opened for it. */
  async enrolWith(card: CardRecord, device: SimulatedDevice): Promise<Delivered> {
    return this.withCards(card, async (piv, agent) =>
      this.workflow.enrol({
        client: new JsonClient(this.t.fetch, this.t.baseUrl),
        card: piv,
        pin: card.pin,
        device,
        ...(agent ? { agent: { card: agent, pin: this.t.cards.agent.pin } } : {}),
      }),
    );
  }

  async showSecret(card: CardRecord, firstUse: boolean): Promise<ShownSecret> {
    const deviceId = await this.mdmEnrol(card);
    return this.withCards(card, (piv, agent) => {
      const ctx: SecretContext = {
        client: this.api,
        card: piv,
        pin: card.pin,
        ...(agent ? { agent: { card: agent, pin: this.t.cards.agent.pin } } : {}),
        device: this.device(deviceId, new RecordingKeystore()),
      };
      return SECRET_PROBES[this.t.issuer].show(ctx, firstUse);
    });
  }

  /** Opens the applicant's card (and for Purebred the registration agent's) for the length of `use`. */
  async withCards<T>(card: CardRecord, use: (piv: PivCard, agent: PivCard | undefined) => Promise<T>): Promise<T> {
    const opened: PivCard[] = [];
    try {
      const piv = openLabCard(this.t.lab, card.tokenLabel);
      opened.push(piv);
      let agent: PivCard | undefined;
      if (this.workflow.needsAgent) {
        agent = openLabCard(this.t.lab, this.t.cards.agent.tokenLabel);
        opened.push(agent);
      }
      return await use(piv, agent);
    } finally {
      for (const p of opened) p.close();
    }
  }

  /** C1: the whole Intune path of fleet/enrol-device.ts (MDM enrolment, workflow, tenant registration, check-in). */
  async enrolFully(name: string, purpose: string, card: CardRecord): Promise<ObservedCredential> {
    const keystore = new RecordingKeystore();
    let deviceId = "";
    const observed = await this.observe(
      name,
      purpose,
      card,
      () => deviceId,
      keystore,
      () =>
        this.withCards(card, async (piv, agent) => {
          const r = await enrolDevice({
            fetch: this.t.fetch,
            baseUrl: this.t.baseUrl,
            issuer: this.t.issuer,
            platform: "android",
            keystore,
            card: piv,
            pin: card.pin,
            cardIndex: card.index,
            email: card.cardholder.email,
            ...(agent ? { agent: { card: agent, pin: this.t.cards.agent.pin } } : {}),
          });
          deviceId = r.deviceId;
          if (r.checkIn.derivedCredential.state !== "valid") {
            throw new DpclabError(`the tenant holds ${name} as "${r.checkIn.derivedCredential.state}", not valid`, "suite-enrolment-failed");
          }
          return r;
        }),
    );
    return observed;
  }

  /** A new device of the cardholder, enrolled in the MDM, running the issuer's workflow. */
  async enrol(name: string, purpose: string, card: CardRecord): Promise<ObservedCredential> {
    const keystore = new RecordingKeystore();
    const deviceId = await this.mdmEnrol(card);
    return this.observe(name, purpose, card, deviceId, keystore, () => this.enrolWith(card, this.device(deviceId, keystore)));
  }

  /** Obtains a credential the suite needs (a refusal here means the issuer cannot be judged) and records it. */
  async observe(
    name: string,
    purpose: string,
    card: CardRecord,
    deviceId: string | (() => string),
    keystore: RecordingKeystore,
    obtain: () => Promise<Delivered>,
  ): Promise<ObservedCredential> {
    let delivered: Delivered;
    try {
      delivered = await obtain();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new DpclabError(`the suite could not obtain ${name} (${purpose}) from ${this.t.issuer}: ${why}`, "suite-enrolment-failed");
    }
    const leaf = readCertificate(delivered.certificates.pivAuth, name);
    // The issuer's clock at issuance (a served lab's clock runs on while the suite reads it).
    const at = leaf.notBefore;
    const certificate = await certificateEvidence({
      label: name,
      certificate: leaf,
      chain: { label: `${name} chain`, certificates: delivered.chain.map((c) => new X509Certificate(c.slice())) },
      at,
    });
    const serial = certificate.certificate.serialNumber.toLowerCase();
    const credential: ObservedCredential = {
      name,
      purpose,
      credentialId: delivered.credentialId,
      cardIndex: card.index,
      cardUuid: card.cardUuid,
      cardPivAuthSerial: card.certificates["9A"].toLowerCase(),
      cardholderEmail: card.cardholder.email,
      deviceId: typeof deviceId === "string" ? deviceId : deviceId(),
      deviceKeySha256: sha256(keystore.last.publicKey),
      issuedAt: at.toISOString(),
      certificate,
      keptByCa: await this.keptByCa(serial),
    };
    this.keys.set(name, keystore.last);
    this.credentials.push(credential);
    return credential;
  }

  keyOf(c: ObservedCredential): DeviceKey {
    const key = this.keys.get(c.name);
    if (!key) throw new Error(`no key recorded for ${c.name}`);
    return key;
  }

  /**
   * One attempt a conformant issuer refuses. `prepare` sets it up (a failure there is the suite's, and is thrown) and
   * returns the attempt; whatever the issuer answers to the attempt is the outcome.
   */
  async probe(id: ProbeId, rules: string[], attempt: string, prepare: () => Promise<() => Promise<string>>): Promise<void> {
    const act = await prepare();
    const at = await this.now();
    let outcome: Probe["outcome"];
    try {
      outcome = { result: "accepted", detail: await act() };
    } catch (error) {
      if (!(error instanceof DpclabError)) throw error;
      outcome = { result: "refused", status: error.status, code: error.code, message: error.message };
    }
    this.probes.push({ id, rules, attempt, at, outcome });
  }

  /** The same attempt is evidence for another rule too (a renewal at Purebred/Entrust is a new enrolment). */
  copyProbe(from: ProbeId, id: ProbeId, rules: string[]): void {
    const p = this.probes.find((x) => x.id === from);
    if (p) this.probes.push({ ...p, id, rules, attempt: `${p.attempt} (a renewal at ${this.t.issuer} is a new enrolment)` });
  }

  async observeStatus(trigger: LifecycleTrigger, description: string, c: ObservedCredential, triggeredAt: string): Promise<void> {
    const serial = c.certificate.certificate.serialNumber.toLowerCase();
    this.lifecycle.push({
      trigger,
      description,
      credential: c.name,
      serialNumber: serial,
      triggeredAt,
      observedAt: await this.now(),
      registry: await this.registryStatus(serial),
      ocsp: await this.ocspStatus(c),
    });
  }

  async keptByCa(serial: string): Promise<ObservedCredential["keptByCa"]> {
    try {
      const r = await this.api.get<{ certificates: { ca: string }[] }>(`/__admin/certificates/${serial}`);
      const ca = r.certificates[0]?.ca;
      return ca ? { ca } : { error: "no CA of the lab issued it" };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  async registryStatus(serial: string): Promise<CertificateStatus> {
    try {
      const r = await this.api.get<{ certificates: { status: "good" | "revoked" | "unknown"; reason?: string; revokedAt?: string }[] }>(
        `/__admin/certificates/${serial}`,
      );
      const s = r.certificates[0];
      if (!s) return { error: "no CA of the lab issued it" };
      return { status: s.status, ...(s.reason ? { reason: s.reason } : {}), ...(s.revokedAt ? { revokedAt: s.revokedAt } : {}) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  /** RFC 6960 over HTTP POST to the id-ad-ocsp URL in the certificate, the response verified with the issuing CA's key. */
  async ocspStatus(c: ObservedCredential): Promise<CertificateStatus> {
    const cert = CertificateFacts.fromDer(new Uint8Array(c.certificate.certificate.rawData));
    const url = cert.ocspUrls.find((u) => /^http:/i.test(u));
    if (!url) return { error: "no http OCSP URL in the certificate's AIA" };
    const issuerCa = c.certificate.chain?.intermediates[0] ?? c.certificate.chain?.anchor;
    if (!issuerCa) return { error: "the issuer delivered no CA certificate to check the OCSP answer with" };
    const issuer = CertificateFacts.fromDer(new Uint8Array(issuerCa.rawData));
    try {
      const nonce = newOcspNonce();
      const res = await this.t.fetch(this.t.reach(url), {
        method: "POST",
        headers: { "content-type": "application/ocsp-request", accept: "application/ocsp-response" },
        body: new Uint8Array(createOcspRequest(cert, issuer, { nonce })),
      });
      if (res.status !== 200) return { error: `OCSP ${url} answered HTTP ${res.status}` };
      const answer = readOcspResponse(new Uint8Array(await res.arrayBuffer()), { cert, issuer, now: new Date(await this.now()), nonce });
      const s = answer.status;
      return s.status === "revoked" ? { status: "revoked", reason: s.reason, revokedAt: s.revokedAt.toISOString() } : { status: s.status };
    } catch (error) {
      return { error: `OCSP ${url}: ${(error as Error).message}` };
    }
  }

  async now(): Promise<string> {
    return (await this.api.get<{ now: string }>("/__admin/clock")).now;
  }

  /** Moves the lab clock; the issuers run what became due (rechecks, account monitoring). */
  async advance(ms: number): Promise<void> {
    await this.api.post("/__admin/clock/advance", { by: Math.ceil(ms) });
  }
}

function describe(d: { credentialId: string }): string {
  return `credential ${d.credentialId} issued`;
}

/** A rekey attempt: issued, or MyID declined to open one (its poll said "not due"), which is a refusal too. */
function rekeyed(r: { due: false; dueAt: string } | { due: true; credentialId: string }): string {
  if (!r.due) throw new DpclabError(`MyID opened no rekey (due from ${r.dueAt})`, "rekey-not-due", 409);
  return `credential ${r.credentialId} issued`;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function isNotice(x: unknown): x is CardholderNoticeSeen {
  const n = x as Partial<CardholderNoticeSeen> | null;
  return !!n && typeof n.email === "string" && typeof n.subject === "string" && typeof n.body === "string" && typeof n.at === "string";
}
