import type { CertificateFacts } from "./certificate-facts.js";
import { OIDS } from "./oids.js";

const ANY = OIDS.anyPolicy;

/** The §6.1.1 policy inputs. */
export interface PolicyInputs {
  /** user-initial-policy-set (§6.1.1(c)); [anyPolicy] when any policy will do. */
  readonly initialPolicySet: readonly string[];
  readonly initialExplicitPolicy: boolean;
  readonly initialPolicyMappingInhibit: boolean;
  readonly initialAnyPolicyInhibit: boolean;
}

/**
 * One node of the valid_policy_tree (RFC 5280 §6.1.2(a)). Nodes of one depth with the same valid_policy are kept as
 * one node with several parents (as BoringSSL and Go do): the RFC's tree can grow exponentially with the path, this
 * graph cannot, and every decision §6.1 takes from the tree comes out the same. Qualifiers are not kept (not output).
 */
interface PolicyNode {
  readonly policy: string;
  /** expected_policy_set: one policy but after a mapping. */
  expected: readonly string[];
  /** Usually one: arrays are cheaper than sets for the few a node has. */
  parents: PolicyNode[];
}

type Level = Map<string, PolicyNode>;

/**
 * The policy half of RFC 5280 §6.1: the valid_policy_tree and the explicit_policy, policy_mapping and
 * inhibit_anyPolicy counters, fed one certificate at a time from the one the anchor issued down to the leaf.
 * Each step answers an error (one line) or undefined.
 */
export class PolicyTreeState {
  /** levels[d] holds the nodes of depth d; null once the tree is NULL. */
  #levels: Level[] | null;
  #explicit: number;
  #mapping: number;
  #inhibitAny: number;
  readonly #n: number;
  readonly #inputs: PolicyInputs;
  #i = 0;

  /** §6.1.2: `n` is the number of certificates in the path (the anchor not counted). */
  constructor(n: number, inputs: PolicyInputs) {
    this.#n = n;
    this.#inputs = inputs;
    this.#levels = [new Map([[ANY, { policy: ANY, expected: [ANY], parents: [] }]])];
    this.#explicit = inputs.initialExplicitPolicy ? 0 : n + 1;
    this.#mapping = inputs.initialPolicyMappingInhibit ? 0 : n + 1;
    this.#inhibitAny = inputs.initialAnyPolicyInhibit ? 0 : n + 1;
  }

  /** An independent copy (the tree's nodes copied, parents remapped), to go on from here more than once. */
  clone(): PolicyTreeState {
    const copy = new PolicyTreeState(this.#n, this.#inputs);
    copy.#explicit = this.#explicit;
    copy.#mapping = this.#mapping;
    copy.#inhibitAny = this.#inhibitAny;
    copy.#i = this.#i;
    if (!this.#levels) {
      copy.#levels = null;
      return copy;
    }
    const copied = new Map<PolicyNode, PolicyNode>();
    copy.#levels = this.#levels.map((level) => {
      const out: Level = new Map();
      for (const [policy, node] of level) {
        const c: PolicyNode = { policy: node.policy, expected: node.expected, parents: node.parents.map((p) => copied.get(p) as PolicyNode) };
        copied.set(node, c);
        out.set(policy, c);
      }
      return out;
    });
    return copy;
  }

  /** §6.1.3(d)–(f) for certificate i, then §6.1.4(a), (b), (h)–(j) when it is not the leaf. */
  next(cert: CertificateFacts): string | undefined {
    const i = ++this.#i;
    const last = i === this.#n;
    const levels = this.#levels;
    const policies = cert.policies;
    // (d)
    if (levels && policies) {
      const prev = levels[i - 1] as Level;
      const level: Level = new Map();
      for (const p of policies) {
        if (p === ANY) continue;
        const parents: PolicyNode[] = [];
        for (const node of prev.values()) if (node.expected.includes(p)) parents.push(node);
        if (parents.length === 0) {
          const any = prev.get(ANY);
          if (any) parents.push(any);
        }
        if (parents.length) level.set(p, { policy: p, expected: [p], parents });
      }
      if (policies.has(ANY) && (this.#inhibitAny > 0 || (!last && cert.isSelfIssued))) {
        for (const node of prev.values()) {
          for (const p of node.expected) {
            let child = level.get(p);
            if (!child) {
              child = { policy: p, expected: [p], parents: [] };
              level.set(p, child);
            }
            if (!child.parents.includes(node)) child.parents.push(node);
          }
        }
      }
      levels.push(level);
      // Every node of the new level has a parent: only childless nodes above can go.
      this.#pruneUp(i);
    }
    // (e)
    if (!policies) this.#levels = null;
    // (f)
    if (this.#explicit <= 0 && !this.#levels) return this.#noPolicy(cert, i);
    if (last) return undefined;

    // §6.1.4(a), (b): policy mapping.
    const mappings = cert.policyMappings;
    if (mappings) {
      for (const [from, to] of mappings) {
        if (from === ANY || to.includes(ANY)) return `"${cert.subject}" maps a policy to or from anyPolicy (RFC 5280 §6.1.4(a))`;
      }
      const tree = this.#levels;
      if (tree) {
        const level = tree[i] as Level;
        if (this.#mapping > 0) {
          const any = level.get(ANY);
          for (const [from, to] of mappings) {
            const node = level.get(from);
            if (node) node.expected = [...new Set(to)];
            else if (any) {
              const anyParent = (tree[i - 1] as Level).get(ANY);
              if (anyParent) level.set(from, { policy: from, expected: [...new Set(to)], parents: [anyParent] });
            }
          }
        } else {
          for (const from of mappings.keys()) level.delete(from);
          this.#pruneUp(i);
        }
      }
    }
    // (h)
    if (!cert.isSelfIssued) {
      if (this.#explicit > 0) this.#explicit--;
      if (this.#mapping > 0) this.#mapping--;
      if (this.#inhibitAny > 0) this.#inhibitAny--;
    }
    // (i)
    const pc = cert.policyConstraints;
    if (pc?.requireExplicitPolicy !== undefined) this.#explicit = Math.min(this.#explicit, pc.requireExplicitPolicy);
    if (pc?.inhibitPolicyMapping !== undefined) this.#mapping = Math.min(this.#mapping, pc.inhibitPolicyMapping);
    // (j)
    const inhibit = cert.inhibitAnyPolicy;
    if (inhibit !== undefined) this.#inhibitAny = Math.min(this.#inhibitAny, inhibit);
    return undefined;
  }

  /**
   * §6.1.5(a), (b), (g) after the leaf: the user-constrained policy set (§6.1.6), or why the path fails. The set is
   * the authority-domain policies that reach the leaf ([anyPolicy] when anyPolicy does and the caller asked for any).
   */
  finish(leaf: CertificateFacts): { ok: true; validPolicies: string[] } | { ok: false; detail: string } {
    if (this.#explicit !== 0) this.#explicit--;
    if (leaf.policyConstraints?.requireExplicitPolicy === 0) this.#explicit = 0;
    const n = this.#n;
    const user = this.#inputs.initialPolicySet;
    const userIsAny = user.includes(ANY);
    const levels = this.#levels;
    if (levels && !userIsAny) {
      // (g)(iii)(1)–(3): nodes issued under anyPolicy whose policy the user did not ask for go.
      const wanted = new Set(user);
      const inSet = new Set<string>();
      for (let d = 1; d <= n; d++) {
        for (const node of (levels[d] as Level).values()) {
          if (!node.parents.some((p) => p.policy === ANY)) continue;
          inSet.add(node.policy);
          if (node.policy === ANY || wanted.has(node.policy)) continue;
          node.parents = node.parents.filter((p) => p.policy !== ANY);
          if (node.parents.length === 0) (levels[d] as Level).delete(node.policy);
        }
      }
      // (g)(iii)(4): a leaf-depth anyPolicy node stands for each wanted policy not already in the set.
      const leafLevel = levels[n] as Level;
      const anyLeaf = leafLevel.get(ANY);
      if (anyLeaf) {
        for (const p of wanted) {
          if (inSet.has(p)) continue;
          // A node of that policy reached the leaf through a mapping: the new one under anyPolicy merges into it.
          const existing = leafLevel.get(p);
          if (existing) {
            for (const parent of anyLeaf.parents) if (!existing.parents.includes(parent)) existing.parents.push(parent);
          } else leafLevel.set(p, { policy: p, expected: [p], parents: [...anyLeaf.parents] });
        }
        leafLevel.delete(ANY);
      }
      this.#prune(n);
    }
    const tree = this.#levels;
    if (this.#explicit === 0 && !tree) {
      const asked = userIsAny ? "an explicit policy" : `one of ${user.join(", ")}`;
      const asserted = leaf.policies ? [...leaf.policies].join(", ") : "none";
      return { ok: false, detail: `the path requires ${asked}, and no policy is valid for it (the leaf asserts ${asserted}) (RFC 5280 §6.1.5(g))` };
    }
    if (!tree) return { ok: true, validPolicies: [] };
    // §6.1.6: the authority-constrained set narrowed by the user's: policies of the nodes issued under anyPolicy.
    const out = new Set<string>();
    for (let d = 1; d <= n; d++) {
      for (const node of (tree[d] as Level).values()) {
        if (node.policy !== ANY && node.parents.some((p) => p.policy === ANY)) out.add(node.policy);
      }
    }
    if ((tree[n] as Level).has(ANY)) out.add(ANY);
    return { ok: true, validPolicies: [...out] };
  }

  /** §6.1.3(f): explicit_policy is 0 and the tree NULL. */
  #noPolicy(cert: CertificateFacts, i: number): string {
    const user = this.#inputs.initialPolicySet;
    const asked = user.includes(ANY) ? "an explicit policy" : `one of ${user.join(", ")}`;
    const asserted = cert.policies ? [...cert.policies].join(", ") : "none";
    return `the path requires ${asked}, and no policy is valid at "${cert.subject}" (certificate ${i} of ${this.#n}, asserts ${asserted}) (RFC 5280 §6.1.3(f))`;
  }

  /**
   * Drops nodes with no parent left (downwards) and, above depth `deepest`, nodes with no child (upwards); a level
   * left empty makes the tree NULL.
   */
  #prune(deepest: number): void {
    const levels = this.#levels;
    if (!levels) return;
    for (let d = 1; d <= deepest; d++) {
      const above = levels[d - 1] as Level;
      for (const node of (levels[d] as Level).values()) {
        if (node.parents.some((p) => above.get(p.policy) !== p)) node.parents = node.parents.filter((p) => above.get(p.policy) === p);
        if (node.parents.length === 0) (levels[d] as Level).delete(node.policy);
      }
    }
    this.#pruneUp(deepest, false);
  }

  /**
   * The upward half of #prune: nodes above depth `deepest` with no child go. `stopEarly` when only the deepest level
   * changed since the tree was last pruned: then a level that lost nothing leaves every level above it as it was.
   */
  #pruneUp(deepest: number, stopEarly = true): void {
    const levels = this.#levels;
    if (!levels) return;
    for (let d = deepest - 1; d >= 0; d--) {
      const level = levels[d] as Level;
      const below = levels[d + 1] as Level;
      let removed = false;
      for (const node of level.values()) {
        let used = false;
        for (const child of below.values()) {
          if (child.parents.includes(node)) {
            used = true;
            break;
          }
        }
        if (!used) {
          level.delete(node.policy);
          removed = true;
        }
      }
      if (!removed && stopEarly) break;
    }
    if ((levels[deepest] as Level).size === 0) this.#levels = null;
  }
}
