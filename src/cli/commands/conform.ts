import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type DefectName, GRAPH_ISSUER, type IssuerName, parseDefect } from "../../../emulators/derived/index.js";
import { systemClock } from "../../clock.js";
import type { IssuerTarget } from "../../conformance/active/index.js";
import {
  type ConformanceReport,
  certificateEvidence,
  conformanceExitCode,
  DEFAULT_EDITION,
  type Edition,
  jsonReport,
  judgeCertificate,
  judgeIssuer,
  junitReport,
  matrixHtml,
  matrixMarkdown,
  parseEdition,
  readCertificate,
  readCertificates,
  textReport,
  traceabilityMatrix,
} from "../../conformance/index.js";
import { DpclabError } from "../../errors.js";
import { LabDir } from "../../lab/index.js";
import { parseFlags } from "../args.js";

const USAGE =
  "dpclab conform CERT.pem [--chain FILE] [--edition 2014|r1-ipd|r1-fpd] [--json] [--junit FILE] [--matrix DIR] | " +
  "dpclab conform --issuer purebred|entrust|intercede|URL [--defect NAME] [--dir D] [--edition …] [--json] [--junit FILE] [--matrix DIR]";

/**
 * Two modes, the same rule catalogue and reports:
 * - `dpclab conform CERT.pem`: judges any certificate against the SP 800-157 derived PIV Authentication profile
 *   (CERT-*, and the DC-* rows a certificate settles);
 * - `dpclab conform --issuer NAME|URL`: the active suite — drives an issuer through issuance, renewal, linkage and
 *   termination (in-process emulator, optionally with --defect knobs; or a served lab at URL …/issuers/NAME, whose lab
 *   directory --dir holds the cards) and judges what it saw, plus every CERT row on every credential it obtained.
 * Exit 1 when a "shall" rule fails, 3 when only "should" rules fail (a CI gate can accept 3), 0 otherwise; usage
 * errors exit 2.
 */
export async function conformCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      chain: { type: "string" },
      edition: { type: "string" },
      json: { type: "boolean" },
      junit: { type: "string" },
      matrix: { type: "string" },
      issuer: { type: "string" },
      defect: { type: "string", multiple: true },
      dir: { type: "string" },
    },
    USAGE,
  );
  const edition = values.edition === undefined ? DEFAULT_EDITION : parseEdition(values.edition);
  const report =
    values.issuer !== undefined
      ? await activeSuite(values.issuer, { positionals, chain: values.chain, defects: values.defect ?? [], dir: values.dir, edition })
      : await certificateMode(positionals, { chain: values.chain, defects: values.defect, dir: values.dir, edition });

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
  return conformanceExitCode(report);
}

async function certificateMode(
  positionals: string[],
  opts: { chain?: string; defects?: string[]; dir?: string; edition: Edition },
): Promise<ConformanceReport> {
  if (opts.defects?.length || opts.dir !== undefined) throw new DpclabError(`--defect and --dir go with --issuer (usage: ${USAGE})`, "usage");
  if (positionals.length !== 1) {
    throw new DpclabError(`${positionals.length ? "one certificate at a time" : "a certificate file is required, or --issuer"} (usage: ${USAGE})`, "usage");
  }
  const certPath = positionals[0] as string;
  const at = systemClock.now();
  const certificate = readCertificate(readInput(certPath), basename(certPath));
  const chain =
    opts.chain === undefined ? undefined : { label: basename(opts.chain), certificates: readCertificates(readInput(opts.chain), basename(opts.chain)) };
  const evidence = await certificateEvidence({ label: basename(certPath), certificate, chain, at });
  return judgeCertificate(evidence, { edition: opts.edition, evaluatedAt: at });
}

const ISSUER_URL = /^(https?:\/\/[^/?#]+)\/issuers\/([a-z]+)\/?$/;

async function activeSuite(
  issuerArg: string,
  opts: { positionals: string[]; chain?: string; defects: string[]; dir?: string; edition: Edition },
): Promise<ConformanceReport> {
  if (opts.positionals.length) throw new DpclabError(`--issuer runs the active suite: give no certificate file (usage: ${USAGE})`, "usage");
  if (opts.chain !== undefined) throw new DpclabError("--chain goes with a certificate file, not --issuer (the suite reads each issuer's chain)", "usage");
  // The suite's harness (emulators, fleet clients) is loaded only when it runs: certificate mode and usage errors stay light.
  const load = () => import("../../conformance/active/index.js");
  let target: IssuerTarget;
  const url = ISSUER_URL.exec(issuerArg);
  if (url) {
    const issuer = issuerName(url[2] as string, issuerArg);
    if (opts.defects.length) {
      throw new DpclabError("--defect switches on a knob of the in-process emulators; a served lab is always faithful", "usage");
    }
    target = await (await load()).httpTarget({ issuer, url: url[1] as string, dir: new LabDir(opts.dir).root });
  } else {
    if (/^https?:/i.test(issuerArg)) {
      throw new DpclabError(`--issuer URL names one issuer of a served lab, e.g. http://127.0.0.1:7800/issuers/entrust (got "${issuerArg}")`, "usage");
    }
    const issuer = issuerName(issuerArg, issuerArg);
    if (opts.dir !== undefined) throw new DpclabError("--dir goes with --issuer URL (the lab it serves); in-process the suite builds its own lab", "usage");
    const defects: DefectName[] = [...new Set(opts.defects.map((d) => parseDefect(d, issuer)))];
    target = await (await load()).inProcessTarget({ issuer, defects });
  }
  try {
    const evidence = await (await load()).runActiveSuite(target);
    return judgeIssuer(evidence, { edition: opts.edition, evaluatedAt: systemClock.now() });
  } finally {
    await target.close();
  }
}

function issuerName(name: string, given: string): IssuerName {
  if (Object.hasOwn(GRAPH_ISSUER, name)) return name as IssuerName;
  throw new DpclabError(`--issuer must be purebred, entrust, intercede or a served lab's …/issuers/<name> URL (got "${given}")`, "usage");
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
