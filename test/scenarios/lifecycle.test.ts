import { catalogueSuite } from "./catalogue-suite.js";

// Renewal, issuer change, card revocation in the seven-day window, account termination, lost device.
catalogueSuite("scenarios/lifecycle", ["renewal-storm", "issuer-change", "card-revoked-in-window", "account-termination", "lost-device"]);
