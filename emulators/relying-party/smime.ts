import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DpclabError } from "../../src/errors.js";
import { OIDS } from "../../src/pki/index.js";
import type { CredentialFiles, LabTrust } from "./credential.js";
import { fetchCrls } from "./crl-fetch.js";
import { type ProcessEnv, requireBinary, run } from "./process.js";
import { type TokenKey, tokenEnv, tokenKeyUri } from "./token-key.js";
import { reasonFromText, type Verdict } from "./verdict.js";

/**
 * Email + S/MIME: `openssl cms` as both ends, no server. Signs a message with the derived signing key, verifies it
 * against the lab's TEST root with `-purpose smimesign -policy_check` (the derived S/MIME policies) and the CAs' CRLs
 * re-fetched from the lab; encrypts to the encryption certificate (checked the same way, `-purpose smimeencrypt`)
 * and decrypts with the escrowed key when the credential directory holds it.
 */
export class SmimeRelyingParty {
  readonly kind = "smime" as const;
  #seq = 0;

  private constructor(
    private readonly dir: string,
    private readonly trust: LabTrust,
    private readonly openssl: string,
    private readonly env: ProcessEnv | undefined,
  ) {}

  static async start(dir: string, trust: LabTrust, env?: ProcessEnv): Promise<SmimeRelyingParty> {
    return new SmimeRelyingParty(dir, trust, requireBinary("openssl"), env);
  }

  /** openssl, in the simulated time when there is one (validity, CRL nextUpdate), finding a token's key when it uses one. */
  #openssl(args: string[], token?: TokenKey) {
    // A PIV Digital Signature key wants its PIN again for every signature (context-specific login): the engine asks
    // on the terminal, and with none, on stdin.
    return run(this.openssl, args, { env: { ...this.env, ...tokenEnv(token) }, ...(token ? { input: `${token.pin}\n` } : {}) });
  }

  describe(): string {
    return "openssl cms (-purpose smimesign -policy_check, CRLs re-fetched)";
  }

  /**
   * The options of a verification against the lab: the trust anchor with the fresh CRLs in one file (openssl cms has
   * no -CRLfile; a CAfile's CRLs are loaded too), the intermediates, the policies, CRL checks on the whole chain.
   */
  #verifyFlags(anchorAndCrls: string, intermediates: "-certfile" | "-untrusted", purpose?: string): string[] {
    return [
      "-CAfile",
      anchorAndCrls,
      intermediates,
      this.trust.bundlePath,
      ...(purpose ? ["-purpose", purpose] : []),
      // A pinned issuer is the anchor itself: a chain through another issuer's CA to the root does not count.
      ...(this.trust.pinned ? ["-partial_chain"] : []),
      "-policy_check",
      "-explicit_policy",
      "-policy",
      OIDS.commonPolicy,
      "-policy",
      OIDS.commonHardware,
      // A pinned issuer is a trust anchor: anchors have no status to check (their CRL's signer, the root, is not trusted here).
      this.trust.pinned ? "-crl_check" : "-crl_check_all",
    ];
  }

  async authenticate(cred: CredentialFiles): Promise<Verdict> {
    if (!cred.signing) throw new DpclabError(`${cred.dir} has no S/MIME signing certificate (derived-signing.pem): S/MIME is iOS only`, "bad-credential");
    const n = ++this.#seq;
    const work = (name: string) => join(this.dir, `${n}-${name}`);
    const message = work("message.txt");
    const files = [message, work("signed.pem"), work("crls.pem"), work("encrypted.pem"), work("decrypted.txt")];
    const text = `Subject: DPCLAB TEST S/MIME message\r\n\r\nTEST message ${randomBytes(8).toString("hex")}\r\n`;
    writeFileSync(message, text);
    const started = performance.now();
    try {
      const crls = await fetchCrls(this.trust.crlUrls, work("crls.pem"));
      const anchor = this.trust.pinned?.caPath ?? this.trust.rootPath;
      writeFileSync(work("crls.pem"), `${readFileSync(anchor, "utf8").trim()}\n${readFileSync(work("crls.pem"), "utf8")}`);
      const sign = await this.#openssl(
        [
          "cms",
          "-sign",
          "-in",
          message,
          "-signer",
          cred.signing.certPath,
          ...(cred.signing.token
            ? ["-engine", "pkcs11", "-keyform", "engine", "-inkey", tokenKeyUri(cred.signing.token, true)]
            : ["-inkey", cred.signing.keyPath]),
          ...(cred.chainPath ? ["-certfile", cred.chainPath] : []),
          "-md",
          "sha256",
          "-out",
          work("signed.pem"),
        ],
        cred.signing.token,
      );
      if (sign.code !== 0) throw new DpclabError(`openssl cms -sign failed: ${firstError(sign.stderr)}`, "bad-credential");
      const verify = await this.#openssl([
        "cms",
        "-verify",
        "-in",
        work("signed.pem"),
        ...this.#verifyFlags(work("crls.pem"), "-certfile", "smimesign"),
        "-out",
        "/dev/null",
      ]);
      const verifyLine = verificationLine(verify.stderr);
      const refused = (line: string): Verdict => ({
        kind: "smime",
        accepted: false,
        reason: crls.failed.length > 0 && !/revoked/i.test(line) ? "status-unknown" : reasonFromText(line),
        line,
        latencyMs: performance.now() - started,
        relyingParty: this.describe(),
        serialNumber: cred.signing?.serialNumber ?? cred.pivAuth.serialNumber,
      });
      if (verify.code !== 0) return refused(verifyLine);
      let encryptLine = "";
      if (cred.encryption) {
        // No -purpose smimeencrypt: OpenSSL's check wants keyEncipherment, which an EC key-agreement certificate never has.
        const check = await this.#openssl(["verify", ...this.#verifyFlags(work("crls.pem"), "-untrusted"), cred.encryption.certPath]);
        if (check.code !== 0) return refused(`encryption certificate: ${verificationLine(check.stdout + check.stderr)}`);
        const enc = await this.#openssl(["cms", "-encrypt", "-in", message, "-aes256", "-recip", cred.encryption.certPath, "-out", work("encrypted.pem")]);
        if (enc.code !== 0) return refused(`openssl cms -encrypt: ${firstError(enc.stderr)}`);
        if (cred.encryption.keyPath) {
          const dec = await this.#openssl([
            "cms",
            "-decrypt",
            "-in",
            work("encrypted.pem"),
            "-recip",
            cred.encryption.certPath,
            "-inkey",
            cred.encryption.keyPath,
            "-out",
            work("decrypted.txt"),
          ]);
          const same = dec.code === 0 && readFileSync(work("decrypted.txt"), "utf8").replace(/\r\n/g, "\n") === text.replace(/\r\n/g, "\n");
          if (!same) return refused(`openssl cms -decrypt with the escrowed key: ${dec.code === 0 ? "decrypted text differs" : firstError(dec.stderr)}`);
          encryptLine = "; encrypted to the encryption certificate and decrypted with the escrowed key";
        } else encryptLine = "; encrypted to the encryption certificate (no escrowed key to decrypt with)";
      }
      return {
        kind: "smime",
        accepted: true,
        reason: "accepted",
        line: `${verifyLine}${encryptLine}`,
        latencyMs: performance.now() - started,
        relyingParty: this.describe(),
        serialNumber: cred.signing.serialNumber,
      };
    } finally {
      for (const f of files) rmSync(f, { force: true });
    }
  }

  async close(): Promise<void> {}
}

/** openssl's own verdict line: "CMS Verification successful", or the verify error it names. */
function verificationLine(output: string): string {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const ok = lines.find((l) => /Verification successful|: OK$/.test(l));
  if (ok) return ok;
  const error = lines.find((l) => /verify error|Verify error|error \d+ at \d+ depth/i.test(l));
  const failure = lines.find((l) => /Verification failure/i.test(l));
  return [failure, error?.replace(/^.*verify error:/i, "verify error:")].filter(Boolean).join(": ") || firstError(output);
}

function firstError(stderr: string): string {
  return (
    stderr
      .split("\n")
      .map((l) => l.trim())
      .find(Boolean) ?? "no output"
  );
}
