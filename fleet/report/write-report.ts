import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { reportHtml } from "./html.js";
import { junitXml } from "./junit.js";
import type { RunResult } from "./run-result.js";
import { summaryJson } from "./summary-json.js";

export interface ReportFiles {
  summaryJson: string;
  junitXml: string;
  reportHtml: string;
}

/** Writes summary.json, junit.xml and report.html into `dir` (created if missing); returns their paths. */
export async function writeReport(dir: string, result: RunResult): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const files: ReportFiles = { summaryJson: join(dir, "summary.json"), junitXml: join(dir, "junit.xml"), reportHtml: join(dir, "report.html") };
  await Promise.all([
    writeFile(files.summaryJson, summaryJson(result)),
    writeFile(files.junitXml, junitXml(result)),
    writeFile(files.reportHtml, reportHtml(result)),
  ]);
  return files;
}
