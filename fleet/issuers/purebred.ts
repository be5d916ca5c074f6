import { enrolWithPurebred } from "../clients/index.js";
import type { IssuerWorkflow } from "./issuer-workflow.js";

/** DISA Purebred: a registration agent supervises, two one-time passcodes; no remote rekey (docs/intune.md §1.4, §2.1, §2.5). */
export const purebred: IssuerWorkflow = {
  name: "purebred",
  needsAgent: true,
  enrol: enrolWithPurebred,
};
