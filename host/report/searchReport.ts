/**
 * The report of a `zeronas search` (issue #20): one self-contained HTML file like the run report (same style, charts
 * drawn as inline SVG, no script), for a search that priced candidates with cost models or tables instead of
 * measuring them: per target, the proxy score against the predicted cost of every candidate within budget with the
 * non-dominated front; without targets, score against parameters; the best architecture and the front as a table.
 * Every cost here is a prediction (the search measured nothing), and the page says so.
 */
import type { Budgets, CostVector, EvaluatedArch } from '../search/types.js';
import { cellSvg } from './cellSvg.js';
import { escapeHtml, formatNumber } from './html.js';
import { REPORT_CSS } from './reportHtml.js';
import { renderChart, type ChartSeries } from './svgCharts.js';

export interface SearchReportInput {
  space: string;
  algo: string;
  proxy: string;
  scored: number;
  budgets: Budgets;
  best: EvaluatedArch | null;
  /** Every candidate within budget, best score first. */
  feasible: EvaluatedArch[];
  fronts: Record<string, EvaluatedArch[]>;
  generatedAt?: string;
}

const COST_LABEL: Record<keyof CostVector, [string, number]> = { latencyMs: ['predicted latency [ms]', 1], energyJ: ['predicted energy [mJ]', 1e3], areaMm2: ['area [mm²]', 1] };

function costOf(a: EvaluatedArch, target: string): { metric: keyof CostVector; value: number } | null {
  const c = a.costs[target] ?? {};
  for (const metric of ['latencyMs', 'energyJ', 'areaMm2'] as const) if (c[metric] !== undefined) return { metric, value: c[metric]! };
  return null;
}

function targetChart(r: SearchReportInput, target: string): string {
  const withCost = r.feasible.map((a) => ({ a, c: costOf(a, target) })).filter((x): x is { a: EvaluatedArch; c: NonNullable<ReturnType<typeof costOf>> } => x.c !== null);
  const metric = withCost[0]?.c.metric ?? 'latencyMs';
  const [label, scale] = COST_LABEL[metric];
  const front = (r.fronts[target] ?? []).map((a) => ({ a, c: costOf(a, target) })).filter((x) => x.c !== null).sort((x, y) => x.c!.value - y.c!.value);
  const limit = r.budgets.targets?.[target]?.[metric];
  const series: ChartSeries[] = [
    { name: `within budget (${withCost.length})`, colour: '#9aa0a6', kind: 'points', radius: 2.5, className: 'feasible', points: withCost.map(({ a, c }) => ({ x: c.value * scale, y: a.score, label: `${a.arch}\n${formatNumber(c.value * scale)} predicted, score ${formatNumber(a.score)}` })) },
    { name: `front (${front.length})`, colour: '#e67e22', kind: 'line', radius: 3.5, className: 'front', points: front.map(({ a, c }) => ({ x: c!.value * scale, y: a.score, label: a.arch })) },
  ];
  const best = r.best ? costOf(r.best, target) : null;
  if (r.best && best) series.push({ name: 'best', colour: '#c0392b', kind: 'points', shape: 'diamond', radius: 6, className: 'best', points: [{ x: best.value * scale, y: r.best.score, label: r.best.arch }] });
  return renderChart({
    id: `search-${target.replace(/[^A-Za-z0-9_-]/g, '_')}`,
    title: `Proxy score vs predicted cost on ${target}`,
    xLabel: label,
    yLabel: `${r.proxy} score`,
    series,
    ...(limit !== undefined ? { referenceLines: [{ axis: 'x' as const, value: limit * scale, label: 'budget' }] } : {}),
    emptyText: 'no candidate within budget has a cost for this target',
  });
}

function sizeChart(r: SearchReportInput): string {
  return renderChart({
    id: 'search-params',
    title: 'Proxy score vs parameters',
    xLabel: 'parameters [M]',
    yLabel: `${r.proxy} score`,
    series: [
      { name: `within budget (${r.feasible.length})`, colour: '#9aa0a6', kind: 'points', radius: 2.5, className: 'feasible', points: r.feasible.map((a) => ({ x: a.metrics.params / 1e6, y: a.score, label: a.arch })) },
      ...(r.best ? [{ name: 'best', colour: '#c0392b', kind: 'points' as const, shape: 'diamond' as const, radius: 6, className: 'best', points: [{ x: r.best.metrics.params / 1e6, y: r.best.score, label: r.best.arch }] }] : []),
    ],
    ...(r.budgets.params !== undefined ? { referenceLines: [{ axis: 'x' as const, value: r.budgets.params / 1e6, label: 'budget' }] } : {}),
    emptyText: 'no candidate within budget',
  });
}

function budgetText(b: Budgets): string {
  const parts = [
    // in millions, as the budgets are written (params<=1.5M) and the charts' axes are
    ...(b.params !== undefined ? [`params ≤ ${formatNumber(b.params / 1e6)} M`] : []),
    ...(b.flops !== undefined ? [`flops ≤ ${formatNumber(b.flops / 1e6)} M`] : []),
    ...(b.layers !== undefined ? [`layers ≤ ${b.layers}`] : []),
    ...Object.entries(b.targets ?? {}).flatMap(([t, c]) => Object.entries(c).map(([m, v]) => `${t}: ${m} ≤ ${formatNumber(v as number)}`)),
  ];
  return parts.join(', ') || 'none';
}

export function renderSearchReportHtml(r: SearchReportInput): string {
  const targets = Object.keys(r.fronts);
  const rows = r.feasible.slice(0, 20).map(
    (a, i) =>
      `<tr><td class="num">${i + 1}</td><td><code class="arch">${escapeHtml(a.arch)}</code></td><td class="num">${escapeHtml(formatNumber(a.score, 6))}</td><td class="num">${(a.metrics.params / 1e6).toFixed(3)} M</td><td class="num">${(a.metrics.flops / 1e6).toFixed(1)} M</td>` +
      `<td>${escapeHtml(targets.map((t) => { const c = costOf(a, t); return c ? `${t} ${formatNumber(c.value * COST_LABEL[c.metric][1])}` : ''; }).filter(Boolean).join(', ') || '-')}</td></tr>`,
  );
  const best = r.best;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>zeronas search: ${escapeHtml(r.space)} ${escapeHtml(r.algo)}</title><style>${REPORT_CSS}</style></head>
<body>
<header><h1>zeronas search: ${escapeHtml(r.space)}, ${escapeHtml(r.algo)}, proxy <b>${escapeHtml(r.proxy)}</b></h1>
<p class="meta">${r.scored} architectures scored, ${r.feasible.length} within budget (${escapeHtml(budgetText(r.budgets))}). Costs are <b>predictions</b> from the cost sources given to the search (a fitted model, a lookup table, or a published table such as HW-NAS-Bench's), not measurements of this run. Report generated ${escapeHtml(r.generatedAt ?? new Date().toISOString())}.</p></header>
<section id="best"><h2>Best within budget</h2>${
    best
      ? `<div class="best-body">${r.space === 'nb201' ? `<figure>${cellSvg(best.arch)}</figure>` : ''}<table class="kv"><tr><th>architecture</th><td><code class="arch" id="best-arch">${escapeHtml(best.arch)}</code></td></tr><tr><th>score</th><td>${escapeHtml(formatNumber(best.score, 6))}</td></tr><tr><th>params / flops / layers</th><td>${best.metrics.params.toLocaleString('en-US')} / ${(best.metrics.flops / 1e6).toFixed(1)} M / ${best.metrics.layers}</td></tr>${targets.map((t) => { const c = costOf(best, t); return c ? `<tr><th>${escapeHtml(t)} (predicted)</th><td>${escapeHtml(formatNumber(c.value * COST_LABEL[c.metric][1]))} ${c.metric === 'energyJ' ? 'mJ' : c.metric === 'latencyMs' ? 'ms' : 'mm²'}</td></tr>` : ''; }).join('')}</table></div>`
      : '<p class="warn">No architecture met the budgets.</p>'
  }</section>
<section id="charts"><h2>Fronts</h2><div class="charts">${targets.map((t) => `<figure>${targetChart(r, t)}</figure>`).join('')}<figure>${sizeChart(r)}</figure></div></section>
<section id="top"><h2>Best ${rows.length} within budget</h2><table class="grid"><thead><tr><th>#</th><th>architecture</th><th>score</th><th>params</th><th>flops</th><th>predicted costs</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>
</body></html>
`;
}
