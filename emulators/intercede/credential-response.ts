import type { X509Certificate } from "../../src/x509.js";
import type { IssueResult } from "../derived/index.js";
import { b64 } from "../shared/index.js";

/** What the Identity Agent receives when MyID delivers a credential, at activation and at rekey. */
export interface DeliveredCredential {
  credentialId: string;
  notAfter: string;
  /** DER certificates, base64: PIV Authentication, and on iOS the S/MIME signing and encryption ones. */
  certificates: { pivAuth: string; signing?: string; encryption?: string };
  /** iOS S/MIME: the key-management key (PKCS#8, base64) the issuer made and escrowed (DC-KEY-03). */
  encryptionKeyPkcs8?: string;
  /** DER, base64: the issuer CA certificate, then the root when the emulator knows it. */
  chain: string[];
  /** When the agent should start polling for a rekey (notAfter − rekeyBefore, docs/anchors.md §5). */
  rekeyDueAt: string;
  /** Set on a rekey: the credential this one superseded. */
  supersedes?: string;
}

export function deliveredCredential(result: IssueResult, chain: readonly X509Certificate[], rekeyDueAt: Date, supersedes?: string): DeliveredCredential {
  const { record, certificates, escrowedEncryptionKey } = result;
  return {
    credentialId: record.id,
    notAfter: record.notAfter,
    certificates: {
      pivAuth: b64(certificates.pivAuth),
      ...(certificates.signing ? { signing: b64(certificates.signing) } : {}),
      ...(certificates.encryption ? { encryption: b64(certificates.encryption) } : {}),
    },
    ...(escrowedEncryptionKey ? { encryptionKeyPkcs8: b64(escrowedEncryptionKey) } : {}),
    chain: chain.map((c) => b64(c.rawData)),
    rekeyDueAt: rekeyDueAt.toISOString(),
    ...(supersedes ? { supersedes } : {}),
  };
}
