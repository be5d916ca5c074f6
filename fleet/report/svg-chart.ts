import { escapeXml } from "./escape.js";

/** Inline SVG charts drawn here, so report.html needs no script, font or stylesheet from anywhere. */

export interface ChartSeries {
  label: string;
  points: [x: number, y: number][];
}

export interface ChartOptions {
  /** Used as the element id and aria label prefix. */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
}

/** Colour-blind-safe (Okabe–Ito). */
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];
const M = { left: 64, right: 150, top: 30, bottom: 44 };

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((f) => f * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  return ticks;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toLocaleString("en-US", { maximumFractionDigits: 0 }) : String(Number(v.toPrecision(4))));

interface Frame {
  w: number;
  h: number;
  x: (v: number) => number;
  y: (v: number) => number;
  body: string[];
}

function frame(o: ChartOptions, xs: number[], ys: number[]): Frame {
  const w = o.width ?? 760;
  const h = o.height ?? 280;
  const xLo = Math.min(...xs);
  const xHi = Math.max(...xs);
  const yHi = Math.max(0, ...ys);
  const xTicks = niceTicks(xLo, xHi === xLo ? xLo + 1 : xHi);
  const yTicks = niceTicks(0, yHi > 0 ? yHi : 1);
  const xMax = Math.max(xHi, xTicks.at(-1)!, xLo + 1);
  const yMax = Math.max(yHi, yTicks.at(-1)!);
  const pw = w - M.left - M.right;
  const ph = h - M.top - M.bottom;
  const x = (v: number) => M.left + ((v - xLo) / (xMax - xLo)) * pw;
  const y = (v: number) => M.top + ph - (v / yMax) * ph;
  const body = [
    `<text class="t" x="${M.left}" y="18">${escapeXml(o.title)}</text>`,
    `<line class="ax" x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${M.top + ph}"/>`,
    `<line class="ax" x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + ph}"/>`,
    ...yTicks.map(
      (t) =>
        `<line class="g" x1="${M.left}" y1="${y(t).toFixed(1)}" x2="${M.left + pw}" y2="${y(t).toFixed(1)}"/>` +
        `<text class="yl" x="${M.left - 6}" y="${(y(t) + 4).toFixed(1)}">${fmt(t)}</text>`,
    ),
    ...xTicks.filter((t) => t <= xMax).map((t) => `<text class="xl" x="${x(t).toFixed(1)}" y="${M.top + ph + 16}">${fmt(t)}</text>`),
    `<text class="xl" x="${M.left + pw / 2}" y="${h - 6}">${escapeXml(o.xLabel)}</text>`,
    `<text class="yl" transform="rotate(-90)" x="${-(M.top + ph / 2)}" y="14" style="text-anchor:middle">${escapeXml(o.yLabel)}</text>`,
  ];
  return { w, h, x, y, body };
}

function svg(o: ChartOptions, w: number, h: number, body: string[]): string {
  return [
    `<svg id="${escapeXml(o.id)}" class="chart" role="img" aria-label="${escapeXml(o.title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">`,
    `<title>${escapeXml(o.title)}</title>`,
    ...body,
    "</svg>",
  ].join("\n");
}

function empty(o: ChartOptions): string {
  const w = o.width ?? 760;
  const h = o.height ?? 280;
  return svg(o, w, h, [`<text class="t" x="${M.left}" y="18">${escapeXml(o.title)}</text>`, `<text class="xl" x="${w / 2}" y="${h / 2}">no data</text>`]);
}

function legend(labels: string[], w: number): string[] {
  return labels.map((label, i) => {
    const y = M.top + 6 + i * 18;
    const c = PALETTE[i % PALETTE.length];
    return `<rect x="${w - M.right + 12}" y="${y - 9}" width="12" height="12" fill="${c}"/><text class="lg" x="${w - M.right + 30}" y="${y + 1}">${escapeXml(label)}</text>`;
  });
}

/** One polyline per series (points sorted by x), with a legend. */
export function lineChart(series: ChartSeries[], o: ChartOptions): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return empty(o);
  const f = frame(
    o,
    all.map(([x]) => x),
    all.map(([, y]) => y),
  );
  const lines = series.map((s, i) => {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]).map(([x, y]) => `${f.x(x).toFixed(1)},${f.y(y).toFixed(1)}`);
    const c = PALETTE[i % PALETTE.length];
    const dots = pts.length === 1 ? `<circle cx="${pts[0]!.split(",")[0]}" cy="${pts[0]!.split(",")[1]}" r="3" fill="${c}"/>` : "";
    return `<polyline fill="none" stroke="${c}" stroke-width="1.8" points="${pts.join(" ")}"><title>${escapeXml(s.label)}</title></polyline>${dots}`;
  });
  return svg(o, f.w, f.h, [
    ...f.body,
    ...lines,
    ...legend(
      series.map((s) => s.label),
      f.w,
    ),
  ]);
}

/** Vertical bars at integer x positions (e.g. one per simulated day). */
export function barChart(bars: [x: number, y: number][], o: ChartOptions): string {
  if (bars.length === 0) return empty(o);
  const xs = bars.map(([x]) => x);
  const f = frame(
    o,
    [Math.min(...xs), Math.max(...xs) + 1],
    bars.map(([, y]) => y),
  );
  const bw = Math.max(0.5, f.x(1) - f.x(0));
  const rects = bars
    .filter(([, y]) => y > 0)
    .map(
      ([x, y]) =>
        `<rect fill="${PALETTE[0]}" x="${f.x(x).toFixed(2)}" y="${f.y(y).toFixed(1)}" width="${Math.max(0.5, bw * 0.85).toFixed(2)}" height="${(f.y(0) - f.y(y)).toFixed(1)}"><title>${fmt(x)}: ${fmt(y)}</title></rect>`,
    );
  return svg(o, f.w, f.h, [...f.body, ...rects]);
}
