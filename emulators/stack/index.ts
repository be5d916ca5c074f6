export { createLabStack, type EmulatorSettings, ISSUERS, type IssuerStack, type LabStack, type LabStackOptions, type StackEmulators } from "./lab-stack.js";
