import { verify } from "node:crypto";
import type { CheckInPolicy } from "../emulators/tenant/index.js";
import { applyProfiles, type HeldCredential } from "../fleet/agent/index.js";
import { CertificateAuthority, CertificateFacts, exportSpki, generateKeyPair, issueDerivedPivAuthCertificate } from "../src/pki/index.js";
import { alternatingRates, type Figure, round } from "./results.js";

const DAY = 86_400_000;
/** Distinct credentials, one per simulated check-in: each leaf is parsed and its signature verified afresh. */
const CHECK_INS = 3_000;
// As many again to warm up: the validator is JIT-compiled over the first thousands (a short warm-up measured that).
const WARM_UP = 3_000;
/** Check-ins per batch: apply and raw verify alternate (alternatingRates). */
const BATCH = 250;

/**
 * Profile apply (fleet/agent/profile-apply.ts applyProfiles: trusted root + derived-credential authentication + Wi-Fi
 * over the derived credential) per second, each check-in with its own derived PIV Authentication certificate, against
 * the raw rate at which node:crypto verifies the same certificates' ECDSA P-256 signatures with the issuing CA's key
 * (the floor of one path validation: the leaf's signature).
 */
export async function benchProfileApply(): Promise<Figure[]> {
  const now = new Date();
  const root = await CertificateAuthority.createRoot({
    commonName: "C=US,O=DPCLAB TEST,CN=DPCLAB TEST Bench Root CA",
    alg: "p256",
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 3650 * DAY),
  });
  const issuing = await root.createSubordinate({
    commonName: "DPCLAB TEST Bench Derived PIV CA",
    alg: "p256",
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 1825 * DAY),
    pathLength: 0,
  });
  const publicKey = new Uint8Array(await exportSpki((await generateKeyPair("p256")).publicKey));
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < CHECK_INS + WARM_UP; i++) {
    const { der } = await issueDerivedPivAuthCertificate(issuing, {
      publicKey,
      subscriber: { commonName: `Bench Subscriber ${i}`, agency: "DPCLAB BENCH Agency" },
      keystore: "software",
      notBefore: new Date(now.getTime() - DAY),
    });
    leaves.push(der);
  }
  const rootDer = new Uint8Array(root.certificate.rawData);
  const chain = [new Uint8Array(issuing.certificate.rawData), rootDer];
  const policies: CheckInPolicy[] = [
    policy("root", "iosTrustedRootCertificate", false, { trustedRootCertificate: Buffer.from(rootDer).toString("base64") }),
    policy("dc", "iosDerivedCredentialAuthenticationConfiguration", true, {}),
    policy("wifi", "iosEnterpriseWiFiConfiguration", true, { authenticationMethod: "derivedCredential" }),
  ];
  const at = new Date();
  const applyOnce = async (leaf: Uint8Array) => {
    const credential: HeldCredential = { pivAuth: leaf, chain };
    const results = await applyProfiles(policies, credential, rootDer, at);
    if (!results.every((r) => r.ok)) throw new Error(`profile apply failed in the benchmark: ${JSON.stringify(results)}`);
  };
  // Raw: node:crypto verify of each leaf's signature over its TBSCertificate with the CA key, nothing else.
  const caKey = CertificateFacts.fromDer(chain[0]!).publicKey;
  const signed = leaves.map((der) => {
    const f = CertificateFacts.fromDer(der);
    return { tbs: f.tbsDer, sig: f.signatureValue };
  });
  // Measured check-ins take leaves 0…CHECK_INS−1, the warm-up the others (index −1 − k).
  const pick = <T>(list: readonly T[], i: number): T => list[i >= 0 ? i : CHECK_INS - 1 - i] as T;
  const rates = await alternatingRates(
    (i) => applyOnce(pick(leaves, i)),
    (i) => {
      const s = pick(signed, i);
      if (!verify("sha256", s.tbs, { key: caKey, dsaEncoding: "der" }, s.sig)) throw new Error("raw verify failed");
    },
    { batches: CHECK_INS / BATCH, batch: BATCH, warmUp: WARM_UP },
  );
  const applyRate = rates.a;
  const rawRate = rates.b;
  return [
    { name: "profile_apply_per_second", value: round(applyRate, 0), unit: "check-in/s" },
    { name: "raw_ecdsa_p256_verify_per_second", value: round(rawRate, 0), unit: "verify/s" },
    { name: "profile_apply_per_raw_verify_ratio", value: round(applyRate / rawRate, 3), unit: "ratio" },
  ];
}

function policy(id: string, type: CheckInPolicy["type"], usesDerivedCredential: boolean, settings: CheckInPolicy["settings"]): CheckInPolicy {
  return { id, type, displayName: id, version: 1, deployment: 1, usesDerivedCredential, needsEdit: false, settings };
}
