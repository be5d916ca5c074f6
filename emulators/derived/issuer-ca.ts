import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../../src/clock.js";
import { DpclabError } from "../../src/errors.js";
import { CertificateAuthority, type KeyAlgorithm } from "../../src/pki/index.js";
import { CORRUPT_LAB_STATUS, withFileLock, writeTextAtomically } from "../../src/store/index.js";
import { AuthorityKeyIdentifierExtension } from "../../src/x509.js";
import { IssuingAuthority, publicationUrls } from "../shared/index.js";
import type { IssuerName } from "./types.js";

const YEAR_MS = 365 * 86_400_000;
/** How long an issuer's CA lives: long enough for every derived certificate (≤3 years, DC-LIFE-02) it signs. */
const ISSUER_CA_YEARS = 10;

const DISPLAY: Record<IssuerName, string> = { purebred: "Purebred", entrust: "Entrust", intercede: "Intercede" };

export interface IssuerAuthorityOptions {
  alg: KeyAlgorithm;
  /** Where the issuer publishes (CRL, OCSP, .p7c), e.g. http://127.0.0.1:7801. */
  baseUrl: string;
  clock: Clock;
  /** Keep the CA here as PEM (<ca>.pem, <ca>.key.pem) and reload it when present. */
  dir?: string;
}

/** The publication name of an issuer's CA in URLs: "purebred-ca", "entrust-ca", "intercede-ca". */
export function issuerCaName(name: IssuerName): string {
  return `${name}-ca`;
}

/**
 * An issuer's own TEST intermediate CA under the lab's TEST root ("DPCLAB TEST Purebred Derived PIV CA"), which signs
 * its derived PIV credentials. The root's registry records it, so the root's OCSP/CRL know it.
 */
export async function createIssuerAuthority(root: IssuingAuthority, name: IssuerName, opts: IssuerAuthorityOptions): Promise<IssuingAuthority> {
  if (!Object.hasOwn(DISPLAY, name)) throw new DpclabError(`unknown issuer "${String(name)}" (purebred, entrust or intercede)`, "bad-issuer");
  const caName = issuerCaName(name);
  const publication = publicationUrls(opts.baseUrl, caName);
  const certPath = opts.dir ? join(opts.dir, `${caName}.pem`) : undefined;
  const keyPath = opts.dir ? join(opts.dir, `${caName}.key.pem`) : undefined;
  const load = (): CertificateAuthority | undefined => {
    if (!certPath || !keyPath || !existsSync(certPath) || !existsSync(keyPath)) return undefined;
    let saved: CertificateAuthority;
    try {
      saved = CertificateAuthority.load({
        certificatePem: readFileSync(certPath, "utf8"),
        privateKeyPem: readFileSync(keyPath, "utf8"),
        alg: opts.alg,
        publication,
      });
    } catch (e) {
      throw new DpclabError(
        `corrupt lab file ${certPath} or ${keyPath}: not usable: ${(e as Error).message.split("\n")[0]}; restore them or create a new lab`,
        "corrupt-lab",
        CORRUPT_LAB_STATUS,
      );
    }
    // A CA saved under another lab's root would chain nowhere: refuse rather than issue dead certificates.
    if (Buffer.compare(Buffer.from(issuerKeyId(saved)), Buffer.from(root.ca.keyId)) !== 0 || saved.certificate.issuer !== root.certificate.subject) {
      throw new DpclabError(`the ${caName} saved in ${opts.dir} was not issued by this lab's root`, "issuer-ca-mismatch", 409);
    }
    return saved;
  };
  let ca = load();
  if (!ca) {
    const now = opts.clock.now();
    const made = await root.ca.createSubordinate({
      commonName: `CN=DPCLAB TEST ${DISPLAY[name]} Derived PIV CA,OU=TEST PKI,O=DPCLAB TEST,C=US`,
      alg: opts.alg,
      notBefore: now,
      notAfter: new Date(Math.min(now.getTime() + ISSUER_CA_YEARS * YEAR_MS, root.certificate.notAfter.getTime())),
      publication,
      pathLength: 0,
    });
    ca = made;
    if (certPath && keyPath) {
      // Two processes starting on a fresh lab (serve and enroll) each make a CA: the first to save wins and the other
      // takes its files, so a certificate is never paired with the other's key. Key 0600 (issue 10 item 9).
      ca = withFileLock(certPath, () => {
        const first = load();
        if (first) return first;
        const material = made.export();
        writeTextAtomically(keyPath, material.privateKeyPem, { mode: 0o600 });
        writeTextAtomically(certPath, material.certificatePem);
        return made;
      });
    }
  }
  root.record(ca.certificate, `ca:${caName}`);
  return new IssuingAuthority(caName, ca, opts.clock);
}

/** The keyIdentifier of a CA certificate's AKI (CERT-07 form). */
function issuerKeyId(ca: CertificateAuthority): Uint8Array {
  const aki = ca.certificate.getExtension(AuthorityKeyIdentifierExtension);
  return aki?.keyId ? Buffer.from(aki.keyId, "hex") : new Uint8Array();
}
