import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { CertificateAuthority, derivedPivAuthRequest, OIDS } from "../src/pki/index.js";
import { CertificatePolicyExtension, KeyUsageFlags, KeyUsagesExtension, SubjectAlternativeNameExtension, X509Certificate } from "../src/x509.js";
import { type Figure, ratePerSecond, round } from "./results.js";

/** Device keys issued in the timed loop (each used once); the warm-up uses its own. */
const TIMED_KEYS = 4_000;
const WARM_KEYS = 500;

/**
 * Derived PIV Authentication certificates issued per second on one core through the real issuance path
 * (`derivedPivAuthRequest` → `ca.issueDer`, awaited one at a time, fresh P-256 device keys generated beforehand), against
 * raw node:crypto P-256 `sign()` over a 300-byte buffer, in the same run. After timing, one issued certificate is parsed
 * by OpenSSL and by @peculiar/x509: both must see the same serial, the derived policy, digitalSignature and the urn:uuid
 * SAN, or the benchmark aborts (a fast wrong certificate is not a result).
 */
export async function benchIssuance(): Promise<Figure[]> {
  const notBefore = new Date();
  const notAfter = new Date(notBefore.getTime() + 5 * 365 * 86_400_000);
  const root = await CertificateAuthority.createRoot({ commonName: "DPCLAB TEST Bench Root CA", notBefore, notAfter });
  const ca = await root.createSubordinate({
    commonName: "DPCLAB TEST Bench Derived CA",
    notBefore,
    notAfter,
    publication: {
      caIssuersUrl: "http://127.0.0.1:7800/pki/derived-ca.p7c",
      ocspUrl: "http://127.0.0.1:7800/ocsp/derived",
      crlUrl: "http://127.0.0.1:7800/crl/derived.crl",
    },
  });
  const spkis = Array.from({ length: WARM_KEYS + TIMED_KEYS }, () => p256Spki());
  const issueOne = (publicKey: Uint8Array) =>
    ca.issueDer(
      derivedPivAuthRequest({
        publicKey,
        subscriber: { commonName: "BENCH CARDHOLDER", agency: "Department of Benchmarks" },
        keystore: "software",
        notBefore,
      }).request,
    );

  for (let i = 0; i < WARM_KEYS; i++) await issueOne(spkis[i]!);
  let last: { der: Uint8Array; serialNumber: string } | undefined;
  const started = performance.now();
  for (let i = WARM_KEYS; i < spkis.length; i++) last = await issueOne(spkis[i]!);
  const issuanceRate = (TIMED_KEYS * 1000) / (performance.now() - started);

  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const data = randomBytes(300);
  const signRate = await ratePerSecond(() => sign("sha256", data, privateKey));

  if (!last) throw new Error("issuance benchmark: nothing issued");
  await checkCertificate(last.der, last.serialNumber, ca);

  return [
    { name: "derived_issuance_per_second", value: round(issuanceRate, 0), unit: "cert/s" },
    { name: "raw_p256_sign_per_second", value: round(signRate, 0), unit: "sign/s" },
    { name: "issuance_per_sign_ratio", value: round(issuanceRate / signRate, 3), unit: "ratio" },
  ];
}

function p256Spki(): Uint8Array {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
}

/** Serial as a bare lowercase hex number (no colons, no sign-padding zeros). */
function normSerial(hex: string): string {
  return hex
    .replace(/[^0-9a-f]/gi, "")
    .toLowerCase()
    .replace(/^0+/, "");
}

async function checkCertificate(der: Uint8Array, issuedSerial: string, ca: CertificateAuthority): Promise<void> {
  const fail = (what: string): never => {
    throw new Error(`issuance benchmark aborted: the issued certificate is wrong (${what}); the figures would be meaningless`);
  };
  let text: string;
  try {
    text = execFileSync("openssl", ["x509", "-inform", "DER", "-noout", "-text"], { input: der, encoding: "utf8" });
  } catch (e) {
    return fail(`OpenSSL cannot parse it: ${(e as Error).message}`);
  }
  const opensslSerial = /Serial Number:\s*(?:\d+ \(0x([0-9a-f]+)\)|\n\s*([0-9a-f:]+))/i.exec(text);
  const opensslPolicies = [...text.matchAll(/Policy: ([0-9.]+)/g)].map((m) => m[1]);
  const kuLine = /X509v3 Key Usage:[^\n]*\n\s*([^\n]+)/.exec(text)?.[1]?.trim();
  const opensslUris = [...text.matchAll(/URI:(urn:uuid:[0-9a-f-]+)/gi)].map((m) => m[1]?.toLowerCase());

  const cert = new X509Certificate(der.slice());
  const peculiarPolicies = cert.getExtension(CertificatePolicyExtension)?.policies ?? [];
  const ku = cert.getExtension(KeyUsagesExtension);
  const peculiarUris = (cert.getExtension(SubjectAlternativeNameExtension)?.names.toJSON() ?? [])
    .filter((n) => n.type === "url")
    .map((n) => n.value.toLowerCase());

  const serial = normSerial(issuedSerial);
  if (!opensslSerial) fail("OpenSSL shows no serial number");
  if (normSerial(opensslSerial?.[1] ?? opensslSerial?.[2] ?? "") !== serial) fail(`OpenSSL serial differs from issued ${serial}`);
  if (normSerial(cert.serialNumber) !== serial) fail(`@peculiar/x509 serial ${cert.serialNumber} differs from issued ${serial}`);
  const policy = OIDS.commonDerivedPivAuth;
  if (opensslPolicies.join() !== policy) fail(`OpenSSL policies [${opensslPolicies.join()}], want ${policy}`);
  if (peculiarPolicies.join() !== policy) fail(`@peculiar/x509 policies [${peculiarPolicies.join()}], want ${policy}`);
  if (kuLine !== "Digital Signature") fail(`OpenSSL keyUsage "${kuLine}", want Digital Signature only`);
  if (!ku || ku.usages !== KeyUsageFlags.digitalSignature || !ku.critical) fail("@peculiar/x509 keyUsage is not critical digitalSignature only");
  if (opensslUris.length !== 1 || peculiarUris.length !== 1 || opensslUris[0] !== peculiarUris[0]) {
    fail(`urn:uuid SAN: OpenSSL [${opensslUris.join()}], @peculiar/x509 [${peculiarUris.join()}]`);
  }
  if (!/Issuer:[^\n]*CN = DPCLAB TEST Bench Derived CA/.test(text)) fail("OpenSSL issuer is not the bench CA");
  if (!(await cert.verify({ publicKey: ca.certificate.publicKey, signatureOnly: true }))) fail("signature does not verify with the CA key");
}
