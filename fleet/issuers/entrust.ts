import { enrolWithEntrust } from "../clients/index.js";
import type { IssuerWorkflow } from "./issuer-workflow.js";

/** Entrust IdentityGuard: QR code and numeric password; no remote rekey (docs/intune.md §1.4, §2.2, §2.6). */
export const entrust: IssuerWorkflow = {
  name: "entrust",
  needsAgent: false,
  enrol: enrolWithEntrust,
};
