import { createHash } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import { OIDS } from "../pki/index.js";
import {
  type ActiveEvidence,
  type CertificateStatus,
  describeActiveEvidence,
  type IssuerRecord,
  type LifecycleObservation,
  type LifecycleTrigger,
  type ObservedCredential,
  type ProbeId,
} from "./active-evidence.js";
import { CERTIFICATE_CHECKS } from "./certificate-checks.js";
import type { CertificateEvidence } from "./certificate-evidence.js";
import { type Check, fail, notApplicable, pass, type Verdict, verdict } from "./check.js";
import type { ConformanceReport } from "./report.js";
import type { Edition } from "./rule.js";
import { runChecks } from "./run-checks.js";

/**
 * The active suite's checks (issue 5 §3): issuance (DC-ISS-*), linkage (DC-LNK-*), maintenance (DC-MNT-*) and
 * termination (DC-TRM-*) judged from what the suite saw while driving an issuer, plus every certificate check
 * (CERT-*, DC-KEY-01, DC-LIFE-02) on every credential it obtained. Black-box tests (probes, statuses, notices) judge any
 * issuer; white-box tests (transcripts) need an issuer that exposes them and are otherwise not applicable with why.
 * Rules in the suite's areas that nothing it can drive settles are listed as not applicable with the reason.
 */

type E = ActiveEvidence;

function check(id: string, rule: string, title: string, judge: (e: E) => Verdict): Check<E> {
  return { id, rule, title, judge };
}

// ——— helpers ———

const names = (cs: readonly { name: string }[]) => cs.map((c) => c.name).join(", ");

/** A probe the suite must see refused: pass when refused (saying how), fail when accepted, n/a when not tried. */
function refused(e: E, id: ProbeId, what: string): Verdict {
  const p = e.probes.find((x) => x.id === id);
  if (!p) return notApplicable(`the suite did not try ${what} at ${e.target.issuer}`);
  const o = p.outcome;
  if (o.result === "not-run") return notApplicable(o.reason);
  if (o.result === "accepted") return fail(`${p.attempt}: the issuer accepted it (${o.detail})`);
  return o.status >= 400 && o.status < 500
    ? pass(`${p.attempt}: refused, ${o.status} ${o.code} (${o.message})`)
    : fail(`${p.attempt}: answered ${o.status} ${o.code} (${o.message}), not a 4xx refusal`);
}

/** White-box: the issuer's record of each credential the suite obtained, or why there is none. */
function withRecords(e: E, judge: (pairs: { c: ObservedCredential; r: IssuerRecord }[]) => Verdict): Verdict {
  if (!e.transcripts) return notApplicable(`issuance transcripts ${e.transcriptsUnavailable ?? "are not exposed by the issuer"}`);
  if (!e.credentials.length) return notApplicable("the suite obtained no credential");
  const pairs: { c: ObservedCredential; r: IssuerRecord }[] = [];
  const missing: string[] = [];
  for (const c of e.credentials) {
    const r = e.transcripts.records.find((x) => x.credentialId === c.credentialId);
    if (r) pairs.push({ c, r });
    else missing.push(c.name);
  }
  if (missing.length) return fail(`the issuer keeps no record of ${missing.join(", ")}`);
  return judge(pairs);
}

function event(r: IssuerRecord, name: string) {
  return r.transcript.find((t) => t.event === name);
}

/** A transcript test: every credential's transcript has `name` (and `ok` holds for it). */
function everyTranscriptHas(e: E, name: string, seen: string, ok?: (detail: Record<string, unknown>, c: ObservedCredential) => string | undefined): Verdict {
  return withRecords(e, (pairs) => {
    const problems: string[] = [];
    for (const { c, r } of pairs) {
      const ev = event(r, name);
      if (!ev) problems.push(`${c.name}'s transcript has no "${name}" event`);
      else {
        const why = ok?.(ev.detail ?? {}, c);
        if (why) problems.push(`${c.name}: ${why}`);
      }
    }
    return verdict(problems, `${names(pairs.map((p) => p.c))}: ${seen}`);
  });
}

function lifecycleOf(e: E, trigger: LifecycleTrigger): LifecycleObservation[] {
  return e.lifecycle.filter((l) => l.trigger === trigger);
}

const statusText = (s: CertificateStatus) => ("error" in s ? `unreadable (${s.error})` : `${s.status}${s.reason ? ` (${s.reason})` : ""}`);
const isRevoked = (s: CertificateStatus) => !("error" in s) && s.status === "revoked";

/** The credentials hit by `trigger` must be revoked in the issuing CA's records. */
function revokedAfter(e: E, triggers: LifecycleTrigger[], what: string): Verdict {
  const seen = triggers.flatMap((t) => lifecycleOf(e, t));
  if (!seen.length) return notApplicable(`the suite observed no ${what}`);
  const problems = seen
    .filter((l) => !isRevoked(l.registry))
    .map((l) => `${l.description}: ${l.credential} (serial ${l.serialNumber}) is still ${statusText(l.registry)} at ${l.observedAt}`);
  return verdict(
    problems,
    seen
      .map((l) => `${l.description}: ${l.credential} revoked${"error" in l.registry ? "" : ` (${l.registry.reason ?? "no reason"})`} by ${l.observedAt}`)
      .join("; "),
  );
}

function sha256(bytes: Uint8Array | ArrayBuffer): string {
  return createHash("sha256")
    .update(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes))
    .digest("hex");
}

function spkiSha256(c: CertificateEvidence): string {
  return sha256(new Uint8Array(AsnConvert.serialize(c.asn.tbsCertificate.subjectPublicKeyInfo)));
}

function sanUuids(c: CertificateEvidence): string[] {
  const x = c.asn.tbsCertificate.extensions?.find((ext) => ext.extnID === OIDS.subjectAltName);
  if (!x) return [];
  return AsnConvert.parse(x.extnValue.buffer, asn1X509.SubjectAlternativeName)
    .map((n) => n.uniformResourceIdentifier)
    .filter((u): u is string => u !== undefined && /^urn:uuid:/i.test(u))
    .map((u) => u.slice("urn:uuid:".length).toLowerCase());
}

/** A certificate check run on every credential the suite obtained; same test ID, failing if any credential fails it. */
function onEveryCredential(c: Check<CertificateEvidence>): Check<E> {
  return check(c.id, c.rule, `every derived credential obtained: ${c.title}`, (e) => {
    if (!e.credentials.length) return notApplicable("the suite obtained no credential");
    const verdicts = e.credentials.map((cred) => {
      try {
        return { cred, v: c.judge(cred.certificate) };
      } catch (error) {
        return { cred, v: fail(`could not be judged: ${(error as Error).message}`) };
      }
    });
    const failed = verdicts.filter((x) => x.v.status === "fail");
    if (failed.length) return fail(failed.map((x) => `${x.cred.name}: ${x.v.detail}`).join("; "));
    const byDetail = new Map<string, string[]>();
    for (const { cred, v } of verdicts) byDetail.set(v.detail, [...(byDetail.get(v.detail) ?? []), cred.name]);
    const text = [...byDetail].map(([detail, who]) => `${who.join(", ")}: ${detail}`).join("; ");
    return verdicts.some((x) => x.v.status === "pass") ? pass(text) : notApplicable(text);
  });
}

/** A rule in the suite's areas that nothing the suite can drive settles: not applicable, and why. */
function outOfReach(rule: string, title: string, reason: string): Check<E> {
  return check(`T-${rule}-1`, rule, title, () => notApplicable(reason));
}

const NO_REKEY = (e: E) =>
  `${e.target.issuer} has no remote rekey protocol: a renewal is a new enrolment with PKI-AUTH at the kiosk (judged under DC-ISS-04, DC-MNT-06)`;

// ——— the checks ———

export const ACTIVE_CHECKS: readonly Check<E>[] = [
  // ——— §1.1 issuance ———
  check("T-DC-ISS-01-1", "DC-ISS-01", "transcript: the issuer consulted the applicant's PIV identity account (the home agency's) before issuing", (e) =>
    everyTranscriptHas(e, "account.checked", "the identity account was read and active at issuance", (d) =>
      d.status === "active" ? undefined : `the account was ${String(d.status)}`,
    ),
  ),
  check("T-DC-ISS-02-1", "DC-ISS-02", "a device the MDM never enrolled (not approved) gets no derived credential", (e) =>
    refused(e, "unapproved-device", "an unapproved device"),
  ),
  check("T-DC-ISS-02-2", "DC-ISS-02", "transcript: every issuance asked the MDM whether the device is approved", (e) =>
    everyTranscriptHas(e, "device.approved", "device approved by the MDM", (d, c) =>
      d.deviceId !== c.deviceId
        ? `approval was for ${String(d.deviceId)}, not ${c.deviceId}`
        : d.policy === "mdm"
          ? undefined
          : `approval policy ${String(d.policy)}`,
    ),
  ),
  outOfReach(
    "DC-ISS-03",
    "issuance is remote or in person as the CP allows",
    "a permission (may); where the applicant stood is not visible to the suite — every lab issuance is a remote, kiosk-authenticated one",
  ),
  check(
    "T-DC-ISS-04-1",
    "DC-ISS-04",
    "a PIV Card whose PIV Authentication certificate is revoked cannot obtain a derived credential (PKI-AUTH checks status)",
    (e) => refused(e, "revoked-card", "a revoked PIV Card"),
  ),
  check("T-DC-ISS-04-2", "DC-ISS-04", "transcript: every issuance rests on a PKI-AUTH with the applicant card's PIV Authentication certificate", (e) =>
    everyTranscriptHas(e, "pki-auth.verified", "PKI-AUTH with the card's 9A certificate", (d, c) =>
      String(d.pivAuthSerial).toLowerCase() === c.cardPivAuthSerial
        ? undefined
        : `PKI-AUTH was with serial ${String(d.pivAuthSerial)}, not the card's ${c.cardPivAuthSerial}`,
    ),
  ),
  check("T-DC-ISS-05-1", "DC-ISS-05", "the issuer kept a copy of the applicant's PIV Authentication certificate", (e) =>
    withRecords(e, (pairs) =>
      verdict(
        pairs
          .filter(({ c, r }) => r.applicantPivAuthSerial !== c.cardPivAuthSerial)
          .map(({ c, r }) => `${c.name}: kept ${r.applicantPivAuthSerial ?? "no copy"}, the card's is ${c.cardPivAuthSerial}`),
        `${names(pairs.map((p) => p.c))}: copy of the card's 9A certificate kept`,
      ),
    ),
  ),
  check("T-DC-ISS-06-1", "DC-ISS-06", "a credential obtained with a PIV Card revoked within seven days of issuance is revoked by the seven-day recheck", (e) =>
    revokedAfter(e, ["card-revoked-within-7-days"], "card revoked within seven days of issuance"),
  ),
  check("T-DC-ISS-06-2", "DC-ISS-06", "transcript: every credential issued seven days or more before the end of the run was rechecked", (e) => {
    if (!e.transcripts) return notApplicable(`issuance transcripts ${e.transcriptsUnavailable ?? "are not exposed by the issuer"}`);
    const end = Date.parse(e.timeline.end);
    const due = e.transcripts.records.filter((r) => Date.parse(r.recheckDueAt) <= end);
    if (!due.length) return notApplicable("no credential of the run reached its seven-day recheck");
    // a rekey proven with the current key inherits its predecessor's recheck (the card was not used again)
    const missing = due.filter((r) => !r.recheckDoneAt || !(event(r, "recheck.done") || event(r, "recheck.inherited")));
    return verdict(
      missing.map((r) => `credential ${r.credentialId} (card ${r.cardIndex}) was due for its recheck at ${r.recheckDueAt} and was never rechecked`),
      `${due.length} credential(s) rechecked after seven days`,
    );
  }),
  outOfReach(
    "DC-ISS-07",
    "AAL3 issuance verifies a biometric (ipd/CP) or issues only to the cardholder's own devices (fpd)",
    "the lab's cards carry no biometrics and the suite cannot tell whose hand holds a device",
  ),
  check("T-DC-ISS-08-1", "DC-ISS-08", "transcript: every new credential is recorded in the PIV identity account", (e) =>
    everyTranscriptHas(e, "account.recorded", "recorded in the identity account", (d, c) =>
      String(d.serialNumber).toLowerCase() === c.certificate.certificate.serialNumber.toLowerCase() ? undefined : `recorded serial ${String(d.serialNumber)}`,
    ),
  ),
  check("T-DC-ISS-09-1", "DC-ISS-09", "the cardholder is notified of every binding at the address in the identity account", (e) => {
    if (!e.credentials.length) return notApplicable("the suite obtained no credential");
    const missing = e.credentials.filter(
      (c) => !e.notices.some((n) => n.email === c.cardholderEmail && /issued/i.test(n.subject) && n.body.includes(c.deviceId) && n.at >= c.issuedAt),
    );
    return verdict(
      missing.map((c) => `no notice to ${c.cardholderEmail} about ${c.name} on device ${c.deviceId}`),
      `${names(e.credentials)}: a notice went to the cardholder's address`,
    );
  }),
  outOfReach(
    "DC-ISS-10",
    "the credential meets AAL2/AAL3 and is phishing-resistant",
    "an assurance-level assessment of the whole authenticator, not an observable of the issuer (its certificate policy is judged under CERT-01)",
  ),
  outOfReach("DC-ISS-11", "several credentials per card; the issuer may cap them", "a permission (may): the suite does not push an issuer to its cap"),
  check("T-DC-ISS-12-1", "DC-ISS-12", "each certificate certifies the key the device generated (CSR), and the issuing CA keeps a record of it", (e) => {
    if (!e.credentials.length) return notApplicable("the suite obtained no credential");
    const problems: string[] = [];
    for (const c of e.credentials) {
      if (spkiSha256(c.certificate) !== c.deviceKeySha256) problems.push(`${c.name} certifies a key the device did not generate`);
      if ("error" in c.keptByCa) problems.push(`${c.name}: the issuing CA has no record of it (${c.keptByCa.error})`);
    }
    return verdict(problems, `${names(e.credentials)}: the device's own key, recorded by the CA`);
  }),
  check("T-DC-ISS-12-2", "DC-ISS-12", "a CSR whose signature does not prove possession of the key is refused", (e) =>
    refused(e, "bad-proof-of-possession", "a CSR without proof of possession"),
  ),
  outOfReach(
    "DC-ISS-13",
    "AAL2 only: the CA may generate the key and deliver it",
    "a permission (may): the suite's devices always generate their key (DC-ISS-12)",
  ),
  outOfReach(
    "DC-ISS-15",
    "fpd: issuance without a PIV Card after FIPS 201 proofing",
    "a permission (may); the lab has no identity proofing without a PIV Card",
  ),

  // ——— §1.2 linkage ———
  check("T-DC-LNK-01-1", "DC-LNK-01", "transcript: every binding went through PKI-AUTH before the certificate was issued", (e) =>
    withRecords(e, (pairs) => {
      const problems: string[] = [];
      for (const { c, r } of pairs) {
        const auth = r.transcript.findIndex((t) => t.event === "pki-auth.verified");
        const issued = r.transcript.findIndex((t) => t.event === "certificate.issued");
        if (auth < 0 || issued < 0 || auth > issued) problems.push(`${c.name}: no PKI-AUTH before "certificate.issued"`);
      }
      return verdict(problems, `${names(pairs.map((p) => p.c))}: PKI-AUTH, then the certificate`);
    }),
  ),
  check("T-DC-LNK-01-2", "DC-LNK-01", "a one-time enrolment secret (Purebred OTP, Entrust/Intercede QR code) cannot be used a second time", (e) =>
    refused(e, "secret-replay", "replaying a used one-time secret"),
  ),
  check("T-DC-LNK-01-3", "DC-LNK-01", "a one-time enrolment secret used a day after it was shown is refused (it is time-limited)", (e) =>
    refused(e, "secret-late", "a one-time secret a day late"),
  ),
  check("T-DC-LNK-02-1", "DC-LNK-02", "the issuer notices a terminated PIV identity account and revokes its credentials", (e) =>
    revokedAfter(e, ["account-terminated"], "identity account termination"),
  ),
  check("T-DC-LNK-02-2", "DC-LNK-02", "a cardholder whose identity account is terminated cannot enrol again", (e) =>
    refused(e, "terminated-enrolment", "an enrolment for a terminated account"),
  ),
  check(
    "T-DC-LNK-03-1",
    "DC-LNK-03",
    "the issuer learns of termination from the identity account, not only from revocation of the PIV Authentication certificate",
    (e) => {
      const seen = lifecycleOf(e, "account-terminated");
      if (!seen.length) return notApplicable("the suite observed no identity account termination");
      const probe = refused(e, "terminated-enrolment", "an enrolment for a terminated account");
      const problems = seen.filter((l) => !isRevoked(l.registry)).map((l) => `${l.credential} stayed ${statusText(l.registry)}`);
      if (probe.status === "fail") problems.push(probe.detail);
      return verdict(
        problems,
        `the card's certificates were left unrevoked, yet ${names(seen.map((l) => ({ name: l.credential })))} was revoked; ${probe.detail}`,
      );
    },
  ),
  outOfReach(
    "DC-LNK-04",
    "credentials survive PIV Card reissuance, loss or damage",
    "a permission (may): the suite does not require an issuer to keep credentials of a lost card",
  ),

  // ——— §1.3 maintenance ———
  check("T-DC-MNT-01-1", "DC-MNT-01", "a remote rekey is authenticated with the current derived key: a wrong proof is refused, the right one accepted", (e) => {
    const probe = e.probes.find((p) => p.id === "rekey-wrong-proof");
    if (!probe || probe.outcome.result === "not-run") return notApplicable(probe?.outcome.result === "not-run" ? probe.outcome.reason : NO_REKEY(e));
    const v = refused(e, "rekey-wrong-proof", "a rekey with a wrong proof");
    const rekeyed = e.credentials.filter((c) => c.renews && /rekey/.test(c.purpose));
    if (v.status !== "pass") return v;
    return rekeyed.length
      ? pass(`${v.detail}; ${names(rekeyed)} rekeyed with the right proof`)
      : fail(`${v.detail}; but no rekey with the right proof succeeded`);
  }),
  outOfReach("DC-MNT-02", "changed subscriber information gets a new certificate", "the lab cannot change a cardholder's name or other subject information"),
  check("T-DC-MNT-03-1", "DC-MNT-03", "a renewal or rekey for a cardholder whose identity account is terminated is refused", (e) =>
    refused(e, "terminated-renewal", "a renewal for a terminated account"),
  ),
  check("T-DC-MNT-04-1", "DC-MNT-04", "a rekey stays in the module that holds the current key: one from another keystore is refused", (e) => {
    const probe = e.probes.find((p) => p.id === "rekey-other-keystore");
    if (!probe) return notApplicable(NO_REKEY(e));
    return refused(e, "rekey-other-keystore", "a rekey from another keystore");
  }),
  outOfReach("DC-MNT-05", "identity re-established every 12 years", "the suite's timeline spans about a year, not twelve"),
  check("T-DC-MNT-06-1", "DC-MNT-06", "a renewal or rekey certifies a new key under a new serial", (e) => {
    const renewed = e.credentials.filter((c) => c.renews);
    if (!renewed.length) return notApplicable("the suite obtained no renewal");
    const problems: string[] = [];
    const seen: string[] = [];
    for (const c of renewed) {
      const old = e.credentials.find((o) => o.name === c.renews);
      if (!old) continue;
      if (spkiSha256(c.certificate) === spkiSha256(old.certificate)) problems.push(`${c.name} certifies the key of ${old.name}`);
      if (c.certificate.certificate.serialNumber === old.certificate.certificate.serialNumber) problems.push(`${c.name} reuses the serial of ${old.name}`);
      const superseded = e.lifecycle.find((l) => l.trigger === "rekeyed" && l.credential === old.name);
      seen.push(`${c.name} replaces ${old.name} with a new key and serial${superseded ? `; ${old.name} is ${statusText(superseded.registry)}` : ""}`);
    }
    return verdict(problems, seen.join("; "));
  }),
  check("T-DC-MNT-06-2", "DC-MNT-06", "a renewal or rekey with a key certified before (renewal on the same key) is refused", (e) =>
    refused(e, "same-key-renewal", "a renewal on the same key"),
  ),
  check("T-DC-MNT-06-3", "DC-MNT-06", "transcript: every issuance checked that the key was never certified before", (e) =>
    everyTranscriptHas(e, "key.fresh", "the key was checked to be new", (d, c) =>
      d.publicKeySha256 === c.deviceKeySha256 ? undefined : "checked another key than the one certified",
    ),
  ),
  outOfReach(
    "DC-MNT-07",
    "activation factors updated and retry counters reset",
    "activation factors live in the device keystore, which the suite does not inspect",
  ),

  // ——— §1.4 termination ———
  check("T-DC-TRM-01-1", "DC-TRM-01", "the credential on a device reported lost is revoked", (e) => revokedAfter(e, ["device-lost"], "lost device")),
  check("T-DC-TRM-02-1", "DC-TRM-02", "every credential of a terminated identity account is revoked", (e) =>
    revokedAfter(e, ["account-terminated"], "identity account termination"),
  ),
  check("T-DC-TRM-03-1", "DC-TRM-03", "invalidation revokes the certificate (software keys are never collected and zeroized)", (e) =>
    revokedAfter(e, ["device-lost", "account-terminated"], "invalidation"),
  ),
  check("T-DC-TRM-04-1", "DC-TRM-04", "on a reported loss the credential is invalidated and the issuer notifies the subscriber", (e) => {
    const lost = lifecycleOf(e, "device-lost");
    if (!lost.length) return notApplicable("the suite observed no lost device");
    const problems: string[] = [];
    for (const l of lost) {
      const c = e.credentials.find((x) => x.name === l.credential);
      if (!isRevoked(l.registry)) problems.push(`${l.credential} is still ${statusText(l.registry)}`);
      if (c && !e.notices.some((n) => n.email === c.cardholderEmail && /revoked/i.test(n.subject) && n.body.includes(c.deviceId))) {
        problems.push(`no revocation notice to ${c.cardholderEmail} about device ${c.deviceId}`);
      }
    }
    return verdict(problems, `${names(lost.map((l) => ({ name: l.credential })))} revoked and the subscriber notified`);
  }),
  check("T-DC-TRM-05-1", "DC-TRM-05", "2014: the certificate is revoked when the binding ends (device lost, subscriber ineligible)", (e) =>
    revokedAfter(e, ["device-lost", "account-terminated"], "end of a binding"),
  ),
  check(
    "T-DC-TRM-06-1",
    "DC-TRM-06",
    "every revocation is visible at once at the OCSP responder named in the certificate (OCSP required, no wait for a CRL)",
    (e) => {
      const revoked = e.lifecycle.filter((l) => isRevoked(l.registry));
      if (!revoked.length) return notApplicable("the issuer revoked nothing the suite observed");
      const problems = revoked
        .filter((l) => !isRevoked(l.ocsp))
        .map((l) => `${l.credential} is revoked at the CA but OCSP says ${statusText(l.ocsp)} at ${l.observedAt}`);
      return verdict(problems, `${names(revoked.map((l) => ({ name: l.credential })))}: OCSP answered "revoked" right after the trigger`);
    },
  ),
  outOfReach(
    "DC-TRM-07",
    "fpd: non-voluntary invalidation follows the OPM Credentialing Standards",
    "an agency process outside any issuer interface the suite can drive",
  ),

  // ——— §2 profile, on every credential obtained ———
  ...CERTIFICATE_CHECKS.map(onEveryCredential),
  check("T-CERT-04-2", "CERT-04", "each certificate has its own UUID: not the PIV Card's UUID, and no two certificates share one", (e) => {
    if (!e.credentials.length) return notApplicable("the suite obtained no credential");
    const problems: string[] = [];
    const owner = new Map<string, string>();
    for (const c of e.credentials) {
      for (const uuid of sanUuids(c.certificate)) {
        if (uuid === c.cardUuid.toLowerCase()) problems.push(`${c.name} carries the PIV Card's UUID ${uuid}`);
        const first = owner.get(uuid);
        if (first) problems.push(`${c.name} and ${first} share the UUID ${uuid}`);
        else owner.set(uuid, c.name);
      }
    }
    return verdict(problems, `${owner.size} distinct UUIDs, none a card's`);
  }),
  check("T-CERT-14-2", "CERT-14", "serial numbers are unique across the certificates obtained", (e) => {
    if (e.credentials.length < 2) return notApplicable("fewer than two credentials to compare");
    const serials = e.credentials.map((c) => c.certificate.certificate.serialNumber.toLowerCase());
    const twice = serials.filter((s, i) => serials.indexOf(s) !== i);
    return verdict(
      twice.map((s) => `serial ${s} was issued twice`),
      `${serials.length} distinct serials`,
    );
  }),
];

/** Judges what the suite saw against every active check. */
export function judgeIssuer(evidence: E, options: { edition: Edition; evaluatedAt: Date }): ConformanceReport {
  return runChecks(ACTIVE_CHECKS, evidence, { ...options, evidence: describeActiveEvidence(evidence) });
}
