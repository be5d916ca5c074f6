import { arrayOf, integer, object, oneOf, type Shape, string } from "../../src/store/index.js";

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

export const cardholderShape: Shape<Cardholder> = object<Cardholder>({ commonName: string, givenName: string, surname: string, email: string, agency: string });

type DerivedCredentialEntry = PivIdentityAccount["derivedCredentials"][number];

export const pivIdentityAccountShape: Shape<PivIdentityAccount> = object<PivIdentityAccount>({
  cardIndex: integer(0),
  cardholder: cardholderShape,
  status: oneOf("active", "terminated"),
  statusChangedAt: string,
  derivedCredentials: arrayOf(object<DerivedCredentialEntry>({ issuer: string, serialNumber: string, issuedAt: string, status: oneOf("active", "revoked") })),
});

/**
 * Merges accounts another writer saved into `accounts`, in place (issuers hold these objects). Accounts only move
 * forward — added, terminated, derived credentials added or revoked, never back — so the union loses nobody's change:
 * terminated wins (with the earlier date), a credential revoked in either copy is revoked.
 */
export function mergeAccounts(accounts: PivIdentityAccount[], saved: readonly PivIdentityAccount[]): void {
  const byCard = new Map(accounts.map((a) => [a.cardIndex, a]));
  for (const other of saved) {
    const mine = byCard.get(other.cardIndex);
    if (!mine) {
      accounts.push(other);
      byCard.set(other.cardIndex, other);
      continue;
    }
    if (other.status === "terminated" && (mine.status !== "terminated" || other.statusChangedAt < mine.statusChangedAt)) {
      mine.status = "terminated";
      mine.statusChangedAt = other.statusChangedAt;
    }
    const key = (d: DerivedCredentialEntry) => `${d.issuer}\u0000${d.serialNumber.toLowerCase()}`;
    const credentials = new Map(mine.derivedCredentials.map((d) => [key(d), d]));
    for (const d of other.derivedCredentials) {
      const known = credentials.get(key(d));
      if (!known) {
        mine.derivedCredentials.push(d);
        credentials.set(key(d), d);
      } else if (d.status === "revoked") known.status = "revoked";
    }
  }
  accounts.sort((a, b) => a.cardIndex - b.cardIndex);
}
