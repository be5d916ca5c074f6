import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OIDS, type PathValidationInput, toPem, validatePath } from "../../src/pki/index.js";
import { DAY, openssl, T0, tempDir } from "./helpers.js";
import { HandPki, inhibitAnyPolicy, KU_EE, type Node, policies, policyConstraints, policyMappings } from "./path-validation-certs.js";

const AT = new Date(T0.getTime() + DAY);
const P1 = "1.3.6.1.4.1.55555.1.1";
const P2 = "1.3.6.1.4.1.55555.1.2";
const P3 = "1.3.6.1.4.1.55555.1.3";
const ANY = OIDS.anyPolicy;
const pki = new HandPki(T0, new Date(T0.getTime() + 365 * DAY));

type Options = Pick<
  PathValidationInput,
  "initialPolicySet" | "initialExplicitPolicy" | "initialPolicyMappingInhibit" | "initialAnyPolicyInhibit" | "requiredPolicyOids"
>;

/** Validates leaf ← cas… ← root; with `judge`, OpenSSL (`verify -policy_check`) must agree on valid/invalid. */
async function check(cas: Node[], leaf: Node, options: Options = {}, judge = false) {
  const r = await validatePath({ leaf: leaf.der, intermediates: cas.map((c) => c.der), trustAnchors: [pki.root.der], at: AT, ...options });
  if (judge) {
    const dir = tempDir();
    const file = (n: string, ...ders: Uint8Array[]) => {
      const p = join(dir, n);
      writeFileSync(p, ders.map((d) => toPem(d, "CERTIFICATE")).join("\n"));
      return p;
    };
    const args = ["verify", "-x509_strict", "-policy_check", "-attime", String(Math.floor(AT.getTime() / 1000))];
    // OpenSSL's user policy set is empty, not anyPolicy, unless given.
    for (const p of options.initialPolicySet ?? [ANY]) args.push("-policy", p);
    if (options.initialExplicitPolicy) args.push("-explicit_policy");
    if (options.initialPolicyMappingInhibit) args.push("-inhibit_map");
    if (options.initialAnyPolicyInhibit) args.push("-inhibit_any");
    const v = openssl([
      ...args,
      "-CAfile",
      file("root.pem", pki.root.der),
      "-untrusted",
      file("cas.pem", ...cas.map((c) => c.der)),
      file("leaf.pem", leaf.der),
    ]);
    expect(v.status === 0, `OpenSSL disagrees (${r.ok ? "dpclab: valid" : `dpclab: ${r.reason}`}): ${v.out}`).toBe(r.ok);
  }
  return r;
}

describe("certificate policies (RFC 5280 §6.1.3(d)–(f), §6.1.4(a), (b), (h)–(j), §6.1.5(g))", () => {
  it("the user-constrained policy set: the policies the whole path allows, narrowed by the caller's", async () => {
    const ca = pki.ca(pki.root, "P12 CA", [policies(P1, P2)]);
    const leaf = pki.leaf(ca, "leaf", [KU_EE(), policies(P1, P2, P3)]);
    expect(await check([ca], leaf)).toMatchObject({ ok: true, validPolicies: [P1, P2] });
    expect(await check([ca], leaf, { initialPolicySet: [P2, P3], initialExplicitPolicy: true }, true)).toMatchObject({ ok: true, validPolicies: [P2] });
    expect(await check([ca], leaf, { initialPolicySet: [P3], initialExplicitPolicy: true }, true)).toMatchObject({ ok: false, reason: "policy" });
    // Without initial-explicit-policy a path valid for none of the caller's policies is still valid (§6.1.5(g)).
    expect(await check([ca], leaf, { initialPolicySet: [P3] }, true)).toMatchObject({ ok: true, validPolicies: [] });
  });

  it("the CA part of a walk is shared by the leaves under it: one leaf's pruning never shows in the next one's verdict", async () => {
    // The validator keeps the walk through the anchor and CAs and clones it per leaf (path-walk.ts); without a deep
    // clone, the P1-only leaf would prune the CA's P2 node and the P2 leaf after it would fail.
    const ca = pki.ca(pki.root, "Shared P12 CA", [policies(P1, P2), policyConstraints({ requireExplicitPolicy: 0 })]);
    const p1 = pki.leaf(ca, "P1 leaf", [KU_EE(), policies(P1)]);
    const p2 = pki.leaf(ca, "P2 leaf", [KU_EE(), policies(P2)]);
    const p3 = pki.leaf(ca, "P3 leaf", [KU_EE(), policies(P3)]);
    for (let round = 0; round < 2; round++) {
      expect(await check([ca], p1, {}, round === 0)).toMatchObject({ ok: true, validPolicies: [P1] });
      expect(await check([ca], p3, {}, round === 0)).toMatchObject({ ok: false, reason: "policy" });
      expect(await check([ca], p2, {}, round === 0)).toMatchObject({ ok: true, validPolicies: [P2] });
    }
  });

  it("anyPolicy everywhere: validPolicies is [anyPolicy]; a leaf asserting anyPolicy satisfies a required policy (PKITS 4.8.11)", async () => {
    const ca = pki.ca(pki.root, "Any CA", [policies(ANY)]);
    const leaf = pki.leaf(ca, "leaf", [KU_EE(), policies(ANY)]);
    expect(await check([ca], leaf)).toMatchObject({ ok: true, validPolicies: [ANY] });
    expect(await check([ca], leaf, { requiredPolicyOids: [P1] })).toMatchObject({ ok: true, validPolicies: [P1] });
  });

  it("requireExplicitPolicy in a CA applies even when the caller asks for no policy (PKITS 4.9.3, 4.9.5)", async () => {
    const ca = pki.ca(pki.root, "REP0 CA", [policies(P1), policyConstraints({ requireExplicitPolicy: 0 })]);
    const none = pki.leaf(ca, "no policy");
    const r = await check([ca], none, {}, true);
    expect(r).toMatchObject({ ok: false, reason: "policy" });
    if (!r.ok) expect(r.detail).toContain("§6.1");
    expect((await check([ca], pki.leaf(ca, "p1", [KU_EE(), policies(P1)]), {}, true)).ok).toBe(true);
    // Skip count 1: the certificate below the CA may lack policies, the one after that may not.
    const ca1 = pki.ca(pki.root, "REP1 CA", [policyConstraints({ requireExplicitPolicy: 1 })]);
    const sub = pki.ca(ca1, "REP1 sub CA");
    expect(await check([ca1, sub], pki.leaf(sub, "no policy"), {}, true)).toMatchObject({ ok: false, reason: "policy" });
    // Without any constraint a path without policies is valid, with validPolicies [].
    const plain = pki.ca(pki.root, "Plain CA");
    expect(await check([plain], pki.leaf(plain, "no policy"))).toMatchObject({ ok: true, validPolicies: [] });
  });

  it("policy mapping: P1 at the CA's side becomes P2 below it (PKITS 4.10.1); mapping to or from anyPolicy fails", async () => {
    const ca = pki.ca(pki.root, "Map CA", [policies(P1), policyMappings([P1, P2])]);
    const sub = pki.ca(ca, "Map sub CA", [policies(P2)]);
    const leaf = pki.leaf(sub, "leaf", [KU_EE(), policies(P2)]);
    expect(await check([ca, sub], leaf, { initialPolicySet: [P1], initialExplicitPolicy: true }, true)).toMatchObject({ ok: true, validPolicies: [P1] });
    expect(await check([ca, sub], leaf, { initialPolicySet: [P2], initialExplicitPolicy: true }, true)).toMatchObject({ ok: false, reason: "policy" });
    // initial-policy-mapping-inhibit: the mapping is not applied, so P2 below has no parent.
    expect(await check([ca, sub], leaf, { initialPolicySet: [P1], initialExplicitPolicy: true, initialPolicyMappingInhibit: true }, true)).toMatchObject({
      ok: false,
      reason: "policy",
    });
    const toAny = pki.ca(pki.root, "Map Any CA", [policies(P1), policyMappings([P1, ANY])]);
    const subAny = pki.ca(toAny, "Map Any sub CA", [policies(P1)]);
    expect(await check([toAny, subAny], pki.leaf(subAny, "leaf", [KU_EE(), policies(P1)]))).toMatchObject({ ok: false, reason: "policy" });
  });

  it("§6.1.5(g)(iii)(4): a leaf-level anyPolicy stands for a wanted policy even where a mapped copy of it was cut off", async () => {
    const ca = pki.ca(pki.root, "Map+Any CA", [policies(P1, ANY), policyMappings([P1, P2])]);
    const sub = pki.ca(ca, "Any sub CA 3", [policies(ANY)]);
    const leaf = pki.leaf(sub, "leaf", [KU_EE(), policies(ANY)]);
    expect(await check([ca, sub], leaf, { initialPolicySet: [P2], initialExplicitPolicy: true }, true)).toMatchObject({ ok: true, validPolicies: [P2] });
  });

  it("inhibitPolicyMapping in a CA certificate stops mappings below (PKITS 4.11.1)", async () => {
    const ca = pki.ca(pki.root, "IPM CA", [policies(P1), policyConstraints({ inhibitPolicyMapping: 0 })]);
    const sub = pki.ca(ca, "IPM sub CA", [policies(P1), policyMappings([P1, P2])]);
    const subsub = pki.ca(sub, "IPM subsub CA", [policies(P2)]);
    const leaf = pki.leaf(subsub, "leaf", [KU_EE(), policies(P2)]);
    expect(await check([ca, sub, subsub], leaf, { initialExplicitPolicy: true }, true)).toMatchObject({ ok: false, reason: "policy" });
    const open = pki.ca(pki.root, "Open CA", [policies(P1)]);
    const sub2 = pki.ca(open, "Map sub CA 2", [policies(P1), policyMappings([P1, P2])]);
    const subsub2 = pki.ca(sub2, "subsub CA 2", [policies(P2)]);
    expect(await check([open, sub2, subsub2], pki.leaf(subsub2, "leaf", [KU_EE(), policies(P2)]), { initialExplicitPolicy: true }, true)).toMatchObject({
      ok: true,
      validPolicies: [P1],
    });
  });

  it("inhibitAnyPolicy: anyPolicy in the certificates below stops counting as a match (PKITS 4.12.1, 4.12.2)", async () => {
    const ca = pki.ca(pki.root, "IAP0 CA", [policies(P1), inhibitAnyPolicy(0)]);
    const sub = pki.ca(ca, "IAP0 sub CA", [policies(ANY)]);
    const leaf = pki.leaf(sub, "leaf", [KU_EE(), policies(P1)]);
    expect(await check([ca, sub], leaf, { initialExplicitPolicy: true }, true)).toMatchObject({ ok: false, reason: "policy" });
    expect(await check([ca, sub], leaf, {}, true)).toMatchObject({ ok: true, validPolicies: [] });
    // initial-any-policy-inhibit does the same from the caller's side.
    const open = pki.ca(pki.root, "Any-below CA", [policies(P1)]);
    const subAny = pki.ca(open, "Any sub CA", [policies(ANY)]);
    const leaf2 = pki.leaf(subAny, "leaf", [KU_EE(), policies(P1)]);
    expect(await check([open, subAny], leaf2, { initialExplicitPolicy: true }, true)).toMatchObject({ ok: true, validPolicies: [P1] });
    expect(await check([open, subAny], leaf2, { initialExplicitPolicy: true, initialAnyPolicyInhibit: true }, true)).toMatchObject({
      ok: false,
      reason: "policy",
    });
  });

  it("a CA without certificatePolicies makes the tree NULL: fine without explicit policy, a failure with it", async () => {
    const top = pki.ca(pki.root, "P1 top CA", [policies(P1)]);
    const bare = pki.ca(top, "No-policy CA");
    const leaf = pki.leaf(bare, "leaf", [KU_EE(), policies(P1)]);
    expect(await check([top, bare], leaf, {}, true)).toMatchObject({ ok: true, validPolicies: [] });
    expect(await check([top, bare], leaf, { requiredPolicyOids: [P1] })).toMatchObject({ ok: false, reason: "policy" });
  });

  it("the policy graph stays small when every CA asserts many policies (no exponential tree)", async () => {
    const many = Array.from({ length: 12 }, (_, i) => `1.3.6.1.4.1.55555.2.${i}`);
    let issuer = pki.root;
    const cas: Node[] = [];
    for (let i = 0; i < 6; i++) {
      issuer = pki.ca(issuer, `Many ${i} CA`, [policies(...many, ANY)]);
      cas.push(issuer);
    }
    const leaf = pki.leaf(issuer, "leaf", [KU_EE(), policies(...many)]);
    const r = await check(cas, leaf, { initialPolicySet: [many[3] as string], initialExplicitPolicy: true });
    expect(r).toMatchObject({ ok: true, validPolicies: [many[3]] });
  });
});
