import type { IssuerName } from "../../emulators/derived/index.js";
import type { PivCard } from "../../src/piv/index.js";
import type { JsonClient } from "./http-json.js";

export interface KioskSession {
  sessionId: string;
  cardIndex: number;
  cardholder: string;
}

/**
 * The cardholder's half of PKI-AUTH at an issuer's kiosk (FIPS 201-3 §6.2.3.1): fetch a challenge, read the 9A
 * certificate, enter the PIN, let the card sign the challenge with 9A, send both. The issuer does the verifying.
 */
export async function kioskLogin(client: JsonClient, issuer: IssuerName, card: PivCard, pin: string): Promise<KioskSession> {
  const { challengeId, challenge } = await client.post<{ challengeId: string; challenge: string }>(`/issuers/${issuer}/kiosk/challenge`);
  const certificate = card.readCertificate("9A");
  if (!certificate) throw new Error("the card has no PIV Authentication certificate");
  card.verifyPin(pin);
  const signature = card.sign("9A", Buffer.from(challenge, "base64"));
  return client.post<KioskSession>(`/issuers/${issuer}/kiosk/login`, {
    challengeId,
    certificate: Buffer.from(certificate).toString("base64"),
    signature: Buffer.from(signature).toString("base64"),
  });
}
