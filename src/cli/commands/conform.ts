import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { systemClock } from "../../clock.js";
import {
  certificateEvidence,
  DEFAULT_EDITION,
  jsonReport,
  judgeCertificate,
  junitReport,
  matrixHtml,
  matrixMarkdown,
  parseEdition,
  readCertificate,
  readCertificates,
  shallFailures,
  textReport,
  traceabilityMatrix,
} from "../../conformance/index.js";
import { DpclabError } from "../../errors.js";
import { parseFlags } from "../args.js";

const USAGE = "dpclab conform CERT.pem [--chain FILE] [--edition 2014|r1-ipd|r1-fpd] [--json] [--junit FILE] [--matrix DIR]";

/**
 * Judges any certificate against the SP 800-157 derived PIV Authentication profile (CERT-*, and the DC-* rows a
 * certificate settles). Exit 1 when a "shall" rule fails; "should" failures are shown but do not fail the run.
 */
export async function conformCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { chain: { type: "string" }, edition: { type: "string" }, json: { type: "boolean" }, junit: { type: "string" }, matrix: { type: "string" } },
    USAGE,
  );
  if (positionals.length !== 1) {
    throw new DpclabError(`${positionals.length ? "one certificate at a time" : "a certificate file is required"} (usage: ${USAGE})`, "usage");
  }
  const certPath = positionals[0] as string;
  const edition = values.edition === undefined ? DEFAULT_EDITION : parseEdition(values.edition);
  const at = systemClock.now();
  const certificate = readCertificate(readInput(certPath), basename(certPath));
  const chain =
    values.chain === undefined ? undefined : { label: basename(values.chain), certificates: readCertificates(readInput(values.chain), basename(values.chain)) };
  const evidence = await certificateEvidence({ label: basename(certPath), certificate, chain, at });
  const report = judgeCertificate(evidence, { edition, evaluatedAt: at });

  const written: string[] = [];
  if (values.junit) written.push(writeOutput(values.junit, junitReport(report)));
  if (values.matrix) {
    const matrix = traceabilityMatrix(report);
    mkdirOrRefuse(values.matrix);
    written.push(writeOutput(join(values.matrix, "traceability.md"), matrixMarkdown(matrix)));
    written.push(writeOutput(join(values.matrix, "traceability.html"), matrixHtml(matrix)));
  }
  if (values.json) {
    console.log(JSON.stringify(jsonReport(report), null, 2));
  } else {
    console.log(textReport(report));
    for (const path of written) console.log(`wrote ${path}`);
  }
  return shallFailures(report).length ? 1 : 0;
}

function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new DpclabError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, "bad-input");
  }
}

function writeOutput(path: string, text: string): string {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw new DpclabError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, "bad-output");
  }
  return path;
}

function mkdirOrRefuse(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new DpclabError(`cannot create ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, "bad-output");
  }
}
