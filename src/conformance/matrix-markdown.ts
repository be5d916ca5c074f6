import { matrixSummary, type TraceabilityMatrix } from "./traceability-matrix.js";

/** traceability.md: the matrix as a GitHub-flavoured Markdown table. */
export function matrixMarkdown(m: TraceabilityMatrix): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
  const lines = [
    `# ${m.title}`,
    "",
    `Judged ${m.evaluatedAt} by \`dpclab conform\`. Requirement IDs from the catalogue docs/sp800-157.md.`,
    "",
    "Evidence:",
    ...m.evidence.map((e) => `- ${e.kind} \`${cell(e.label)}\`: ${cell(e.description)}`),
    "",
    matrixSummary(m),
    "",
    "| Requirement | Source | Strength | Editions | Requirement text | Test case | Test description | Result | Actual result | Evidence |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...m.rows.map((r) => {
      const cells = [
        r.rule.id,
        `§${r.rule.section}: ${r.rule.source} (conf ${r.rule.confidence})`,
        r.strength,
        r.rule.editions.join(", "),
        r.rule.requirement,
        r.test ?? "—",
        r.description,
        r.result.toUpperCase(),
        r.actual,
        r.evidence,
      ];
      return `| ${cells.map(cell).join(" | ")} |`;
    }),
    "",
  ];
  return lines.join("\n");
}
