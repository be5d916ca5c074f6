import { DerError, derChildren, derExpect, derOidText, derSmallUnsigned } from "../der.js";

/** policyConstraints (RFC 5280 §4.2.1.11): the skip counts as given (absent: undefined). */
export interface PolicyConstraints {
  readonly requireExplicitPolicy?: number;
  readonly inhibitPolicyMapping?: number;
}

/** policyMappings (RFC 5280 §4.2.1.5): issuerDomainPolicy → the subjectDomainPolicy values it maps to, in order. */
export type PolicyMappings = ReadonlyMap<string, readonly string[]>;

export function parsePolicyMappings(value: Uint8Array): PolicyMappings {
  const seq = derExpect(value, 0, value.length, 0x30, "policyMappings");
  if (seq.end !== value.length) throw new DerError("policyMappings: bytes after the value");
  const out = new Map<string, string[]>();
  const pairs = derChildren(value, seq);
  if (pairs.length === 0) throw new DerError("policyMappings holds at least one mapping");
  for (const pair of pairs) {
    const [from, to, extra] = pair.tag === 0x30 ? derChildren(value, pair) : [];
    if (!from || !to || extra) throw new DerError("a policy mapping is issuerDomainPolicy, subjectDomainPolicy");
    const issuerPolicy = derOidText(value, from);
    const subjectPolicy = derOidText(value, to);
    const list = out.get(issuerPolicy);
    if (!list) out.set(issuerPolicy, [subjectPolicy]);
    else if (!list.includes(subjectPolicy)) list.push(subjectPolicy);
  }
  return out;
}

export function parsePolicyConstraints(value: Uint8Array): PolicyConstraints {
  const seq = derExpect(value, 0, value.length, 0x30, "policyConstraints");
  if (seq.end !== value.length) throw new DerError("policyConstraints: bytes after the value");
  let requireExplicitPolicy: number | undefined;
  let inhibitPolicyMapping: number | undefined;
  let last = -1;
  for (const part of derChildren(value, seq)) {
    if (part.tag === 0x80 && last < 0) requireExplicitPolicy = derSmallUnsigned(value, part, 0x80);
    else if (part.tag === 0x81 && last < 1) inhibitPolicyMapping = derSmallUnsigned(value, part, 0x81);
    else throw new DerError("policyConstraints is [0] requireExplicitPolicy, [1] inhibitPolicyMapping");
    last = part.tag & 1;
  }
  // §4.2.1.11: "Conforming CAs MUST NOT issue certificates where policy constraints is an empty sequence."
  if (requireExplicitPolicy === undefined && inhibitPolicyMapping === undefined) throw new DerError("policyConstraints is an empty sequence");
  return { ...(requireExplicitPolicy !== undefined ? { requireExplicitPolicy } : {}), ...(inhibitPolicyMapping !== undefined ? { inhibitPolicyMapping } : {}) };
}

/** inhibitAnyPolicy (RFC 5280 §4.2.1.14): SkipCerts. */
export function parseInhibitAnyPolicy(value: Uint8Array): number {
  const node = derExpect(value, 0, value.length, 0x02, "inhibitAnyPolicy");
  if (node.end !== value.length) throw new DerError("inhibitAnyPolicy: bytes after the value");
  return derSmallUnsigned(value, node);
}
