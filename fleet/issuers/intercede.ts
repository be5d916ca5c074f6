import { enrolWithIntercede, rekeyWithIntercede } from "../clients/index.js";
import type { IssuerWorkflow } from "./issuer-workflow.js";

/** Intercede MyID: QR code only, and the Identity Agent's automatic rekey before expiry (docs/intune.md §2.3, §2.7). */
export const intercede: IssuerWorkflow = {
  name: "intercede",
  needsAgent: false,
  enrol: enrolWithIntercede,
  rekey: rekeyWithIntercede,
};
