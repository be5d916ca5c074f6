import { createHash, verify } from "node:crypto";
import pkcs11js from "pkcs11js";
import { pivCaHandler } from "../emulators/piv-ca/index.js";
import { inProcessFetch } from "../emulators/shared/index.js";
import { systemClock } from "../src/clock.js";
import { openLabCard } from "../src/lab/index.js";
import { Pkcs11Library, pkiAuth, validatePivAuthPath } from "../src/piv/index.js";
import { CertificateFacts, createHttpRevocationChecker } from "../src/pki/index.js";
import { benchLab } from "./lab-fixture.js";
import { alternatingRates, type Figure, ratePerSecond, round } from "./results.js";

/**
 * PKI-AUTH per second (in-process revocation check: OCSP signed per request) against the raw rate at which the same
 * SoftHSM token signs a digest through pkcs11js — the card's own floor for one PKI-AUTH. And its validate-path step
 * alone (RFC 5280 path validation with the OCSP check) against raw verifies of the card certificate's signature, in
 * alternating batches: the whole figure moves with the PIN counter's file writes, this one with the validator only.
 */
export async function benchPkiAuth(): Promise<Figure[]> {
  const { lab, issuer, remove } = await benchLab(1, "/dev/shm");
  try {
    const record = issuer.cards()[0];
    if (!record) throw new Error("no card");
    const card = openLabCard(lab, record.tokenLabel);
    const revocation = createHttpRevocationChecker(inProcessFetch(pivCaHandler(issuer)));
    const authOnce = async () => {
      const r = await pkiAuth({
        card,
        pin: record.pin,
        trustAnchors: [issuer.root.certificate],
        intermediates: [issuer.pivCa.certificate],
        revocation,
        clock: systemClock,
      });
      if (!r.ok) throw new Error(`PKI-AUTH failed in the benchmark: ${r.reason}`);
    };
    const pkiAuthRate = await ratePerSecond(authOnce);
    const certificate = card.readCertificate("9A");
    card.close();
    if (!certificate) throw new Error("no 9A certificate");

    const pathRates = await alternatingRates(
      async () => {
        const r = await validatePivAuthPath({
          certificate,
          trustAnchors: [issuer.root.certificate],
          intermediates: [issuer.pivCa.certificate],
          revocation,
          clock: systemClock,
        });
        if (!r.ok) throw new Error(`path validation failed in the benchmark: ${r.reason}`);
      },
      (() => {
        const leaf = CertificateFacts.fromDer(certificate);
        const caKey = CertificateFacts.of(issuer.pivCa.certificate).publicKey;
        return () => {
          if (!verify("sha256", leaf.tbsDer, { key: caKey, dsaEncoding: "der" }, leaf.signatureValue)) throw new Error("raw verify failed");
        };
      })(),
      { batches: 10, batch: 200, warmUp: 1_500 },
    );

    // Raw: C_SignInit + C_Sign (CKM_ECDSA over a SHA-256 digest) on the same token's 9A key, nothing else.
    const lib = Pkcs11Library.open({ softhsmConf: lab.ensureSoftHsmConf() });
    const slot = lib.findSlotByLabel(record.tokenLabel);
    if (!slot) throw new Error("token not found");
    const session = lib.openSession(slot, { readWrite: false });
    session.login("user", record.pin);
    const key = session.findPrivateKey(new Uint8Array([0x01]));
    if (!key) throw new Error("no 9A key");
    const digest = createHash("sha256").update("dpclab bench").digest();
    const out = Buffer.alloc(132);
    const m = lib.module;
    const rawRate = await ratePerSecond(() => {
      m.C_SignInit(session.handle, { mechanism: pkcs11js.CKM_ECDSA }, key);
      m.C_Sign(session.handle, digest, out);
    });
    session.logout();
    session.close();
    return [
      { name: "pki_auth_per_second", value: round(pkiAuthRate, 1), unit: "auth/s" },
      { name: "raw_pkcs11_ecdsa_sign_per_second", value: round(rawRate, 0), unit: "sign/s" },
      { name: "pki_auth_per_raw_sign_ratio", value: round(pkiAuthRate / rawRate, 3), unit: "ratio" },
      { name: "pki_auth_validate_path_per_second", value: round(pathRates.a, 0), unit: "validation/s" },
      { name: "pki_auth_validate_path_per_raw_verify_ratio", value: round(pathRates.a / pathRates.b, 3), unit: "ratio" },
    ];
  } finally {
    remove();
  }
}
