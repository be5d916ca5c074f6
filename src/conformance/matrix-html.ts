import { matrixSummary, type TraceabilityMatrix } from "./traceability-matrix.js";
import { escapeXml as h } from "./xml.js";

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #eee; position: sticky; top: 0; }
td.id, td.test { white-space: nowrap; font-family: ui-monospace, monospace; }
.pass { background: #dff0d8; } .fail { background: #f2dede; font-weight: bold; }
.not-applicable { background: #f5f5f5; } .not-run { color: #777; }
`;

/** traceability.html: the same matrix, self-contained (inline style, no scripts, no external resources). */
export function matrixHtml(m: TraceabilityMatrix): string {
  const rows = m.rows.map((r) => {
    const css = r.result.replace(" ", "-");
    return `<tr class="${css === "not-run" ? "not-run" : ""}">
<td class="id">${h(r.rule.id)}</td><td>§${h(r.rule.section)}: ${h(r.rule.source)} (conf ${h(r.rule.confidence)})</td><td>${h(r.strength)}</td>
<td>${h(r.rule.editions.join(", "))}</td><td>${h(r.rule.requirement)}</td><td class="test">${h(r.test ?? "—")}</td><td>${h(r.description)}</td>
<td class="${css}">${h(r.result.toUpperCase())}</td><td>${h(r.actual)}</td><td>${h(r.evidence)}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${h(m.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${h(m.title)}</h1>
<p>Judged ${h(m.evaluatedAt)} by <code>dpclab conform</code>. Requirement IDs from the catalogue docs/sp800-157.md.</p>
<ul>
${m.evidence.map((e) => `<li>${h(e.kind)} <code>${h(e.label)}</code>: ${h(e.description)}</li>`).join("\n")}
</ul>
<p>${h(matrixSummary(m))}</p>
<table>
<thead><tr><th>Requirement</th><th>Source</th><th>Strength</th><th>Editions</th><th>Requirement text</th><th>Test case</th><th>Test description</th><th>Result</th><th>Actual result</th><th>Evidence</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
</body>
</html>
`;
}
