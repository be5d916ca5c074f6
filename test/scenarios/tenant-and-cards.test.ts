import { catalogueSuite } from "./catalogue-suite.js";

// Planning traps of docs/intune.md §1.7/§4, the PIN counter and PUK reset, and the whole model at once.
catalogueSuite("scenarios/tenant-and-cards", ["camera-blocked", "conditional-access-email", "deadlock-lint", "pin-lockout-puk-reset", "everything"]);
