import { createHash } from "node:crypto";
import {
  DerError,
  type DerNode,
  derBoolean,
  derChildren,
  derContent,
  derElement,
  derExpect,
  derExtension,
  derIntegerContent,
  derOidText,
  derOnly,
  derSmallUnsigned,
  derTimeValue,
  sameOctets,
} from "../der.js";
import { DpclabError } from "../errors.js";
import type { CertificateFacts } from "./certificate-facts.js";
import { type DistributionPoint, directoryNames, distributionPointName, nameKey, readDistributionPoints, reasonFlags, sameName } from "./distribution-point.js";
import { OIDS } from "./oids.js";
import { fromPem } from "./pem.js";
import { type RevocationReason, revocationReasonFromCode } from "./revocation-reason.js";
import { verifyData } from "./signature.js";

/** One revoked certificate of a CRL (RFC 5280 §5.1.2.6, §5.3). */
export interface CrlEntryFacts {
  /** Lowercase hex of the userCertificate INTEGER contents (CertificateFacts.serialHex). */
  readonly serialHex: string;
  readonly revokedAt: Date;
  /** §5.3.1 reasonCode; "unspecified" when absent. */
  readonly reason: RevocationReason;
  /** §5.3.2 invalidityDate, when present. */
  readonly invalidAfter?: Date;
}

/** issuingDistributionPoint (RFC 5280 §5.2.5). */
export interface IssuingDistributionPoint {
  /** Name keys of its distributionPoint (nameRelativeToCRLIssuer resolved against the CRL issuer); undefined when absent. */
  readonly names?: readonly string[];
  readonly onlyContainsUserCerts: boolean;
  readonly onlyContainsCACerts: boolean;
  readonly onlyContainsAttributeCerts: boolean;
  /** ReasonFlags mask; undefined when absent (all reasons). */
  readonly onlySomeReasons?: number;
  readonly indirectCrl: boolean;
  /** The extension's value DER, for §6.3.3(c)(2) "the same IDP" on delta CRLs. */
  readonly der: Uint8Array;
}

/** CRL extensions RFC 5280 §5.2 defines, which this reader understands (critical or not). */
const KNOWN_CRL_EXTENSIONS = new Set<string>([
  OIDS.authorityKeyIdentifier,
  OIDS.issuerAltName,
  OIDS.crlNumber,
  OIDS.deltaCrlIndicator,
  OIDS.issuingDistributionPoint,
  OIDS.freshestCrl,
  OIDS.authorityInfoAccess,
]);
/** CRL entry extensions of §5.3. */
const KNOWN_ENTRY_EXTENSIONS = new Set<string>([OIDS.crlReason, OIDS.invalidityDate, OIDS.certificateIssuer, OIDS.holdInstructionCode]);

/** Parsed CRLs by content digest (the same CRL arrives again for every certificate it covers); bounded. */
const MAX_CACHED = 1024;
const byContent = new Map<string, CrlFacts>();

/**
 * What revocation checking needs to know about a CRL, read once from its DER with src/der.ts: TBS bytes, signature,
 * issuer, thisUpdate/nextUpdate, the §5.2 extensions decoded, and the entries in a Map by serial (and, for an indirect
 * CRL, by certificate issuer: the certificateIssuer entry extension carries forward to the entries after it, §5.3.3).
 * A CRL that must not be used for any status (an unknown critical CRL or entry extension, §5.2 / §5.3;
 * certificateIssuer outside an indirect CRL) parses, with `unusable` saying why.
 * Malformed DER is a DpclabError "bad-crl". Facts are immutable: treat every field as read-only.
 */
export class CrlFacts {
  readonly der: Uint8Array;
  readonly tbsDer: Uint8Array;
  /** 1 or 2. */
  readonly version: number;
  readonly signatureAlgorithm: string;
  readonly signatureValue: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly issuerHex: string;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  /** Hex of the AKI keyIdentifier (§5.2.1). */
  readonly authorityKeyId?: string;
  /** §5.2.3 cRLNumber. */
  readonly crlNumber?: bigint;
  /** §5.2.4 BaseCRLNumber: set exactly when this is a delta CRL. */
  readonly baseCrlNumber?: bigint;
  readonly issuingDistributionPoint?: IssuingDistributionPoint;
  /** §5.2.6 freshestCRL of the complete CRL. */
  readonly freshestCrl: readonly DistributionPoint[];
  /** Why this CRL cannot be used at all, or undefined. */
  readonly unusable?: string;
  /** Entries by key: serialHex for the CRL issuer's certificates, `${serialHex} ${issuer nameKey}` for others (indirect). */
  readonly #entries = new Map<string, CrlEntryFacts>();
  readonly #verifiedBy = new WeakSet<CertificateFacts>();
  /** Name DERs (certificates' own, immutable) found equal to the issuer. */
  readonly #issuedBy = new WeakSet<Uint8Array>();
  #issuerKey?: string;

  /** Facts of a CRL as DER or PEM, cached by content. */
  static of(bytes: Uint8Array | ArrayBuffer): CrlFacts {
    let der = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    if (der[0] !== 0x30) {
      try {
        der = new Uint8Array(fromPem(new TextDecoder().decode(der), "X509 CRL"));
      } catch (e) {
        throw new DpclabError(`not a DER or PEM CRL: ${(e as Error).message}`, "bad-crl");
      }
    }
    const id = createHash("sha256").update(der).digest("base64");
    const hit = byContent.get(id);
    if (hit) return hit;
    const facts = new CrlFacts(der.slice());
    if (byContent.size >= MAX_CACHED) byContent.delete(byContent.keys().next().value as string);
    byContent.set(id, facts);
    return facts;
  }

  private constructor(der: Uint8Array) {
    this.der = der;
    let unusable: string | undefined;
    const refuse = (why: string) => {
      unusable ??= why;
    };
    try {
      const outer = derExpect(der, 0, der.length, 0x30, "CertificateList");
      if (outer.end !== der.length) throw new DerError("bytes after the CertificateList");
      const [tbs, alg, sig, extra] = derChildren(der, outer);
      if (tbs?.tag !== 0x30 || alg?.tag !== 0x30 || sig?.tag !== 0x03 || extra)
        throw new DerError("CertificateList is tbsCertList, signatureAlgorithm, signatureValue");
      this.tbsDer = derElement(der, tbs);
      this.signatureAlgorithm = oidOf(der, alg);
      if (sig.end === sig.body || der[sig.body] !== 0) refuse("its signature BIT STRING has unused bits");
      this.signatureValue = der.subarray(Math.min(sig.body + 1, sig.end), sig.end);
      const fields = derChildren(der, tbs);
      let i = 0;
      this.version = fields[i]?.tag === 0x02 ? derSmallUnsigned(der, fields[i++] as DerNode) + 1 : 1;
      if (this.version > 2) throw new DerError(`CRL version ${this.version}`);
      const innerAlg = fields[i++];
      if (innerAlg?.tag !== 0x30) throw new DerError("tbsCertList.signature is missing");
      // §5.1.1.2: tbsCertList.signature must equal signatureAlgorithm.
      if (!sameOctets(derElement(der, innerAlg), derElement(der, alg))) refuse("its two signature algorithm fields differ (RFC 5280 §5.1.1.2)");
      const issuer = fields[i++];
      if (issuer?.tag !== 0x30) throw new DerError("issuer is missing");
      this.issuerDer = derElement(der, issuer);
      this.issuerHex = hexOf(this.issuerDer);
      const thisUpdate = fields[i++];
      if (!thisUpdate) throw new DerError("thisUpdate is missing");
      this.thisUpdate = derTimeValue(der, thisUpdate);
      if (fields[i]?.tag === 0x17 || fields[i]?.tag === 0x18) this.nextUpdate = derTimeValue(der, fields[i++] as DerNode);
      const revoked = fields[i]?.tag === 0x30 ? fields[i++] : undefined;
      const extsNode = fields[i]?.tag === 0xa0 ? fields[i++] : undefined;
      if (fields[i]) throw new DerError(`unexpected field with tag 0x${fields[i]?.tag.toString(16)} in tbsCertList`);

      let freshest: DistributionPoint[] = [];
      if (extsNode) {
        if (this.version < 2) throw new DerError("a v1 CRL has no extensions");
        const [list, more] = derChildren(der, extsNode);
        if (list?.tag !== 0x30 || more) throw new DerError("crlExtensions [0] holds one SEQUENCE");
        const seen = new Set<string>();
        for (const ext of derChildren(der, list)) {
          const { oid, critical, value } = derExtension(der, ext);
          if (seen.has(oid)) throw new DerError(`CRL extension ${oid} appears twice`);
          seen.add(oid);
          if (!KNOWN_CRL_EXTENSIONS.has(oid)) {
            // §5.2: a CRL with a critical extension the application cannot process must not be used.
            if (critical) refuse(`it has a critical CRL extension ${oid} that is not understood (RFC 5280 §5.2)`);
            continue;
          }
          switch (oid) {
            case OIDS.authorityKeyIdentifier:
              for (const part of derChildren(value, derOnly(value, 0x30, "authorityKeyIdentifier"))) {
                if (part.tag === 0x80) this.authorityKeyId = hexOf(derContent(value, part));
              }
              break;
            case OIDS.crlNumber:
              this.crlNumber = bigUnsigned(value, derOnly(value, 0x02, "cRLNumber"));
              break;
            case OIDS.deltaCrlIndicator:
              this.baseCrlNumber = bigUnsigned(value, derOnly(value, 0x02, "BaseCRLNumber"));
              break;
            case OIDS.issuingDistributionPoint:
              this.issuingDistributionPoint = readIdp(value, this.issuerDer);
              break;
            case OIDS.freshestCrl:
              freshest = readDistributionPoints(value, this.issuerDer);
              break;
          }
        }
      }
      this.freshestCrl = freshest;
      const indirect = this.issuingDistributionPoint?.indirectCrl === true;

      if (revoked) {
        // §5.3.3: in an indirect CRL the certificate issuer of an entry is the last certificateIssuer seen (the CRL
        // issuer before the first one).
        let currentIssuer: string[] | undefined;
        for (const entry of derChildren(der, revoked)) {
          const [serialNode, dateNode, entryExts, more] = entry.tag === 0x30 ? derChildren(der, entry) : [];
          if (!serialNode || !dateNode || more || (entryExts && entryExts.tag !== 0x30))
            throw new DerError("revokedCertificate is userCertificate, revocationDate [, extensions]");
          const serialHex = hexOf(derIntegerContent(der, serialNode));
          const revokedAt = derTimeValue(der, dateNode);
          let reason: RevocationReason = "unspecified";
          let invalidAfter: Date | undefined;
          if (entryExts) {
            if (this.version < 2) throw new DerError("a v1 CRL has no entry extensions");
            for (const ext of derChildren(der, entryExts)) {
              const { oid, critical, value } = derExtension(der, ext);
              if (!KNOWN_ENTRY_EXTENSIONS.has(oid)) {
                // §5.3: nor a CRL with a critical entry extension it cannot process.
                if (critical) refuse(`entry ${serialHex} has a critical CRL entry extension ${oid} that is not understood (RFC 5280 §5.3)`);
                continue;
              }
              if (oid === OIDS.crlReason) {
                const code = derSmallUnsigned(value, derOnly(value, 0x0a, "reasonCode"), 0x0a);
                try {
                  reason = revocationReasonFromCode(code);
                } catch {
                  reason = "unspecified"; // an unknown code (7, > 10) still revokes
                }
              } else if (oid === OIDS.invalidityDate) {
                invalidAfter = derTimeValue(value, derOnly(value, 0x18, "invalidityDate"));
              } else if (oid === OIDS.certificateIssuer) {
                if (!indirect) refuse("an entry has certificateIssuer but the CRL is not indirect (RFC 5280 §5.3.3)");
                const names = directoryNames(value, derOnly(value, 0x30, "certificateIssuer")).map(nameKey);
                currentIssuer = names.length ? names : ["(no directoryName)"];
              }
            }
          }
          const facts: CrlEntryFacts = { serialHex, revokedAt, reason, ...(invalidAfter ? { invalidAfter } : {}) };
          if (!currentIssuer) this.#entries.set(serialHex, facts);
          else for (const k of currentIssuer) this.#entries.set(`${serialHex} ${k}`, facts);
        }
      }
      if (this.baseCrlNumber !== undefined && this.crlNumber === undefined) refuse("it is a delta CRL without a cRLNumber (RFC 5280 §5.2.4)");
      if (this.version === 2 && this.crlNumber === undefined) {
        // §5.2.3: conforming CRL issuers MUST include cRLNumber; an application may still use the CRL.
      }
    } catch (e) {
      if (e instanceof DpclabError) throw e;
      throw new DpclabError(`not a DER X.509 CRL: ${(e as Error).message}`, "bad-crl");
    }
    if (unusable) this.unusable = unusable;
  }

  /** A delta CRL (§5.2.4 deltaCRLIndicator). */
  get isDelta(): boolean {
    return this.baseCrlNumber !== undefined;
  }

  /** Number of entries. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The entry for `cert`, whose issuer must be this CRL's issuer unless the CRL is indirect (§5.3.3): then entries are
   * looked up under the certificate's issuer name as well.
   */
  entryFor(cert: CertificateFacts): CrlEntryFacts | undefined {
    if (this.issuingDistributionPoint?.indirectCrl) {
      const byIssuer = this.#entries.get(`${cert.serialHex} ${nameKey(cert.issuerDer)}`);
      if (byIssuer) return byIssuer;
      this.#issuerKey ??= nameKey(this.issuerDer);
      if (nameKey(cert.issuerDer) !== this.#issuerKey) return undefined;
    }
    return this.#entries.get(cert.serialHex);
  }

  /** Whether this CRL's issuer is `name` (RFC 5280 §7.1). */
  isIssuedBy(nameDer: Uint8Array): boolean {
    if (this.#issuedBy.has(nameDer)) return true;
    const same = sameName(this.issuerDer, nameDer);
    if (same) this.#issuedBy.add(nameDer);
    return same;
  }

  /** Whether `signer`'s key verifies this CRL's signature (remembered per signer). */
  isSignedBy(signer: CertificateFacts): boolean {
    if (this.#verifiedBy.has(signer)) return true;
    let ok = false;
    try {
      ok = verifyData(this.signatureAlgorithm, signer.publicKey, this.tbsDer, this.signatureValue);
    } catch {
      ok = false;
    }
    if (ok) this.#verifiedBy.add(signer);
    return ok;
  }
}

/** IssuingDistributionPoint ::= SEQUENCE { distributionPoint [0], onlyContainsUserCerts [1], … indirectCRL [4], onlyContainsAttributeCerts [5] } */
function readIdp(v: Uint8Array, issuerDer: Uint8Array): IssuingDistributionPoint {
  const seq = derOnly(v, 0x30, "issuingDistributionPoint");
  let names: string[] | undefined;
  let onlySomeReasons: number | undefined;
  const flags = [false, false, false, false, false, false];
  for (const part of derChildren(v, seq)) {
    const n = part.tag & 0x1f;
    if (part.tag === 0xa0) names = distributionPointName(v, part, issuerDer).keys;
    else if (part.tag === 0x83) onlySomeReasons = reasonFlags(v, part);
    else if (part.tag === 0x81 || part.tag === 0x82 || part.tag === 0x84 || part.tag === 0x85) flags[n] = derBoolean(v, { ...part, tag: 0x01 });
    else throw new DerError(`unexpected field 0x${part.tag.toString(16)} in issuingDistributionPoint`);
  }
  return {
    ...(names ? { names } : {}),
    onlyContainsUserCerts: flags[1] as boolean,
    onlyContainsCACerts: flags[2] as boolean,
    ...(onlySomeReasons !== undefined ? { onlySomeReasons } : {}),
    indirectCrl: flags[4] as boolean,
    onlyContainsAttributeCerts: flags[5] as boolean,
    der: v,
  };
}

function oidOf(der: Uint8Array, alg: DerNode): string {
  const [oid] = derChildren(der, alg);
  if (!oid) throw new DerError("AlgorithmIdentifier has no OID");
  return derOidText(der, oid);
}

/** A non-negative INTEGER of up to 20 octets (§5.2.3 CRLNumber). */
function bigUnsigned(v: Uint8Array, node: DerNode): bigint {
  const content = derIntegerContent(v, node);
  if ((content[0] as number) & 0x80) throw new DerError("negative CRL number");
  if (content.length > 21) throw new DerError("CRL number longer than 20 octets");
  return BigInt(`0x${hexOf(content)}`);
}

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
}
