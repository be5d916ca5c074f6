import { DpclabError } from "../errors.js";

/**
 * A requirement of the catalogue in docs/sp800-157.md (DC-*, CERT-*), as data: what the conformance
 * checker judges and what its reports trace back to.
 */

/** The SP 800-157 texts a rule may belong to: the 2014 edition and the two public drafts of revision 1. */
export const EDITIONS = ["2014", "r1-ipd", "r1-fpd"] as const;
export type Edition = (typeof EDITIONS)[number];

/**
 * The edition judged when none is named: the newest published text (fpd, Nov 2024). The 2014 edition is the only
 * final one, but its full text was not consulted (docs/sp800-157.md §0), so its tags are weaker.
 */
export const DEFAULT_EDITION: Edition = "r1-fpd";

export function parseEdition(text: string): Edition {
  if ((EDITIONS as readonly string[]).includes(text)) return text as Edition;
  throw new DpclabError(`unknown edition "${text}" (choose one of ${EDITIONS.join(", ")})`, "usage");
}

/**
 * How binding a rule is. Only a failed "shall" makes a run fail; "should" failures are reported but tolerated.
 * "may" rows are permissions and "informative" rows carry no obligation: they are catalogued for traceability.
 */
export type Strength = "shall" | "should" | "may" | "informative";

/**
 * What a rule is judged from:
 * - certificate: the issued certificate (and its chain), as `dpclab conform CERT` reads it;
 * - transcript: a recorded exchange with the issuer (issuance, maintenance, authentication);
 * - lifecycle: the history of a credential and its PIV identity account over time (linkage, termination);
 * - token: the device or authenticator holding the credential (Derived PIV Application, activation, key storage);
 * - documentation: the issuer's documented processes and accreditation, which only a person can judge.
 */
export type EvidenceKind = "certificate" | "transcript" | "lifecycle" | "token" | "documentation";

export interface Rule {
  /** The ID in docs/sp800-157.md, e.g. "CERT-05". */
  id: string;
  /** The requirement in our words (the reference paraphrases its sources; this paraphrases the reference). */
  requirement: string;
  /** The reference section the row is in: "1.1" … "1.7" (SP 800-157 requirements) or "2" (certificate profile). */
  section: string;
  /** The row's Source column, verbatim: which document and section it comes from. */
  source: string;
  /** The row's Conf column, verbatim: V read in the source, C secondary source only, U unverified. */
  confidence: string;
  /** The editions the row's sources make it part of (see catalogue.ts for how they were derived). */
  editions: readonly Edition[];
  strength: Strength;
  /** Where an edition words the rule differently (e.g. DC-ACT-04: ipd SHALL use a PUK, fpd MAY). */
  strengthByEdition?: Partial<Record<Edition, Strength>>;
  evidence: EvidenceKind;
  /**
   * A rule the reference does not have as a row of its own: the reference row it refines (e.g. "CERT-03"). Its
   * `source` then names the document it comes from (an FPKI worksheet), not a reference column.
   */
  refines?: string;
  /** Where dpclab judges a reference row differently from the row's wording: what changed, and the source for it. */
  amendments?: readonly Amendment[];
}

export interface Amendment {
  change: string;
  source: string;
}

/** How binding the rule is in this edition. */
export function strengthIn(rule: Rule, edition: Edition): Strength {
  return rule.strengthByEdition?.[edition] ?? rule.strength;
}
