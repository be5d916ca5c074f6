export const RELYING_PARTY_KINDS = ["wifi", "vpn", "app", "smime"] as const;
export type RelyingPartyKind = (typeof RELYING_PARTY_KINDS)[number];

export function isRelyingPartyKind(value: string): value is RelyingPartyKind {
  return (RELYING_PARTY_KINDS as readonly string[]).includes(value);
}

/** Why a relying party refused, read from its own words. */
export type RefusalReason = "revoked" | "untrusted" | "wrong-key-usage" | "expired" | "not-yet-valid" | "policy" | "status-unknown" | "refused";

export interface Verdict {
  kind: RelyingPartyKind;
  accepted: boolean;
  /** "accepted", or why not. */
  reason: "accepted" | RefusalReason;
  /** The relying party's own line: eapol_test's SUCCESS/FAILURE, OpenVPN's log line, the HTTP status, openssl's verification line. */
  line: string;
  /** From the start of the client exchange to the relying party's verdict, in ms. */
  latencyMs: number;
  /** What the relying party is (program and version) and how it checked status. */
  relyingParty: string;
  serialNumber: string;
}

/** The refusal reason in an OpenSSL-style verification message ("certificate revoked", "unable to get local issuer…"). */
export function reasonFromText(text: string): RefusalReason {
  const t = text.toLowerCase();
  if (/revoked/.test(t)) return "revoked";
  // No answer from the responder or no CRL: the relying party could not learn the status (is the lab served?).
  if (
    /requesting certificate status|crl not loaded|unable to get certificate crl|couldn't get ocsp response|unable to check certificate|status: unknown|ocsp: unknown/.test(
      t,
    )
  )
    return "status-unknown";
  if (/certificate has expired|expired/.test(t)) return "expired";
  if (/not yet valid/.test(t)) return "not-yet-valid";
  if (/unsupported certificate purpose|unsupported certificate|key usage|keyusage|purpose/.test(t)) return "wrong-key-usage";
  if (
    /unable to get local issuer|self[- ]signed|unable to get issuer|unable to verify|unknown ca|certificate verify failed|untrusted|does not match specified value/.test(
      t,
    )
  )
    return "untrusted";
  if (/policy/.test(t)) return "policy";
  if (/ocsp.*(unknown|no response|error)|status unknown|unable to get certificate crl/.test(t)) return "status-unknown";
  return "refused";
}
