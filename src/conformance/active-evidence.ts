import type { CertificateEvidence } from "./certificate-evidence.js";
import type { EvidenceSummary } from "./report.js";

/**
 * What the active suite (`dpclab conform --issuer …`) judges: what it saw while it drove an issuer through issuance,
 * renewal, linkage and termination on a virtual timeline. Black-box parts (probes, lifecycle statuses, notices,
 * certificates) come from any issuer the suite can reach; white-box parts (the issuer's own transcripts) only from an
 * in-process emulator. Nothing here imports the emulators: the suite's driver (src/conformance/active/) fills it in.
 */

export type ActiveMode = "in-process" | "http";

export interface ActiveTarget {
  /** purebred, entrust or intercede: the enrolment workflow the suite ran. */
  issuer: string;
  mode: ActiveMode;
  /** Where the issuer was reached: "in-process emulator" or the served lab's URL. */
  location: string;
  /** Defect knobs switched on in the emulator (empty: the faithful issuer, or an issuer the suite cannot configure). */
  defects: readonly string[];
}

/** A derived credential the suite obtained from the issuer. */
export interface ObservedCredential {
  /** Short name the reports use, e.g. "C1". */
  name: string;
  /** Why the suite asked for it, e.g. "first enrolment (full Intune path)". */
  purpose: string;
  credentialId: string;
  cardIndex: number;
  /** The applicant's PIV Card: its UUID (CHUID GUID) and the serial of its PIV Authentication (9A) certificate. */
  cardUuid: string;
  cardPivAuthSerial: string;
  /** The address in the PIV identity account (DC-ISS-09 notices go there). */
  cardholderEmail: string;
  deviceId: string;
  /** SHA-256 (hex) of the SubjectPublicKeyInfo the device generated in its keystore and put in its CSR (DC-ISS-12). */
  deviceKeySha256: string;
  /** When it was issued on the lab clock: the certificate's notBefore. */
  issuedAt: string;
  /** The derived PIV Authentication certificate with the chain the issuer delivered. */
  certificate: CertificateEvidence;
  /** Whether the issuing CA has a record of the certificate (the lab's certificate status API), right after issuance. */
  keptByCa: { ca: string } | { error: string };
  /** The credential this one renews or rekeys (by name). */
  renews?: string;
}

export type ProbeId =
  | "unapproved-device"
  | "bad-proof-of-possession"
  | "revoked-card"
  | "secret-replay"
  | "secret-late"
  | "same-key-renewal"
  | "terminated-enrolment"
  | "terminated-renewal"
  | "rekey-wrong-proof"
  | "rekey-other-keystore";

export type ProbeOutcome =
  | { result: "refused"; status: number; code: string; message: string }
  | { result: "accepted"; detail: string }
  /** The probe does not apply to this issuer (e.g. no remote rekey protocol), with why. */
  | { result: "not-run"; reason: string };

/** One attempt the suite made that a conformant issuer must refuse. */
export interface Probe {
  id: ProbeId;
  /** The rules the refusal is evidence for. */
  rules: readonly string[];
  /** What was tried, in a sentence. */
  attempt: string;
  /** Virtual time of the attempt. */
  at: string;
  outcome: ProbeOutcome;
}

export type CertificateStatus = { status: "good" | "revoked" | "unknown"; reason?: string; revokedAt?: string } | { error: string };

export type LifecycleTrigger = "account-terminated" | "device-lost" | "card-revoked-within-7-days" | "rekeyed";

/** The status of a credential some time after something that should (or should not) invalidate it. */
export interface LifecycleObservation {
  trigger: LifecycleTrigger;
  /** What happened, in a sentence. */
  description: string;
  /** The credential (by name) whose status was read. */
  credential: string;
  serialNumber: string;
  triggeredAt: string;
  observedAt: string;
  /** The issuing CA's own record (the lab's /__admin/certificates/:serial). */
  registry: CertificateStatus;
  /** What the OCSP responder named in the certificate's AIA answered (RFC 6960), or why it could not be asked. */
  ocsp: CertificateStatus;
}

/** A line of an issuer's transcript (emulators/derived TranscriptEvent), with the rule IDs it is evidence for. */
export interface TranscriptLine {
  at: string;
  event: string;
  rules?: string[];
  detail?: Record<string, unknown>;
}

/** An issuer's own record of one credential (white box). */
export interface IssuerRecord {
  credentialId: string;
  cardIndex: number;
  deviceId: string;
  issuedAt: string;
  status: string;
  serialNumber: string;
  recheckDueAt: string;
  recheckDoneAt?: string;
  /** Serial of the copy of the applicant's PIV Authentication certificate the issuer kept (DC-ISS-05). */
  applicantPivAuthSerial?: string;
  transcript: TranscriptLine[];
}

export interface CardholderNoticeSeen {
  email: string;
  subject: string;
  body: string;
  at: string;
}

export interface ActiveEvidence {
  target: ActiveTarget;
  /** First and last instant of the virtual timeline the suite drove. */
  timeline: { start: string; end: string };
  credentials: ObservedCredential[];
  probes: Probe[];
  lifecycle: LifecycleObservation[];
  /** Cardholder notices in the lab's outbox at the end (DC-ISS-09, DC-TRM-04). */
  notices: CardholderNoticeSeen[];
  /** The issuer's transcripts (white box); absent when the issuer does not expose them. */
  transcripts?: { records: IssuerRecord[]; journal: TranscriptLine[] };
  /** Why the transcripts are absent. */
  transcriptsUnavailable?: string;
}

/** How reports name the evidence of an active run. */
export function describeActiveEvidence(e: ActiveEvidence): EvidenceSummary[] {
  const t = e.target;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const outcome = (p: Probe) =>
    p.outcome.result === "refused"
      ? `refused ${p.outcome.status} ${p.outcome.code}`
      : p.outcome.result === "accepted"
        ? "ACCEPTED"
        : `not run (${p.outcome.reason})`;
  const status = (s: CertificateStatus) => ("error" in s ? `error: ${s.error}` : `${s.status}${s.reason ? ` (${s.reason})` : ""}`);
  return [
    {
      kind: "transcript",
      label: `${t.issuer} issuer`,
      description:
        `${t.mode === "in-process" ? "in-process emulator" : t.location}, ${t.defects.length ? `defects: ${t.defects.join(", ")}` : "no defect switched on"}; ` +
        `virtual timeline ${e.timeline.start} → ${e.timeline.end}`,
    },
    {
      kind: "transcript",
      label: "issuance transcripts",
      description: e.transcripts
        ? `${count(e.transcripts.records.length, "credential transcript")} and ${count(e.transcripts.journal.length, "issuer journal event")}, read from the issuer`
        : `not available: ${e.transcriptsUnavailable ?? "the issuer does not expose them"}`,
    },
    { kind: "transcript", label: "probes", description: e.probes.map((p) => `${p.id}: ${outcome(p)}`).join("; ") || "none" },
    {
      kind: "lifecycle",
      label: "lifecycle",
      description: e.lifecycle.map((l) => `${l.trigger} → ${l.credential} ${status(l.registry)}, OCSP ${status(l.ocsp)}`).join("; ") || "none",
    },
    { kind: "lifecycle", label: "cardholder notices", description: `${count(e.notices.length, "notice")} in the lab's outbox` },
    ...e.credentials.map((c) => {
      const x = c.certificate.certificate;
      return {
        kind: "certificate" as const,
        label: `${c.name} ${c.purpose}`,
        description: `card ${c.cardIndex}, device ${c.deviceId}: subject "${x.subject}", serial ${x.serialNumber.toLowerCase()}, SHA-256 ${c.certificate.sha256}`,
      };
    }),
  ];
}
