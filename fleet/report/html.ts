import { compareSteps, Histogram, SERIES, simDay, wallSecond } from "../metrics/index.js";
import { escapeHtml as e } from "./escape.js";
import { formatActual, formatMs } from "./format.js";
import { relyingPartyCells, relyingPartyFigures } from "./relying-party-figures.js";
import { type RunResult, simulatedDays, thresholdsHeld, wallSeconds } from "./run-result.js";
import { errorsByReason, stepStats } from "./step-stats.js";
import { barChart, type ChartSeries, lineChart } from "./svg-chart.js";

/** Inline only: the report must open from a CI artifact or an air-gapped lab with nothing to fetch. */
const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1000px;color:#1b1b1b;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:6px 0}th,td{padding:3px 10px;text-align:right;border-bottom:1px solid #eee}
th:first-child,td:first-child{text-align:left}code,pre{font:13px ui-monospace,Menlo,Consolas,monospace;background:#f4f4f4}
pre{padding:8px;white-space:pre-wrap;word-break:break-all}.ok{color:#00704a}.bad{color:#b00020;font-weight:600}
.chart{display:block;max-width:100%;height:auto;margin:8px 0}.chart text{font:11px system-ui,sans-serif;fill:#333}
.chart .t{font-size:13px;font-weight:600}.chart .xl{text-anchor:middle}.chart .yl{text-anchor:end}
.chart .ax{stroke:#555}.chart .g{stroke:#e6e6e6}
`;

function table(headers: string[], rows: (string | number)[][], cls: (row: number) => string = () => ""): string {
  const head = `<tr>${headers.map((h) => `<th>${e(h)}</th>`).join("")}</tr>`;
  const body = rows.map((r, i) => `<tr class="${cls(i)}">${r.map((c) => `<td>${e(c)}</td>`).join("")}</tr>`).join("\n");
  return rows.length ? `<table>\n${head}\n${body}\n</table>` : "<p>(none)</p>";
}

function latencyOverTime(r: RunResult): string {
  const start = wallSecond(Date.parse(r.wall.startedAt));
  const series: ChartSeries[] = Object.keys(r.metrics.latencyPerSecond)
    .sort(compareSteps)
    .map((step) => ({
      label: `${step} p95`,
      points: Object.entries(r.metrics.latencyPerSecond[step]!).map(([s, h]): [number, number] => [Number(s) - start, Histogram.fromJSON(h).percentile(95)]),
    }));
  return lineChart(series, { id: "latency-over-time", title: "Latency over time (p95 per step, ms)", xLabel: "wall-clock seconds since start", yLabel: "ms" });
}

function renewalsPerDay(r: RunResult): string {
  const day0 = simDay(Date.parse(r.simulated.start));
  const rows = r.metrics.series[SERIES.renewalsPerSimDay] ?? {};
  const days = Object.keys(rows).map((d) => Number(d) - day0);
  const last = days.length ? Math.max(...days) : -1;
  const bars: [number, number][] = [];
  for (let d = Math.min(0, ...days); d <= last; d++) bars.push([d, rows[String(d + day0)]?.renewals ?? 0]);
  return barChart(bars, { id: "renewals-per-day", title: "Renewals per simulated day", xLabel: "simulated day", yLabel: "renewals" });
}

/** The real relying parties' figures: a table, their own lines, and their exchange latency as bars. */
function relyingParties(r: RunResult): string {
  const figures = Object.entries(relyingPartyFigures(r));
  const rows = figures.map(([kind, f]) => {
    const c = relyingPartyCells(f);
    return [kind, f.accepted, c.refused, ...c.latency, c.revocationToRefusal, f.neverRefused, c.errors];
  });
  const said = figures
    .map(
      ([kind, f]) =>
        `<li><strong>${e(kind)}</strong>: ${e(f.relyingParty)}<ul>${Object.entries(f.lines)
          .map(([verdict, line]) => `<li>${e(verdict)}: <code>${e(line)}</code></li>`)
          .join("")}</ul></li>`,
    )
    .join("\n");
  const bars = barChart(
    figures.map(([, f], i): [number, number] => [i + 1, f.latency.p95]),
    {
      id: "relying-party-latency",
      title: `Relying-party exchange p95 (ms): ${figures.map(([kind], i) => `${i + 1} ${kind}`).join(", ")}`,
      xLabel: "relying party",
      yLabel: "ms",
    },
  );
  return `<h2>Relying parties</h2>
<p>Real servers judged the sampled devices' credentials after each enrolment, renewal and revocation. Revocation to
refusal is simulated time from the revocation (or issuer change) to the relying party's first refusal.</p>
${table(["relying party", "accepted", "refused", "p50", "p95", "p99", "revoked → refused p50 / max", "never refused", "errors"], rows, (i) =>
  figures[i]![1].neverRefused + relyingPartyCells(figures[i]![1]).errors ? "bad" : "ok",
)}
${bars}
<ul>
${said}
</ul>
`;
}

function fleetState(r: RunResult): string {
  const day0 = simDay(Date.parse(r.simulated.start));
  const rows = r.metrics.series[SERIES.fleetStatePerSimDay] ?? {};
  const labels = [...new Set(Object.values(rows).flatMap((row) => Object.keys(row)))].sort();
  const series = labels.map((label) => ({
    label,
    points: Object.entries(rows).map(([d, row]): [number, number] => [Number(d) - day0, row[label] ?? 0]),
  }));
  return lineChart(series, { id: "fleet-state", title: "Fleet state over simulated time (devices)", xLabel: "simulated day", yLabel: "devices" });
}

/** A self-contained `report.html`: inline CSS and SVG, no script, every run-supplied string escaped. */
export function reportHtml(r: RunResult): string {
  const held = thresholdsHeld(r);
  const o = r.outcome;
  const stats = stepStats(r.metrics);
  const secs = wallSeconds(r);
  const checks = Object.entries(r.metrics.checks);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>dpclab fleet run · seed ${e(r.seed)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>dpclab fleet run · seed <code>${e(r.seed)}</code></h1>
<p class="${held ? "ok" : "bad"}">${held ? "✓ all thresholds held" : `✗ ${r.thresholds.filter((t) => !t.ok).length} threshold(s) breached`}</p>
${(r.incidents ?? []).map((i) => `<p class="bad">✗ ${e(i)}</p>`).join("\n")}
${(r.notes ?? []).map((n) => `<p class="ok">✓ ${e(n)}</p>`).join("\n")}
<p>Replay this run:</p>
<pre id="replay">${e(r.command)}</pre>
<p>Wall clock ${e(r.wall.startedAt)} → ${e(r.wall.finishedAt)} (${secs.toFixed(1)} s) ·
simulated ${e(r.simulated.start)} → ${e(r.simulated.end)} (${simulatedDays(r).toFixed(0)} days)</p>

<h2>Outcome</h2>
${table(
  ["count", "value"],
  [
    ["devices", o.devices],
    ["enrolled", o.enrolled],
    ["renewed", o.renewed],
    ...Object.entries(o.failed).map(([k, v]) => [`failed: ${k}`, v]),
    ...Object.entries(o.retired).map(([k, v]) => [`retired: ${k}`, v]),
    ...Object.entries(o.counts),
  ],
)}

<h2>Thresholds</h2>
${table(
  ["threshold", "result", "actual"],
  r.thresholds.map((t) => [t.expression, t.ok ? "✓ held" : "✗ breached", formatActual(t)]),
  (i) => (r.thresholds[i]!.ok ? "ok" : "bad"),
)}

<h2>Latency per step</h2>
<p>Percentiles from histograms merged across workers (never averaged).</p>
${table(
  ["step", "count", "throughput /s", "p50", "p90", "p95", "p99", "max"],
  stats.map((s) => [s.step, s.count, (s.count / secs).toFixed(1), ...[s.p50, s.p90, s.p95, s.p99, s.max].map(formatMs)]),
)}
${latencyOverTime(r)}

<h2>Renewals</h2>
${
  r.storm
    ? `<p>Renewal storm at ${e(r.storm.at)}: ${r.storm.renewals} renewals in ${r.storm.wallSeconds.toFixed(1)} s of wall clock = <strong>${r.storm.renewalsPerSecond.toFixed(1)} renewals/s</strong> (all workers).</p>`
    : ""
}
${renewalsPerDay(r)}

<h2>Fleet state</h2>
${fleetState(r)}

${r.relyingParties ? relyingParties(r) : ""}
<h2>Errors by reason</h2>
${table(
  ["reason", "count"],
  Object.entries(errorsByReason(r.metrics)).sort(([, a], [, b]) => b - a),
)}

<h2>Checks</h2>
${table(
  ["check", "passes", "fails"],
  checks.map(([name, c]) => [name, c.passes, c.fails]),
  (i) => (checks[i]![1].fails ? "bad" : "ok"),
)}
</body>
</html>
`;
}
