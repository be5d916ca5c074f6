import { catalogueSuite } from "./catalogue-suite.js";

// docs/intune.md §2: every issuer's workflow on both platforms, with the CERT rows judged on every credential.
catalogueSuite("scenarios/enrolment", [
  "enrol-purebred-ios",
  "enrol-purebred-android",
  "enrol-entrust-ios",
  "enrol-entrust-android",
  "enrol-intercede-ios",
  "enrol-intercede-android",
]);
