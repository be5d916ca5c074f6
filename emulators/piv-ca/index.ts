export { CardIssuer, type ContentSigner, PIV_CA_NAME, ROOT_CA_NAME } from "./card-issuer.js";
export type { CardRecord } from "./card-record.js";
export { drawCardholder, TEST_AGENCY } from "./cardholders.js";
export { type CreateCardsOptions, createCards } from "./deck.js";
export { pivCaHandler } from "./handler.js";
export type { AccountStatus, Cardholder, PivIdentityAccount } from "./identity-account.js";
