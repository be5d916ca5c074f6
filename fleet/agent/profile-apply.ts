import type { CheckInPolicy } from "../../emulators/tenant/index.js";
import { familyOf, type ProfileFamily } from "../../emulators/tenant/index.js";
import { CertificateFacts, validatePath } from "../../src/pki/index.js";

/** The credential a device holds, as profile apply needs it (DER). */
export interface HeldCredential {
  pivAuth: Uint8Array;
  signing?: Uint8Array;
  /** Issuer CA certificate, then the root. Never changed once held (profile apply keeps its parsed facts). */
  readonly chain: readonly Uint8Array[];
}

export interface ProfileResult {
  policyId: string;
  family: ProfileFamily;
  ok: boolean;
  /** Why not, or what was checked. */
  detail: string;
}

/**
 * Applies the policies of one check-in, one result per profile (issue 4 §1): a profile that takes its certificate from
 * the derived credential needs the credential to be there, its chain to validate to the trusted root the tenant
 * deployed (a trusted root profile; else the lab root the device was given), and its key usage to fit the profile
 * (digitalSignature for PIV Authentication, and for the S/MIME signing certificate of an email profile).
 */
export async function applyProfiles(
  policies: readonly CheckInPolicy[],
  credential: HeldCredential | undefined,
  fallbackRoot: Uint8Array,
  at: Date,
): Promise<ProfileResult[]> {
  const rootProfiles = policies.filter((p) => familyOf(p.type) === "trustedRoot");
  const anchors = rootProfiles.length
    ? rootProfiles.map((p) => trustedRoot(String(p.settings.trustedRootCertificate)))
    : [CertificateFacts.fromDer(fallbackRoot)];
  // Each certificate is parsed and its path validated once per check-in, however many profiles use it; the chain a
  // device holds is the same check-in after check-in, so its facts are kept with it.
  const intermediates = credential ? chainFacts(credential.chain) : [];
  const verdicts = new Map<string, Promise<string | undefined>>();
  const verdictOf = (name: string, der: Uint8Array): Promise<string | undefined> => {
    let verdict = verdicts.get(name);
    if (!verdict) {
      verdict = validatePath({ leaf: CertificateFacts.fromDer(der), intermediates, trustAnchors: anchors, at, leafKeyUsage: ["digitalSignature"] }).then(
        (checked) => (checked.ok ? undefined : `${name}-${checked.reason}`),
      );
      verdicts.set(name, verdict);
    }
    return verdict;
  };
  const results: ProfileResult[] = [];
  for (const policy of policies) {
    const family = familyOf(policy.type);
    const result = (ok: boolean, detail: string) => results.push({ policyId: policy.id, family, ok, detail });
    if (family === "trustedRoot") {
      result(true, `trusted root ${anchors[0]?.subject ?? ""} installed`);
      continue;
    }
    if (!policy.usesDerivedCredential) {
      result(true, "does not use the derived credential");
      continue;
    }
    if (policy.needsEdit) {
      result(false, "profile-needs-edit");
      continue;
    }
    if (!credential) {
      result(false, "credential-missing");
      continue;
    }
    const wanted: [string, Uint8Array | undefined][] = [["pivAuth", credential.pivAuth]];
    if (family === "email" && policy.settings.signingCertificateType === "derivedCredential") wanted.push(["signing", credential.signing]);
    let failure: string | undefined;
    for (const [name, der] of wanted) {
      if (!der) {
        failure = `${name}-missing`;
        break;
      }
      failure = await verdictOf(name, der);
      if (failure) break;
    }
    if (failure) result(false, failure);
    else result(true, `${wanted.map(([n]) => n).join(" + ")} chains to the trusted root; key usage fits`);
  }
  return results;
}

/** A trusted-root profile's certificate (base64 DER) as facts: the same few roots arrive at every check-in. */
const rootsByBase64 = new Map<string, CertificateFacts>();
function trustedRoot(base64: string): CertificateFacts {
  let facts = rootsByBase64.get(base64);
  if (!facts) {
    facts = CertificateFacts.fromDer(Buffer.from(base64, "base64"));
    if (rootsByBase64.size >= 64) rootsByBase64.clear(); // a handful of roots in any lab: bounded all the same
    rootsByBase64.set(base64, facts);
  }
  return facts;
}

const chains = new WeakMap<readonly Uint8Array[], CertificateFacts[]>();
function chainFacts(chain: readonly Uint8Array[]): CertificateFacts[] {
  let facts = chains.get(chain);
  if (!facts) {
    facts = chain.map((c) => CertificateFacts.fromDer(c));
    chains.set(chain, facts);
  }
  return facts;
}
