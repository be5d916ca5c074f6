import { createHash } from "node:crypto";
import pkcs11js from "pkcs11js";
import { derOid, derTlv } from "../der.js";
import { DpclabError } from "../errors.js";
import { CertificateFacts, hashFor, type KeyAlgorithm } from "../pki/index.js";
import { isCkr, p11 } from "./errors.js";
import { CURVE_OIDS, ecSpki, rsaSpki } from "./spki.js";

export type ObjectHandle = Buffer;
export type Template = pkcs11js.Template;

/** What a session needs from its library: the module and the generation it was opened in. */
export interface SessionHost {
  readonly module: pkcs11js.PKCS11;
  readonly generation: number;
  /** The key a PIN presented to this slot's token must carry, if its owner guards it (PivCard does). */
  pinGuard?(slot: Buffer): symbol | undefined;
  /** A session of the current generation was closed (the library counts live sessions). */
  sessionClosed?(): void;
}

export interface KeyPairTemplate {
  id: Uint8Array;
  privateLabel: string;
  publicLabel: string;
  /** CKA_ALWAYS_AUTHENTICATE: the PIV "PIN Always" rule of key 9C (docs/sp800-157.md §3). */
  alwaysAuthenticate?: boolean;
  sign?: boolean;
  decrypt?: boolean;
  derive?: boolean;
  /** CKA_PRIVATE of the private key; false only for 9E, usable without the PIN (docs/sp800-157.md §3). Default true. */
  private?: boolean;
}

export interface KeyPairHandles {
  publicKey: ObjectHandle;
  privateKey: ObjectHandle;
}

/** A CK_ULONG attribute value (host byte order, 8 bytes on 64-bit Linux). */
const ulong = (b: Buffer): number => Number(b.length === 8 ? b.readBigUInt64LE() : b.readUInt32LE());

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** One PKCS#11 session. Use one per concurrent operation (docs/architecture.md pitfalls). */
export class Pkcs11Session {
  readonly #host: SessionHost;
  readonly #generation: number;
  readonly handle: Buffer;
  readonly slot: Buffer;
  #closed = false;

  constructor(host: SessionHost, handle: Buffer, slot: Buffer) {
    this.#host = host;
    this.#generation = host.generation;
    this.handle = handle;
    this.slot = slot;
  }

  get #m(): pkcs11js.PKCS11 {
    if (this.#closed) throw new DpclabError("the PKCS#11 session is closed", "pkcs11-session-closed", 500);
    if (this.#host.generation !== this.#generation) {
      throw new DpclabError("the PKCS#11 session died when the library was re-initialised", "pkcs11-session-stale", 500);
    }
    return this.#host.module;
  }

  /**
   * C_Login. SoftHSM counts nothing: it answers CKR_PIN_INCORRECT as often as asked and never locks a token. A
   * token opened as a PIV card is guarded (Pkcs11Library.guardPin): its PIN and PUK reach it only with the card
   * layer's key, i.e. through PivCard (src/piv/card.ts), which charges the card's retry counter first (DC-ACT-07).
   * Unguarded: provisioning, and tokens that are not PIV cards (device keystores).
   */
  login(userType: "user" | "so", pin: string, guardKey?: symbol): void {
    const type = userType === "so" ? pkcs11js.CKU_SO : pkcs11js.CKU_USER;
    const m = this.#m;
    this.#assertMayPresentPin(guardKey);
    p11("C_Login", () => m.C_Login(this.handle, type, pin));
  }

  logout(): void {
    const m = this.#m;
    p11("C_Logout", () => m.C_Logout(this.handle));
  }

  /** Sets the user PIN; needs an SO login (the PIV PUK unblock path, 73-4 Pt2 RESET RETRY COUNTER). */
  initPin(pin: string): void {
    const m = this.#m;
    p11("C_InitPIN", () => m.C_InitPIN(this.handle, pin));
  }

  /** Changes the PIN of whoever is logged in (73-4 Pt2 CHANGE REFERENCE DATA). */
  setPin(oldPin: string, newPin: string, guardKey?: symbol): void {
    const m = this.#m;
    this.#assertMayPresentPin(guardKey); // C_SetPIN checks the old PIN: a PIN oracle like C_Login
    p11("C_SetPIN", () => m.C_SetPIN(this.handle, oldPin, newPin));
  }

  /** Whether a user (or SO) is logged in on this session's token; SoftHSM shares login state across sessions. */
  loggedInAs(): "user" | "so" | undefined {
    const m = this.#m;
    const { state } = p11("C_GetSessionInfo", () => m.C_GetSessionInfo(this.handle));
    // CK_STATE values (PKCS#11 2.40 §5.6); pkcs11js does not export them.
    if (state === 1 || state === 3) return "user";
    if (state === 4) return "so";
    return undefined;
  }

  #assertMayPresentPin(guardKey: symbol | undefined): void {
    const guard = this.#host.pinGuard?.(this.slot);
    if (guard !== undefined && guard !== guardKey) {
      throw new DpclabError(
        "this token is a PIV card: its PIN goes through PivCard, which keeps the retry counter SoftHSM lacks (DC-ACT-07)",
        "pin-guarded",
        500,
      );
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#host.generation !== this.#generation) return; // C_Finalize already closed it
    this.#host.sessionClosed?.();
    p11("C_CloseSession", () => this.#host.module.C_CloseSession(this.handle));
  }

  /**
   * Generates a key pair inside the token. The private key is a token object that can never leave it:
   * CKA_SENSITIVE true, CKA_EXTRACTABLE false (FIPS 201-3 §4.2.2.1: generated on card, non-exportable).
   */
  generateKeyPair(alg: KeyAlgorithm, t: KeyPairTemplate): KeyPairHandles {
    const isEc = alg === "p256" || alg === "p384";
    const common = (label: string): Template => [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_ID, value: buf(t.id) },
      { type: pkcs11js.CKA_LABEL, value: label },
    ];
    const pub: Template = [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: isEc ? pkcs11js.CKK_EC : pkcs11js.CKK_RSA },
      ...common(t.publicLabel),
      { type: pkcs11js.CKA_PRIVATE, value: false },
      { type: pkcs11js.CKA_VERIFY, value: !!t.sign },
      // Explicit, or SoftHSM defaults them to true and pkcs11-tool shows usages OpenSC would not (docs/sp800-157.md §4).
      { type: pkcs11js.CKA_ENCRYPT, value: !isEc && !!t.decrypt },
      { type: pkcs11js.CKA_WRAP, value: !isEc && !!t.decrypt },
    ];
    const priv: Template = [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: isEc ? pkcs11js.CKK_EC : pkcs11js.CKK_RSA },
      ...common(t.privateLabel),
      { type: pkcs11js.CKA_PRIVATE, value: t.private ?? true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_SIGN, value: !!t.sign },
      { type: pkcs11js.CKA_DECRYPT, value: !isEc && !!t.decrypt },
      { type: pkcs11js.CKA_UNWRAP, value: !isEc && !!t.decrypt },
      { type: pkcs11js.CKA_DERIVE, value: isEc && !!t.derive },
    ];
    if (t.alwaysAuthenticate) priv.push({ type: pkcs11js.CKA_ALWAYS_AUTHENTICATE, value: true });
    let mechanism: number;
    if (isEc) {
      mechanism = pkcs11js.CKM_EC_KEY_PAIR_GEN;
      pub.push({ type: pkcs11js.CKA_EC_PARAMS, value: buf(derOid(CURVE_OIDS[alg])) });
    } else {
      mechanism = pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN;
      pub.push(
        { type: pkcs11js.CKA_MODULUS_BITS, value: alg === "rsa2048" ? 2048 : 3072 },
        { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) }, // e = 65537 (CERT-13)
      );
    }
    const m = this.#m;
    return p11("C_GenerateKeyPair", () => m.C_GenerateKeyPair(this.handle, { mechanism }, pub, priv));
  }

  /** DER SubjectPublicKeyInfo of a public (or private) key object, importable by WebCrypto. */
  publicKeySpki(handle: ObjectHandle): Uint8Array<ArrayBuffer> {
    const [keyType] = this.getAttributes(handle, [pkcs11js.CKA_KEY_TYPE]);
    if (keyType && ulong(keyType) === pkcs11js.CKK_EC) {
      const [params, point] = this.getAttributes(handle, [pkcs11js.CKA_EC_PARAMS, pkcs11js.CKA_EC_POINT]);
      const curve = (Object.keys(CURVE_OIDS) as (keyof typeof CURVE_OIDS)[]).find((c) => Buffer.from(derOid(CURVE_OIDS[c])).equals(params as Buffer));
      if (!curve) throw new DpclabError("the key is on a curve PIV does not use (78-5: P-256, P-384)", "bad-algorithm");
      return ecSpki(curve, point as Buffer);
    }
    const [modulus, exponent] = this.getAttributes(handle, [pkcs11js.CKA_MODULUS, pkcs11js.CKA_PUBLIC_EXPONENT]);
    return rsaSpki(modulus as Buffer, exponent as Buffer);
  }

  /** The dpclab algorithm of a key object, from CKA_KEY_TYPE and its curve or modulus size. */
  keyAlgorithm(handle: ObjectHandle): KeyAlgorithm {
    const [keyType] = this.getAttributes(handle, [pkcs11js.CKA_KEY_TYPE]);
    if (keyType && ulong(keyType) === pkcs11js.CKK_EC) {
      const [params] = this.getAttributes(handle, [pkcs11js.CKA_EC_PARAMS]);
      const curve = (Object.keys(CURVE_OIDS) as (keyof typeof CURVE_OIDS)[]).find((c) => Buffer.from(derOid(CURVE_OIDS[c])).equals(params as Buffer));
      if (curve) return curve;
    } else {
      const [modulus] = this.getAttributes(handle, [pkcs11js.CKA_MODULUS]);
      const bits = (modulus?.length ?? 0) * 8;
      if (bits === 2048) return "rsa2048";
      if (bits === 3072) return "rsa3072";
    }
    throw new DpclabError("the key's algorithm is not one PIV uses (78-5: RSA 2048/3072, P-256, P-384)", "bad-algorithm");
  }

  /** A public X.509 certificate object as OpenSC exposes a PIV certificate (docs/sp800-157.md §4). */
  createCertificate(c: { id: Uint8Array; label: string; der: Uint8Array }): ObjectHandle {
    let cert: CertificateFacts;
    try {
      cert = CertificateFacts.fromDer(c.der);
    } catch {
      throw new DpclabError(`"${c.label}" is not a DER X.509 certificate`, "bad-certificate");
    }
    const m = this.#m;
    return p11("C_CreateObject", () =>
      m.C_CreateObject(this.handle, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
        { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: false },
        { type: pkcs11js.CKA_ID, value: buf(c.id) },
        { type: pkcs11js.CKA_LABEL, value: c.label },
        { type: pkcs11js.CKA_SUBJECT, value: buf(cert.subjectDer) },
        { type: pkcs11js.CKA_ISSUER, value: buf(cert.issuerDer) },
        { type: pkcs11js.CKA_SERIAL_NUMBER, value: buf(derTlv(0x02, cert.serialBytes)) },
        { type: pkcs11js.CKA_VALUE, value: buf(c.der) },
      ]),
    );
  }

  /** A data object (CKO_DATA) the way OpenSC maps a PIV container: application = label = name, OID (docs/sp800-157.md §4). */
  createDataObject(d: { application: string; label: string; objectId: string; value: Uint8Array; private: boolean }): ObjectHandle {
    const m = this.#m;
    return p11("C_CreateObject", () =>
      m.C_CreateObject(this.handle, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: d.private },
        { type: pkcs11js.CKA_APPLICATION, value: d.application },
        { type: pkcs11js.CKA_LABEL, value: d.label },
        { type: pkcs11js.CKA_OBJECT_ID, value: buf(derOid(d.objectId)) },
        { type: pkcs11js.CKA_VALUE, value: buf(d.value) },
      ]),
    );
  }

  findObjects(template: Template): ObjectHandle[] {
    const m = this.#m;
    try {
      p11("C_FindObjectsInit", () => m.C_FindObjectsInit(this.handle, template));
    } catch (e) {
      // SoftHSM can leave the find operation set when C_FindObjectsInit fails (CKR_GENERAL_ERROR when another thread
      // logs the token out mid-call): end it, or every later call on this session is CKR_OPERATION_ACTIVE.
      if (!isCkr(e, "CKR_OPERATION_ACTIVE")) {
        try {
          m.C_FindObjectsFinal(this.handle);
        } catch {
          // no operation was left: nothing to end
        }
      }
      throw e;
    }
    try {
      const out: ObjectHandle[] = [];
      for (;;) {
        const batch = p11("C_FindObjects", () => m.C_FindObjects(this.handle, 64));
        if (batch.length === 0) return out;
        out.push(...batch);
      }
    } finally {
      p11("C_FindObjectsFinal", () => m.C_FindObjectsFinal(this.handle));
    }
  }

  /** Attribute values in the order asked. A sensitive attribute fails with CKR_ATTRIBUTE_SENSITIVE. */
  getAttributes(handle: ObjectHandle, types: number[]): Buffer[] {
    const m = this.#m;
    const got = p11("C_GetAttributeValue", () =>
      m.C_GetAttributeValue(
        this.handle,
        handle,
        types.map((type) => ({ type })),
      ),
    );
    return got.map((a) => a.value);
  }

  readCertificate(id: Uint8Array): Uint8Array<ArrayBuffer> | undefined {
    const [h] = this.findObjects([
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
      { type: pkcs11js.CKA_ID, value: buf(id) },
    ]);
    return h ? new Uint8Array(this.getAttributes(h, [pkcs11js.CKA_VALUE])[0] as Buffer) : undefined;
  }

  readDataObject(label: string): Uint8Array<ArrayBuffer> | undefined {
    const [h] = this.findObjects([
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    return h ? new Uint8Array(this.getAttributes(h, [pkcs11js.CKA_VALUE])[0] as Buffer) : undefined;
  }

  /** The private key object with this CKA_ID, if visible to the session's login state. */
  findPrivateKey(id: Uint8Array): ObjectHandle | undefined {
    return this.findObjects([
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_ID, value: buf(id) },
    ])[0];
  }

  /** The public key object with this CKA_ID (public objects are visible without login). */
  findPublicKey(id: Uint8Array): ObjectHandle | undefined {
    return this.findObjects([
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_ID, value: buf(id) },
    ])[0];
  }

  /**
   * Signs `data`. ECDSA: hashed here (SHA-256, SHA-384 for P-384; CERT-13) then CKM_ECDSA, returning raw r||s as
   * WebCrypto verifies it. RSA: CKM_SHA256_RSA_PKCS (SoftHSM 2.6 offers it; PKCS#1 v1.5 as WebCrypto's RSASSA).
   * `contextPin` performs the CKU_CONTEXT_SPECIFIC login a CKA_ALWAYS_AUTHENTICATE key (9C) needs after C_SignInit.
   */
  sign(privateKey: ObjectHandle, alg: KeyAlgorithm, data: Uint8Array, opts: { contextPin?: string; guardKey?: symbol } = {}): Uint8Array<ArrayBuffer> {
    const m = this.#m;
    if (opts.contextPin !== undefined) this.#assertMayPresentPin(opts.guardKey);
    const isEc = alg === "p256" || alg === "p384";
    const mechanism = isEc ? pkcs11js.CKM_ECDSA : pkcs11js.CKM_SHA256_RSA_PKCS;
    const input = isEc
      ? createHash(hashFor(alg) === "SHA-384" ? "sha384" : "sha256")
          .update(data)
          .digest()
      : buf(data);
    p11("C_SignInit", () => m.C_SignInit(this.handle, { mechanism }, privateKey));
    if (opts.contextPin !== undefined) {
      const pin = opts.contextPin;
      try {
        p11("C_Login", () => m.C_Login(this.handle, pkcs11js.CKU_CONTEXT_SPECIFIC, pin));
      } catch (e) {
        this.#abortSign();
        throw e;
      }
    }
    const out = Buffer.alloc(isEc ? 132 : 512);
    return new Uint8Array(p11("C_Sign", () => m.C_Sign(this.handle, input, out)));
  }

  /**
   * PKCS#11 2.40 has no C_SignAbort; SoftHSM ends the active operation when C_Sign fails, so a throwaway
   * C_Sign (which fails: not re-authenticated) clears it and the session can sign again.
   */
  #abortSign(): void {
    try {
      this.#host.module.C_Sign(this.handle, Buffer.alloc(32), Buffer.alloc(512));
    } catch {
      // expected
    }
  }
}
