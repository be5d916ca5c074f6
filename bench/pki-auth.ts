import { createHash } from "node:crypto";
import pkcs11js from "pkcs11js";
import { pivCaHandler } from "../emulators/piv-ca/index.js";
import { inProcessFetch } from "../emulators/shared/index.js";
import { systemClock } from "../src/clock.js";
import { openLabCard } from "../src/lab/index.js";
import { Pkcs11Library, pkiAuth } from "../src/piv/index.js";
import { createHttpRevocationChecker } from "../src/pki/index.js";
import { benchLab } from "./lab-fixture.js";
import { type Figure, ratePerSecond, round } from "./results.js";

/**
 * PKI-AUTH per second (in-process revocation check: OCSP signed per request) against the raw rate at which the same
 * SoftHSM token signs a digest through pkcs11js — the card's own floor for one PKI-AUTH.
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
    card.close();

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
    ];
  } finally {
    remove();
  }
}
