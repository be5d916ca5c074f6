/**
 * Emulator behaviour that contradicts the reference documents, found by these scenarios. The emulators belong to other
 * work and are not changed here: the model follows what the emulator does (so a run can go on), and every place that
 * meets one reports it as a pending finding with this explanation instead of failing.
 */
export const KNOWN_DEVIATIONS = {
  "TENANT-ACCEPTS-OLD-CREDENTIAL":
    "emulators/tenant/tenant.ts registerDerivedCredential refuses only the serial already on record for the current settings generation, so a credential obtained before the issuer was deleted is accepted again once an issuer (the same one) is re-added, and is then valid; intune.md §1.3 says such credentials stay invalid even if the same issuer is re-added",
  "REKEY-RECHECK-OLD-CARD-REVOCATION":
    "emulators/derived/issuance.ts runDueChecks rechecks a credential obtained by an Intercede rekey (emulators/intercede/automatic-rekey.ts issues it with the original kiosk session) against the PIV Card with the window counted from the rekey, so a card revoked any time before the rekey (even long after the seven days of the PKI-AUTH it descends from) revokes the rekeyed credential; DC-ISS-06 is about the card used to obtain a credential, and a card revocation alone does not invalidate DPCs (DC-LNK-04)",
} as const;

export type DeviationId = keyof typeof KNOWN_DEVIATIONS;
