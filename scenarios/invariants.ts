import { MOBILECONFIG_CONTENT_TYPE } from "../emulators/purebred/index.js";
import { ISSUERS as STACK_ISSUERS } from "../emulators/stack/index.js";
import { certificateEvidence, DEFAULT_EDITION, judgeCertificate, shallFailures } from "../src/conformance/index.js";
import { createHttpRevocationChecker, OIDS, validatePath } from "../src/pki/index.js";
import { X509Certificate } from "../src/x509.js";
import type { DeviationId } from "./deviations.js";
import { card, caStatus, credential, expectedLints, isActive, issuedEarlierSecond, MAX_PIN_TRIES, type Model, RECHECK_AFTER_MS, tenantState } from "./model.js";
import type { World } from "./world.js";

/**
 * What must hold after every command of every scenario, each with the rule IDs it checks (docs/sp800-157.md,
 * docs/intune.md). An invariant returns its violations; one explained by a known emulator deviation is pending:
 * reported as a finding (with the deviation's explanation) instead of failing the run.
 */
export interface Invariant {
  id: string;
  rules: string[];
  title: string;
  /** After every command ("command"), or once at the end of a run ("end": the costly ones). */
  when: "command" | "end";
  check(m: Model, w: World): Violation[] | Promise<Violation[]>;
}

/** A violation, or one explained by a known emulator deviation (KNOWN_DEVIATIONS): reported as a finding, not failed. */
export type Violation = string | { detail: string; deviation: DeviationId };

export class InvariantViolation extends Error {
  constructor(
    readonly invariant: string,
    readonly violations: string[],
  ) {
    super(`invariant ${invariant} violated:\n  - ${violations.join("\n  - ")}`);
    this.name = "InvariantViolation";
  }
}

const DERIVED_POLICIES = [OIDS.commonDerivedPivAuth, OIDS.commonDerivedPivAuthHardware];

function issuerRecords(w: World) {
  return STACK_ISSUERS.flatMap((name) => w.stack.issuers[name].issuance.credentials().map((r) => ({ name, r })));
}

function minted(w: World, issuer: string, credentialId: string) {
  return w.minted.find((x) => x.issuer === issuer && x.credentialId === credentialId);
}

export const INVARIANTS: readonly Invariant[] = [
  {
    id: "INV-PKI-AUTH",
    rules: ["DC-ISS-04", "DC-ISS-05", "DC-LNK-01", "DC-MNT-01"],
    title: "no derived credential exists but those obtained through a successful PKI-AUTH of an active account (or an authenticated rekey of one)",
    when: "command",
    check(m, w) {
      const out: string[] = [];
      for (const { name, r } of issuerRecords(w)) {
        const mine = minted(w, name, r.id);
        if (!mine) {
          out.push(`${name} credential ${r.id} (card ${r.cardIndex}) was minted by no flow of this run`);
          continue;
        }
        const c = credential(m, mine.model);
        const pivAuthSerial = w.record(r.cardIndex).certificates["9A"];
        if (r.applicantPivAuth?.serialNumber !== pivAuthSerial)
          out.push(`${name} credential ${r.id} kept no copy of card ${r.cardIndex}'s PIV Auth certificate`);
        if (c.via === "pki-auth") {
          const auth = r.transcript.find((e) => e.event === "pki-auth.verified");
          if (!auth || auth.detail?.pivAuthSerial !== pivAuthSerial || String(auth.detail?.session ?? "").startsWith("rekey:")) {
            out.push(`${name} credential ${r.id} has no PKI-AUTH with card ${r.cardIndex}'s PIV Auth certificate in its transcript`);
          }
          if (c.pkiAuthAt !== c.issuedAt) out.push(`credential ${c.id}: PKI-AUTH and issuance at different times`);
        } else {
          const rekey = r.transcript.find((e) => e.event === "rekey.authenticated");
          const before = c.predecessor !== undefined ? w.minted[c.predecessor] : undefined;
          if (!rekey || !before || rekey.detail?.supersedes !== before.credentialId)
            out.push(`${name} credential ${r.id} is a rekey of no credential of this run`);
        }
        const account = card(m, r.cardIndex);
        if (account.terminatedAt !== undefined && Date.parse(r.issuedAt) - w.startMs > account.terminatedAt) {
          out.push(`${name} credential ${r.id} was issued after card ${r.cardIndex}'s account was terminated`);
        }
      }
      if (issuerRecords(w).length !== w.minted.length)
        out.push(`the issuers hold ${issuerRecords(w).length} credentials, the flows received ${w.minted.length}`);
      return out;
    },
  },
  {
    id: "INV-NEW-KEY",
    rules: ["DC-MNT-06", "CERT-14"],
    title: "every credential has its own key and its own serial number (renewal is re-issuance with a new key)",
    when: "command",
    check(_m, w) {
      const out: string[] = [];
      const serials = new Map<string, string>();
      const keys = new Map<string, string>();
      for (const { name, r } of issuerRecords(w)) {
        const serial = `${name}:${r.pivAuth.serialNumber}`;
        if (serials.has(serial)) out.push(`serial ${serial} issued twice (${serials.get(serial)}, ${r.id})`);
        serials.set(serial, r.id);
        if (keys.has(r.publicKeySha256)) out.push(`the key of ${r.id} was already certified in ${keys.get(r.publicKeySha256)}`);
        keys.set(r.publicKeySha256, r.id);
      }
      return out;
    },
  },
  {
    id: "INV-STATUS",
    rules: ["DC-TRM-01", "DC-TRM-02", "DC-ISS-06", "DC-MNT-06"],
    title: "each credential's status at its issuer's CA is what the model says (revoked for loss, termination, the seven-day recheck, supersession)",
    when: "command",
    check(m, w) {
      const out: string[] = [];
      for (const x of w.minted) {
        const real = w.stack.issuers[x.issuer].issuance.status(x.serialNumber).status;
        const c = credential(m, x.model);
        if (real !== caStatus(c))
          out.push(
            `credential ${x.model} (${x.issuer}, card ${c.cardIndex}, device ${c.device}): CA says ${real}, model says ${caStatus(c)}${c.revokedFor ? ` (${c.revokedFor})` : ""}`,
          );
      }
      return out;
    },
  },
  {
    id: "INV-TERMINATED",
    rules: ["DC-TRM-02", "DC-LNK-02", "DC-LNK-03"],
    title: "once the issuers have monitored a terminated account, none of its derived credentials is valid",
    when: "command",
    check(m, w) {
      const out: string[] = [];
      for (const x of w.minted) {
        const c = credential(m, x.model);
        const t = card(m, c.cardIndex).terminatedAtTick;
        if (t === undefined || m.ticks <= t) continue; // the issuers have not monitored the account since
        if (w.stack.issuers[x.issuer].issuance.status(x.serialNumber).status !== "revoked")
          out.push(`credential ${x.model} of terminated card ${c.cardIndex} is still good`);
      }
      return out;
    },
  },
  {
    id: "INV-RECHECK",
    rules: ["DC-ISS-06", "DC-LNK-04"],
    title: "a card revoked within seven days of the PKI-AUTH that obtained a credential revokes it at the recheck; a later card revocation alone does not",
    when: "command",
    check(m, w) {
      const out: Violation[] = [];
      for (const x of w.minted) {
        const c = credential(m, x.model);
        const revokedAt = card(m, c.cardIndex).revokedAt;
        if (revokedAt === undefined) continue;
        const real = w.stack.issuers[x.issuer].issuance.status(x.serialNumber).status;
        if (c.recheckFoundRevoked && real !== "revoked") out.push(`credential ${x.model}: card revoked inside the window, still good after the recheck`);
        if (revokedAt > c.pkiAuthAt + RECHECK_AFTER_MS && real === "revoked" && (c.revokedFor === undefined || c.revokedFor === "recheck")) {
          const detail = `credential ${x.model} (${c.via}) was revoked by a recheck although card ${c.cardIndex} was revoked only after the seven days of the PKI-AUTH it descends from`;
          out.push(detail);
        }
      }
      return out;
    },
  },
  {
    id: "INV-LOST",
    rules: ["DC-TRM-01", "DC-TRM-03"],
    title: "a device reported lost keeps no good credential and leaves the tenant",
    when: "command",
    check(m, w) {
      const out: string[] = [];
      const known = new Set(w.stack.tenant.listDevices().map((d) => d.id));
      for (const d of m.devices.filter((x) => x.lost)) {
        const real = w.device(d.index);
        if (known.has(real.tenantId)) out.push(`lost device ${d.index} is still managed by the tenant`);
        for (const x of w.minted.filter((y) => credential(m, y.model).device === d.index)) {
          if (w.stack.issuers[x.issuer].issuance.status(x.serialNumber).status !== "revoked")
            out.push(`credential ${x.model} of lost device ${d.index} is still good`);
        }
      }
      return out;
    },
  },
  {
    id: "INV-ISSUER-DELETED",
    rules: ["docs/intune.md §1.3"],
    title: "after the issuer is deleted, no credential obtained under it is valid for the tenant, even if the same issuer is added again",
    when: "command",
    check(m, w) {
      const out: Violation[] = [];
      for (const view of w.stack.tenant.listDevices()) {
        const state = view.derivedCredential?.state;
        if (state !== "valid" && state !== "renewal-due") continue;
        const x = w.minted.find((y) => y.serialNumber === view.derivedCredential?.serialNumber);
        if (!x) {
          out.push(`device ${view.id} has a valid credential ${view.derivedCredential?.serialNumber} no flow obtained`);
          continue;
        }
        const c = credential(m, x.model);
        // Old: a deletion came after it, in a later second (within the deletion's own second the tenant cannot tell the
        // order from the certificate's one-second times; such a credential was never registered before the deletion).
        const deletion = m.deletions[c.deletionsBefore];
        if (deletion !== undefined && issuedEarlierSecond(c.issuedAt, deletion)) {
          const detail = `device ${view.id}: credential ${x.model}, obtained before the issuer was deleted, is ${state} for the tenant`;
          out.push(detail);
        }
      }
      return out;
    },
  },
  {
    id: "INV-TENANT-STATE",
    rules: ["docs/intune.md §1.3", "docs/intune.md §1.4"],
    title: "the tenant's view of every device's credential (none, valid, renewal-due, expired, invalid-issuer-deleted) is the model's",
    when: "command",
    check(m, w) {
      const out: string[] = [];
      for (const d of m.devices.filter((x) => !x.lost)) {
        const view = w.stack.tenant.getDevice(w.device(d.index).tenantId);
        const real = view.derivedCredential?.state ?? "none";
        if (real !== tenantState(m, d)) out.push(`device ${d.index}: tenant says ${real}, model says ${tenantState(m, d)}`);
      }
      return out;
    },
  },
  {
    id: "INV-RENEWAL-NOTICE",
    rules: ["docs/intune.md §1.4", "docs/intune.md §1.2"],
    title: "a renewal notice goes out exactly once per credential and channel, at the first check-in past the threshold, never before it",
    when: "command",
    check(m, w) {
      const out: string[] = [];
      const key = (deviceId: string, channel: string, delivered: boolean, at: string) => `${deviceId}|${channel}|${delivered}|${at}`;
      const real = w.stack.tenant
        .outbox()
        .filter((n) => n.kind === "renewal")
        .map((n) => key(n.deviceId, n.channel, n.delivered, n.at))
        .sort();
      const expected = m.renewalNotices.map((n) => key(w.device(n.device).tenantId, n.channel, n.delivered, new Date(w.startMs + n.at).toISOString())).sort();
      if (real.join("\n") !== expected.join("\n")) out.push(`renewal notices differ: tenant sent [${real.join("; ")}], model expects [${expected.join("; ")}]`);
      const seen = new Set<string>();
      for (const n of m.renewalNotices) {
        const k = `${n.credential}|${n.channel}`;
        if (seen.has(k)) out.push(`credential ${n.credential} got two renewal notices on ${n.channel}`);
        seen.add(k);
        const c = credential(m, n.credential);
        if (n.at < n.dueAt || n.at >= c.notAfter)
          out.push(`credential ${n.credential}: renewal notice at ${n.at}, outside its window [${n.dueAt}, ${c.notAfter})`);
      }
      return out;
    },
  },
  {
    id: "INV-IOS-ONLY",
    rules: ["docs/intune.md §1.6", "DC-KEY-03"],
    title: "iOS-only objects (S/MIME signing and encryption certificates, .mobileconfig profiles, iOS policies) never reach an Android device",
    when: "command",
    check(m, w) {
      const out: string[] = [];
      for (const d of m.devices.filter((x) => x.platform === "android")) {
        const real = w.devices[d.index];
        if (!real) continue;
        for (const h of real.history) if (h.signing || h.encryption) out.push(`android device ${d.index} received S/MIME certificates (credential ${h.model})`);
        for (const r of w.http)
          if (r.device === d.index && r.contentType.startsWith(MOBILECONFIG_CONTENT_TYPE))
            out.push(`android device ${d.index} received a .mobileconfig from ${r.path}`);
        for (const t of real.policyTypes ?? []) if (!t.startsWith("android")) out.push(`android device ${d.index} received the ${t} policy`);
      }
      for (const { name, r } of issuerRecords(w))
        if (r.platform === "android" && r.smime) out.push(`${name} issued S/MIME certificates to android device ${r.deviceId}`);
      return out;
    },
  },
  {
    id: "INV-ONE-TIME",
    rules: ["docs/intune.md §1.7", "docs/intune.md §2", "DC-ISS-04"],
    title: "every one-time secret (OTP, QR session, password, PKI-AUTH challenge, rekey challenge) works once: presented again it is refused and mints nothing",
    when: "command",
    check(_m, w) {
      return w.replays
        .filter((r) => r.status < 400 || r.status >= 500)
        .map((r) => `replayed ${r.label}: ${r.status === 0 ? "minted a credential" : `answered ${r.status}`}`);
    },
  },
  {
    id: "INV-LINTS",
    rules: ["docs/intune.md §1.7", "docs/intune.md §4"],
    title:
      "the tenant's planning lints (camera, deadlock, email under conditional access, notifications off, trusted root, Purebred network) are exactly the model's",
    when: "command",
    check(m, w) {
      const real = [...new Set(w.stack.tenant.lints().map((f) => f.id))].sort();
      const expected = expectedLints(m);
      return real.join(",") === expected.join(",") ? [] : [`lints: tenant [${real.join(", ")}], model [${expected.join(", ")}]`];
    },
  },
  {
    id: "INV-PIN",
    rules: ["DC-ACT-07", "DC-ACT-04"],
    title: "each card's PIN retry counter is the model's: 10 consecutive wrong PINs block it, a right PIN or the PUK resets it",
    when: "command",
    check(m, w) {
      const out: string[] = [];
      for (const c of m.cards) {
        const real = w.card(c.index);
        if (real.triesLeft !== c.triesLeft) out.push(`card ${c.index}: ${real.triesLeft} tries left, model says ${c.triesLeft}`);
        if (real.isBlocked !== c.triesLeft <= 0) out.push(`card ${c.index}: blocked=${real.isBlocked} with ${real.triesLeft}/${MAX_PIN_TRIES} tries`);
      }
      return out;
    },
  },
  {
    id: "INV-NO-5XX",
    rules: ["docs/architecture.md conventions"],
    title: "no request of the run, refusals and replays included, was answered with a 5xx",
    when: "command",
    check(_m, w) {
      return w.http.filter((r) => r.status >= 500).map((r) => `${r.method} ${r.path} answered ${r.status}`);
    },
  },
  {
    id: "INV-ACCEPTED",
    rules: ["DC-TOK-06", "DC-TRM-04", "DC-LIFE-02"],
    title: "a relying party (RFC 5280 path validation to the TEST root with OCSP) accepts exactly the credentials that are neither revoked nor expired",
    when: "end",
    async check(m, w) {
      const out: string[] = [];
      const at = w.clock.now();
      const revocation = createHttpRevocationChecker(w.fetch());
      for (const x of w.minted) {
        const c = credential(m, x.model);
        const held = w.devices[c.device]?.history.find((h) => h.model === x.model);
        if (!held) continue;
        const r = await validatePath({
          leaf: held.pivAuth,
          intermediates: [w.stack.issuers[x.issuer].issuance.authority.certificate],
          trustAnchors: [w.stack.cardIssuer.root.certificate],
          at,
          requiredPolicyOids: DERIVED_POLICIES,
          leafKeyUsage: ["digitalSignature"],
          revocation,
        });
        const expected = isActive(c, m.now);
        if (r.ok !== expected)
          out.push(
            `credential ${x.model}: path validation ${r.ok ? "accepts it" : `refuses it (${r.reason})`}, but the model says it is ${expected ? "active" : "revoked or expired"}`,
          );
      }
      return out;
    },
  },
];

/** Checks the invariants of one moment; pending ones become findings, the others throw with every violation. */
export async function checkInvariants(m: Model, w: World, when: "command" | "end"): Promise<void> {
  for (const inv of INVARIANTS) {
    if (inv.when !== when && !(when === "end" && inv.when === "command")) continue;
    const hard: string[] = [];
    for (const v of await inv.check(m, w)) {
      if (typeof v === "string") hard.push(v);
      else w.finding(v.deviation, `${inv.id}: ${v.detail}`);
    }
    if (hard.length) throw new InvariantViolation(`${inv.id} (${inv.rules.join(", ")})`, hard);
  }
}

/**
 * INV-CERT (CERT-01…CERT-14, DC-LIFE-02, DC-KEY-01): a credential just delivered passes the certificate checks of the
 * conformance checker (src/conformance) with its chain, and chains to the lab's TEST root through its issuer's CA.
 */
export async function checkDelivered(w: World, issuer: (typeof STACK_ISSUERS)[number], pivAuth: Uint8Array, chain: Uint8Array[]): Promise<void> {
  const violations: string[] = [];
  const root = w.stack.cardIssuer.root.certificate;
  const issuerCa = w.stack.issuers[issuer].issuance.authority.certificate;
  const last = chain.at(-1);
  if (!last || !Buffer.from(last).equals(Buffer.from(root.rawData))) violations.push("the delivered chain does not end at the lab's TEST root");
  if (!chain[0] || !Buffer.from(chain[0]).equals(Buffer.from(issuerCa.rawData))) violations.push(`the delivered chain does not start at the ${issuer} CA`);
  const at = w.clock.now();
  const evidence = await certificateEvidence({
    label: `${issuer} derived PIV Authentication certificate`,
    certificate: new X509Certificate(pivAuth.slice()),
    chain: { label: "issuer CA + TEST root", certificates: [issuerCa, root] },
    at,
  });
  if (!evidence.chain?.path.ok) violations.push(`no path to the TEST root: ${evidence.chain?.path.ok === false ? evidence.chain.path.detail : "no chain"}`);
  const report = judgeCertificate(evidence, { edition: DEFAULT_EDITION, evaluatedAt: at });
  for (const r of shallFailures(report)) violations.push(`${r.id}: ${r.detail}`);
  for (const rule of ["CERT-01", "CERT-02", "CERT-03", "CERT-04", "CERT-05", "CERT-06", "CERT-07", "CERT-12", "CERT-13", "CERT-14"]) {
    if (report.results.find((r) => r.id === rule)?.status !== "pass")
      violations.push(`${rule} was not judged "pass" (${report.results.find((r) => r.id === rule)?.status ?? "not run"})`);
  }
  if (violations.length) throw new InvariantViolation("INV-CERT (CERT-01…CERT-14, DC-LIFE-02)", violations);
}
