import { DpclabError } from "../errors.js";

/** RFC 5280 §5.3.1 CRLReason. Value 7 is unused by the standard. */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASONS;

const NAMES = Object.keys(REVOCATION_REASONS) as RevocationReason[];
const BY_CODE = new Map<number, RevocationReason>(NAMES.map((n) => [REVOCATION_REASONS[n], n]));

export function revocationReasonCode(reason: RevocationReason): number {
  return REVOCATION_REASONS[reason];
}

export function revocationReasonFromCode(code: number): RevocationReason {
  const name = BY_CODE.get(code);
  if (!name) throw new DpclabError(`unknown CRLReason code ${code} (RFC 5280 §5.3.1)`, "bad-revocation-reason");
  return name;
}

/** Accepts the RFC 5280 names, case-insensitively and with or without separators ("key-compromise"). */
export function parseRevocationReason(text: string): RevocationReason {
  const wanted = text
    .trim()
    .replace(/[-_\s]/g, "")
    .toLowerCase();
  const hit = NAMES.find((n) => n.toLowerCase() === wanted);
  if (hit) return hit;
  throw new DpclabError(`unknown revocation reason "${text}" (choose one of ${NAMES.join(", ")})`, "bad-revocation-reason");
}
