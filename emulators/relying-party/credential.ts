import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey, X509Certificate as NodeCertificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DpclabError } from "../../src/errors.js";
import type { LabDir } from "../../src/lab/index.js";
import { toPem } from "../../src/pki/index.js";
import type { TokenKey } from "./token-key.js";

/** A certificate and its private key as files, checked to belong together; or a key that stays in a token. */
export interface KeyPairFiles {
  certPath: string;
  /** The PEM private key; unused ("") when the key is in a token. */
  keyPath: string;
  serialNumber: string;
  /** The key stays in this PKCS#11 token (a card's own credential): the clients reach it through PKCS#11. */
  token?: TokenKey;
}

/** What `dpclab enroll --out DIR` wrote, checked: every certificate parses and each key is its certificate's. */
export interface CredentialFiles {
  dir: string;
  pivAuth: KeyPairFiles;
  signing?: KeyPairFiles;
  /** The S/MIME encryption certificate, with the escrowed key when the directory has it. */
  encryption?: { certPath: string; keyPath?: string };
  /** The intermediates (chain.pem), possibly empty. */
  chainPath?: string;
}

const bad = (message: string) => new DpclabError(message, "bad-credential");

function readCertificate(path: string): NodeCertificate {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw bad(`${path}: cannot be read`);
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(text))
    throw bad(`${path}: not a PEM certificate${/-----BEGIN ([A-Z ]+)-----/.test(text) ? ` (it holds a ${RegExp.$1})` : ""}`);
  try {
    return new NodeCertificate(text);
  } catch {
    throw bad(`${path}: not a readable X.509 certificate`);
  }
}

function checkPair(dir: string, certName: string, keyName: string): KeyPairFiles {
  const certPath = join(dir, certName);
  const keyPath = join(dir, keyName);
  if (!existsSync(certPath)) throw bad(`${dir} has no ${certName} (is it what dpclab enroll --out wrote?)`);
  const cert = readCertificate(certPath);
  if (!existsSync(keyPath))
    throw bad(`${dir} has no ${keyName}: the credential's private key (a hardware keystore keeps it in its token; enrol with --keystore software)`);
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(readFileSync(keyPath));
  } catch {
    throw bad(`${keyPath}: not a readable PEM private key`);
  }
  const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ format: "der", type: "spki" });
  if (!spki(createPublicKey(key)).equals(spki(cert.publicKey))) throw bad(`${keyName} is not the key of ${certName}: mismatched key and certificate`);
  return { certPath, keyPath, serialNumber: cert.serialNumber.toLowerCase() };
}

/**
 * A card's own credential: `cards export` certificates (piv-auth.pem, digital-signature.pem as the S/MIME signer,
 * issuing-ca.pem) with the keys left in the card's token, for comparing the same exchange with the card.
 */
export function cardCredential(dir: string, token: Omit<TokenKey, "id">): CredentialFiles {
  const pair = (name: string, id: string): KeyPairFiles => {
    const certPath = join(dir, name);
    return { certPath, keyPath: "", serialNumber: readCertificate(certPath).serialNumber.toLowerCase(), token: { ...token, id } };
  };
  return { dir, pivAuth: pair("piv-auth.pem", "01"), signing: pair("digital-signature.pem", "02"), chainPath: join(dir, "issuing-ca.pem") };
}

/** What a credential directory holds (DER certificates, PKCS#8 keys): the layout `loadCredential` reads. */
export interface CredentialToWrite {
  pivAuth: Uint8Array;
  pivAuthKey?: Uint8Array;
  signing?: Uint8Array;
  signingKey?: Uint8Array;
  encryption?: Uint8Array;
  /** The escrowed key of the encryption certificate. */
  encryptionKey?: Uint8Array;
  /** The issuer's chain; self-issued certificates (the root, each relying party's own anchor) stay out of chain.pem. */
  chain: readonly Uint8Array[];
}

/**
 * Writes a credential directory (what `dpclab enroll --out` leaves and `dpclab use` reads): the certificates, their
 * keys (0600, whatever the umask), chain.pem with the intermediates. Returns the names of the files written.
 */
export function writeCredential(dir: string, c: CredentialToWrite): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  const write = (name: string, der: Uint8Array | undefined, label: "CERTIFICATE" | "PRIVATE KEY") => {
    if (!der) return;
    const path = join(dir, name);
    if (label === "PRIVATE KEY") {
      rmSync(path, { force: true });
      writeFileSync(path, toPem(der, label), { mode: 0o600, flag: "wx" });
      chmodSync(path, 0o600);
    } else writeFileSync(path, toPem(der, label));
    written.push(name);
  };
  write("derived-piv-auth.pem", c.pivAuth, "CERTIFICATE");
  write("derived-piv-auth.key.pem", c.pivAuthKey, "PRIVATE KEY");
  write("derived-signing.pem", c.signing, "CERTIFICATE");
  if (c.signing) write("derived-signing.key.pem", c.signingKey, "PRIVATE KEY");
  write("derived-encryption.pem", c.encryption, "CERTIFICATE");
  if (c.encryption) write("derived-encryption.key.pem", c.encryptionKey, "PRIVATE KEY");
  const intermediates = c.chain.map((der) => new NodeCertificate(der)).filter((cert) => cert.subject !== cert.issuer);
  writeFileSync(join(dir, "chain.pem"), intermediates.map((cert) => cert.toString()).join(""));
  written.push("chain.pem");
  return written;
}

/** Reads and checks a credential directory; one clear line when something is missing or does not match. */
export function loadCredential(dir: string): CredentialFiles {
  if (!existsSync(dir)) throw bad(`no credential directory ${dir}`);
  const pivAuth = checkPair(dir, "derived-piv-auth.pem", "derived-piv-auth.key.pem");
  const files: CredentialFiles = { dir, pivAuth };
  if (existsSync(join(dir, "derived-signing.pem"))) files.signing = checkPair(dir, "derived-signing.pem", "derived-signing.key.pem");
  const encryption = join(dir, "derived-encryption.pem");
  if (existsSync(encryption)) {
    readCertificate(encryption);
    const key = join(dir, "derived-encryption.key.pem");
    files.encryption = {
      certPath: encryption,
      ...(existsSync(key) ? { keyPath: checkPair(dir, "derived-encryption.pem", "derived-encryption.key.pem").keyPath } : {}),
    };
  }
  const chain = join(dir, "chain.pem");
  if (existsSync(chain) && readFileSync(chain, "utf8").includes("BEGIN CERTIFICATE")) files.chainPath = chain;
  return files;
}

/** The lab's CA certificates a relying party trusts, from the lab directory: the TEST root, then the intermediates. */
export interface LabTrust {
  /** The TEST root alone (the trust anchor). */
  rootPath: string;
  /** Root and every intermediate of the lab (PIV CA, the issuers' CAs), concatenated. */
  bundlePath: string;
  /** Each CA certificate as its own file, named by OpenSSL's subject hash (`<hash>.pem`), for `openssl ocsp -issuer`. */
  byHashDir: string;
  /** The CRL URL of each CA, from their certificates' names (`<base>/pki/crl/<name>.crl`). */
  crlUrls: string[];
  /**
   * With one trusted issuer: its CA, which every client certificate must be issued by. A chain to the TEST root is
   * not enough then: another issuer's credential chains there too, and the organisation runs its relying parties
   * for the issuer it uses (after an issuer change, the old issuer's credentials are refused as untrusted).
   */
  pinned?: PinnedIssuer;
}

/** The one issuing CA a relying party accepts client certificates from, in the forms the servers compare. */
export interface PinnedIssuer {
  /** The CA certificate alone (openssl's -partial_chain anchor). */
  caPath: string;
  /** Its subject as RFC 2253 (nginx's $ssl_client_i_dn, `openssl x509 -nameopt RFC2253`). */
  rfc2253: string;
  /** Its subject as OpenSSL's one-line form (FreeRADIUS's check_cert_issuer). */
  oneline: string;
}

/**
 * Writes the lab's trust material into `dir` (re-read each time: issuer CAs appear on first use). With `trusted`, only
 * those derived-credential issuers' CAs are trusted (the root and the PIV CA always are): a relying party configured
 * for the issuer its organisation uses.
 */
export function writeLabTrust(lab: LabDir, dir: string, trusted?: readonly string[]): LabTrust {
  if (!lab.exists()) throw new DpclabError(`no lab in ${lab.root} (dpclab cards create --dir ${lab.root} first)`, "usage");
  mkdirSync(join(dir, "by-hash"), { recursive: true });
  const root = readFileSync(join(lab.pivCaDir, "root.pem"), "utf8");
  const cas: { name: string; pem: string }[] = [
    { name: "root", pem: root },
    { name: "piv-ca", pem: readFileSync(join(lab.pivCaDir, "piv-ca.pem"), "utf8") },
  ];
  const issuers = join(lab.root, "issuers");
  if (existsSync(issuers)) {
    for (const f of readdirSync(issuers).sort()) {
      if (f.endsWith("-ca.pem") && (!trusted || trusted.includes(f.replace(/-ca\.pem$/, ""))))
        cas.push({ name: f.replace(/\.pem$/, ""), pem: readFileSync(join(issuers, f), "utf8") });
    }
  }
  const rootPath = join(dir, "root.pem");
  const bundlePath = join(dir, "ca-bundle.pem");
  writeFileSync(rootPath, root);
  writeFileSync(bundlePath, cas.map((c) => `${c.pem.trim()}\n`).join(""));
  for (const c of cas) writeFileSync(join(dir, "by-hash", `${subjectHash(c.pem)}.pem`), c.pem);
  const base = lab.readConfig().baseUrl.replace(/\/+$/, "");
  const trust: LabTrust = { rootPath, bundlePath, byHashDir: join(dir, "by-hash"), crlUrls: cas.map((c) => `${base}/pki/crl/${c.name}.crl`) };
  const issuing = cas.filter((c) => c.name !== "root" && c.name !== "piv-ca");
  if (trusted?.length === 1 && issuing.length === 1) {
    const caPath = join(dir, "pinned-issuer.pem");
    writeFileSync(caPath, issuing[0]!.pem);
    trust.pinned = { caPath, rfc2253: subjectIn(issuing[0]!.pem, "RFC2253"), oneline: subjectIn(issuing[0]!.pem, "compat") };
  }
  return trust;
}

/** A certificate's subject as `openssl x509 -subject -nameopt FORMAT` prints it, without the "subject=" label. */
function subjectIn(pem: string, format: "RFC2253" | "compat"): string {
  return execFileSync("openssl", ["x509", "-noout", "-subject", "-nameopt", format], { input: pem })
    .toString("utf8")
    .trim()
    .replace(/^subject=\s*/, "");
}

/** OpenSSL's subject hash (what `openssl x509 -issuer_hash` prints for the certificates a CA issued). */
function subjectHash(pem: string): string {
  return execFileSync("openssl", ["x509", "-noout", "-subject_hash"], { input: pem }).toString("utf8").trim();
}
