import type { IssuerName } from "../../emulators/derived/index.js";
import { DpclabError } from "../../src/errors.js";
import { entrust } from "./entrust.js";
import { intercede } from "./intercede.js";
import type { IssuerWorkflow } from "./issuer-workflow.js";
import { purebred } from "./purebred.js";

/** Every issuer a device can enrol with, by name: a new issuer is one workflow file and one entry here. */
const WORKFLOWS: Readonly<Record<IssuerName, IssuerWorkflow>> = { purebred, entrust, intercede };

/** The device side of the named issuer. */
export function issuerWorkflow(name: IssuerName): IssuerWorkflow {
  const workflow = Object.hasOwn(WORKFLOWS, name) ? WORKFLOWS[name] : undefined;
  if (!workflow) throw new DpclabError(`no device workflow for issuer ${JSON.stringify(name)}`, "unknown-issuer");
  return workflow;
}
