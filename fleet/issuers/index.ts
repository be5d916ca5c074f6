// The issuer seam of the device side: one IssuerWorkflow per issuer, looked up by name.

export type { IssuedCredential, IssuerWorkflow, RekeyInput, RekeyOutcome } from "./issuer-workflow.js";
export { issuerWorkflow } from "./registry.js";
