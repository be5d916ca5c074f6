import { webcrypto } from "node:crypto";
import type { PivKeySlot } from "../../src/piv/index.js";
import type { KeyAlgorithm } from "../../src/pki/algorithms.js";
import * as x509 from "../../src/x509.js";

export const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

export function importParams(alg: KeyAlgorithm): EcKeyImportParams | RsaHashedImportParams {
  if (alg === "p256" || alg === "p384") return { name: "ECDSA", namedCurve: alg === "p256" ? "P-256" : "P-384" };
  return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
}

/** A throwaway TEST issuer that certifies whatever public keys a card hands it. */
export async function testIssuer(alg: KeyAlgorithm = "p256") {
  const sigAlg =
    alg === "p256" || alg === "p384"
      ? { name: "ECDSA", namedCurve: alg === "p256" ? "P-256" : "P-384", hash: alg === "p384" ? "SHA-384" : "SHA-256" }
      : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: alg === "rsa2048" ? 2048 : 3072 };
  const keys = (await crypto.subtle.generateKey(sigAlg, true, ["sign", "verify"])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=TEST Content Signer",
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: sigAlg,
  });
  let serial = 2;
  return {
    certificate,
    keys,
    signer: { certificate, privateKey: keys.privateKey, alg },
    async issueCertificates(cardAlg: KeyAlgorithm, cn: string, spkis: Record<PivKeySlot, Uint8Array>) {
      const out = {} as Record<PivKeySlot, Uint8Array>;
      for (const [slot, spki] of Object.entries(spkis) as [PivKeySlot, Uint8Array][]) {
        const publicKey = await crypto.subtle.importKey("spki", spki, importParams(cardAlg), true, ["verify"]);
        const cert = await x509.X509CertificateGenerator.create({
          serialNumber: (serial++).toString(16).padStart(2, "0"),
          subject: `CN=${cn}`,
          issuer: certificate.subject,
          notBefore: new Date(Date.now() - 60_000),
          notAfter: new Date(Date.now() + 86_400_000),
          publicKey,
          signingKey: keys.privateKey,
          signingAlgorithm: sigAlg,
        });
        out[slot] = new Uint8Array(cert.rawData);
      }
      return out;
    },
  };
}
