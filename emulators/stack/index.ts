export { createLabStack, ISSUERS, type IssuerStack, type LabStack, type LabStackOptions } from "./lab-stack.js";
