import { DerError, type DerNode, derAscii, derChildren, derExpect, derSmallUnsigned } from "../der.js";
import type { CertificateFacts } from "./certificate-facts.js";
import { type ComparableName, comparableName, nameWithinSubtree } from "./name-compare.js";

/**
 * RFC 5280 §4.2.1.10 name constraints and their processing in path validation (§6.1.3(b), (c); §6.1.4(g)).
 * Forms processed: directoryName (RDN prefix, compared as §7.1 says), rfc822Name (mailbox, host, ".domain"; the
 * emailAddress attributes of the subject DN too), dNSName (the name and its subdomains), uniformResourceIdentifier
 * (the URI's host: a host, or ".domain" for its subdomains) and iPAddress (address and mask). otherName, x400Address,
 * ediPartyName and registeredID constraints are not processed: a name of such a form under a constraint of its form
 * fails, as §4.2.1.10 requires of an application that cannot process it.
 */
export type GeneralNameForm = "otherName" | "rfc822Name" | "dNSName" | "x400Address" | "directoryName" | "ediPartyName" | "uri" | "iPAddress" | "registeredID";

export interface GeneralName {
  readonly form: GeneralNameForm;
  /** rfc822Name, dNSName, uri: the IA5 text. */
  readonly text?: string;
  /** directoryName: the Name in its §7.1 form. */
  readonly name?: ComparableName;
  /** iPAddress: the octets (4 or 16 for a name; 8 or 32 for a constraint: address then mask). */
  readonly octets?: Uint8Array;
}

export interface NameConstraints {
  readonly permitted: readonly GeneralName[];
  readonly excluded: readonly GeneralName[];
}

/** Most name × subtree comparisons for one certificate (Go: maxConstraintComparisons = 250,000). */
const MAX_COMPARISONS = 250_000;

const FORMS: readonly GeneralNameForm[] = [
  "otherName",
  "rfc822Name",
  "dNSName",
  "x400Address",
  "directoryName",
  "ediPartyName",
  "uri",
  "iPAddress",
  "registeredID",
];

/** One GeneralName (RFC 5280 §4.2.1.6) at `node` inside `v`. */
export function readGeneralName(v: Uint8Array, node: DerNode): GeneralName {
  const n = node.tag & 0x1f;
  const form = FORMS[n];
  if (!form || (node.tag & 0xc0) !== 0x80) throw new DerError(`unknown GeneralName tag 0x${node.tag.toString(16)}`);
  switch (form) {
    case "rfc822Name":
    case "dNSName":
    case "uri":
      if (node.tag & 0x20) throw new DerError(`${form} is an IA5String`);
      return { form, text: derAscii(v, node) };
    case "directoryName": {
      // [4] EXPLICIT Name
      const [inner, extra] = derChildren(v, node);
      if (!inner || extra) throw new DerError("directoryName holds one Name");
      return { form, name: comparableName(v.subarray(inner.start, inner.end)) };
    }
    case "iPAddress":
      return { form, octets: v.slice(node.body, node.end) };
    default:
      return { form };
  }
}

/** The GeneralNames SEQUENCE at `seq`. */
export function readGeneralNames(v: Uint8Array, seq: DerNode): GeneralName[] {
  return derChildren(v, seq).map((gn) => readGeneralName(v, gn));
}

/** The nameConstraints extension value (RFC 5280 §4.2.1.10); minimum other than 0 or a maximum is refused. */
export function parseNameConstraints(value: Uint8Array): NameConstraints {
  const seq = derExpect(value, 0, value.length, 0x30, "nameConstraints");
  if (seq.end !== value.length) throw new DerError("nameConstraints: bytes after the value");
  const permitted: GeneralName[] = [];
  const excluded: GeneralName[] = [];
  let last = 0;
  for (const part of derChildren(value, seq)) {
    const which = part.tag === 0xa0 ? 1 : part.tag === 0xa1 ? 2 : 0;
    if (which <= last) throw new DerError("nameConstraints is [0] permittedSubtrees, [1] excludedSubtrees");
    last = which;
    const subtrees = derChildren(value, part);
    if (subtrees.length === 0) throw new DerError("GeneralSubtrees holds at least one subtree");
    for (const st of subtrees) {
      const [base, ...bounds] = st.tag === 0x30 ? derChildren(value, st) : [];
      if (!base) throw new DerError("GeneralSubtree is base, minimum, maximum");
      for (const b of bounds) {
        // §4.2.1.10: minimum MUST be zero, maximum MUST be absent.
        if (b.tag === 0x80 && derSmallUnsigned(value, { ...b, tag: 0x02 }) === 0) continue;
        throw new DerError("a GeneralSubtree with a minimum other than 0 or a maximum is not used in RFC 5280");
      }
      const name = readGeneralName(value, base);
      if (name.form === "iPAddress" && name.octets?.length !== 8 && name.octets?.length !== 32) {
        throw new DerError("an iPAddress constraint is an address and a mask (8 or 32 octets)");
      }
      (which === 1 ? permitted : excluded).push(name);
    }
  }
  return { permitted, excluded };
}

/**
 * The names of a certificate that name constraints apply to (§6.1.3(b), (c)): the subject DN (when not empty), the
 * emailAddress values in it as rfc822Names, and every subjectAltName entry.
 */
export function constrainedNames(cert: CertificateFacts): GeneralName[] {
  const out: GeneralName[] = [];
  const subject = cert.comparableSubject;
  if (subject.rdns.length) out.push({ form: "directoryName", name: subject });
  for (const email of subject.emails) out.push({ form: "rfc822Name", text: email });
  out.push(...cert.generalNames);
  return out;
}

/**
 * Checks `names` against the constraints of every CA above (each CA's permitted subtrees of a form bound the names of
 * that form — together that is the §6.1.4(g) intersection; any excluded subtree refuses). Returns why not, or undefined.
 */
export function checkNameConstraints(names: readonly GeneralName[], constraints: readonly { ca: CertificateFacts; nc: NameConstraints }[]): string | undefined {
  // Bounded work, as Go's crypto/x509 bounds it: a certificate with thousands of names under thousands of subtrees is
  // refused rather than checked (x509-limbo pathological::nc-dos-*).
  let comparisons = 0;
  for (const { nc } of constraints) comparisons += names.length * (nc.permitted.length + nc.excluded.length);
  if (comparisons > MAX_COMPARISONS)
    return `${names.length} names under ${comparisons / Math.max(1, names.length)} subtrees: more than ${MAX_COMPARISONS} comparisons, not checked`;
  for (const { ca, nc } of constraints) {
    for (const name of names) {
      const shown = () => describe(name);
      for (const ex of nc.excluded) {
        if (ex.form !== name.form) continue;
        const m = matches(name, ex);
        if (m === undefined) return `${shown()} is under a ${name.form} constraint of "${ca.subject}" that cannot be processed`;
        if (m) return `${shown()} is in a subtree "${ca.subject}" excludes (${describe(ex)})`;
      }
      let sameForm = false;
      let inside = false;
      for (const p of nc.permitted) {
        if (p.form !== name.form) continue;
        sameForm = true;
        const m = matches(name, p);
        if (m === undefined) return `${shown()} is under a ${name.form} constraint of "${ca.subject}" that cannot be processed`;
        if (m) {
          inside = true;
          break;
        }
      }
      if (sameForm && !inside) return `${shown()} is outside the ${name.form} subtrees "${ca.subject}" permits`;
    }
  }
  return undefined;
}

/** Whether `name` lies in `subtree` (same form); undefined for forms not processed. */
function matches(name: GeneralName, subtree: GeneralName): boolean | undefined {
  switch (name.form) {
    case "directoryName":
      return nameWithinSubtree(name.name as ComparableName, subtree.name as ComparableName);
    case "dNSName":
      return dnsWithin(name.text as string, subtree.text as string);
    case "rfc822Name":
      return emailWithin(name.text as string, subtree.text as string);
    case "uri": {
      const host = uriHost(name.text as string);
      if (host === undefined) return false; // no authority: it cannot be inside a host subtree (and is outside any)
      const c = (subtree.text as string).toLowerCase();
      return c.startsWith(".") ? host.endsWith(c) && host.length > c.length : host === c;
    }
    case "iPAddress": {
      const a = name.octets as Uint8Array;
      const c = subtree.octets as Uint8Array;
      if (a.length * 2 !== c.length) return false;
      for (let i = 0; i < a.length; i++) {
        const mask = c[a.length + i] as number;
        if (((a[i] as number) & mask) !== ((c[i] as number) & mask)) return false;
      }
      return true;
    }
    default:
      return undefined;
  }
}

/** §4.2.1.10 dNSName: the constraint and any name formed by adding labels to its left. A leading "." means subdomains only. */
function dnsWithin(name: string, constraint: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, "");
  const c = constraint.toLowerCase().replace(/\.$/, "");
  if (c === "") return true;
  if (c.startsWith(".")) return n.endsWith(c) && n.length > c.length;
  return n === c || n.endsWith(`.${c}`);
}

/** §4.2.1.10 rfc822Name: "a@host" one mailbox, "host" every mailbox at that host, ".domain" every mailbox below it. */
function emailWithin(name: string, constraint: string): boolean {
  const at = name.lastIndexOf("@");
  if (at < 0) return false;
  const local = name.slice(0, at);
  const host = name.slice(at + 1).toLowerCase();
  const cAt = constraint.lastIndexOf("@");
  if (cAt >= 0) return local === constraint.slice(0, cAt) && host === constraint.slice(cAt + 1).toLowerCase();
  const c = constraint.toLowerCase();
  if (c.startsWith(".")) return host.endsWith(c) && host.length > c.length;
  return host === c;
}

/** The host of a URI with an authority (scheme://[userinfo@]host[:port]…), lowercase; undefined without one. */
function uriHost(uri: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(uri);
  if (!m) return undefined;
  let authority = m[1] as string;
  const at = authority.lastIndexOf("@");
  if (at >= 0) authority = authority.slice(at + 1);
  if (authority.startsWith("[")) return authority.slice(0, authority.indexOf("]") + 1).toLowerCase();
  const colon = authority.indexOf(":");
  const host = (colon >= 0 ? authority.slice(0, colon) : authority).toLowerCase();
  return host === "" ? undefined : host;
}

function describe(name: GeneralName): string {
  if (name.text !== undefined) return `${name.form} "${name.text}"`;
  if (name.octets) return `${name.form} ${Buffer.from(name.octets).toString("hex")}`;
  return name.form;
}
