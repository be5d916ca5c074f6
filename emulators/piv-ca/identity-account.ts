/**
 * The PIV identity account the card issuer keeps per cardholder (FIPS 201-3 §2.9). Derived-credential issuers consult
 * it: eligibility is the account's status, not only the PIV Authentication certificate's (DC-LNK-02, DC-LNK-03).
 */
export interface Cardholder {
  commonName: string;
  givenName: string;
  surname: string;
  email: string;
  /** The agency (home agency of the identity account, DC-ISS-01). */
  agency: string;
}

export type AccountStatus = "active" | "terminated";

export interface PivIdentityAccount {
  /** Index of the card in the deck; one account per card in this lab. */
  cardIndex: number;
  cardholder: Cardholder;
  status: AccountStatus;
  statusChangedAt: string;
  /** Derived credentials bound to this account (DC-ISS-08), filled by the derived-credential issuers. */
  derivedCredentials: { issuer: string; serialNumber: string; issuedAt: string; status: "active" | "revoked" }[];
}
