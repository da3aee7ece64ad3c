/**
 * The run report: one self-contained HTML file (inline CSS, charts drawn as inline SVG at generation time, no
 * script needed, no network), readable from disk. Per target: the Pareto front, predicted vs measured latency
 * with the ±10% band and error figures, and the chosen architecture (cell drawing, metrics, ONNX link relative to
 * the run folder). Then proxy vs ground truth (when given), search progress, and the devices with their
 * measurement conditions. The data the page was drawn from is embedded as JSON (`#report-data`).
 */
import { cellSvg } from './cellSvg.js';
import { escapeHtml, fixed, formatNumber } from './html.js';
import type { ReportData, ReportTarget, TimePoint } from './reportData.js';
import { renderChart, type AxisScale, type ChartSeries } from './svgCharts.js';

const COLOURS = { measured: '#2e86de', predicted: '#9aa0a6', front: '#e67e22', best: '#c0392b', band: '#27ae60', truth: '#8e44ad' };
const TARGET_PALETTE = ['#2e86de', '#e67e22', '#16a085', '#8e44ad', '#c0392b', '#7f8c8d'];

export const targetSlug = (target: string): string => target.replace(/[^A-Za-z0-9_-]/g, '_');

const autoScale = (values: number[]): AxisScale => {
  const v = values.filter((x) => Number.isFinite(x));
  return v.length > 1 && Math.min(...v) > 0 && Math.max(...v) / Math.min(...v) > 8 ? 'log' : 'linear';
};

const pct = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? '-' : `${v.toFixed(digits)}%`);

export function paretoChart(t: ReportTarget): string {
  const bestArch = t.best?.arch;
  const label = (p: { arch: string; score: number }, lat: number, kind: string): string => `${p.arch}\nscore ${formatNumber(p.score)}, ${kind} ${formatNumber(lat)} ms`;
  const predicted = t.points.filter((p) => p.measuredMs === null && p.predictedMs !== null);
  const measured = t.points.filter((p) => p.measuredMs !== null);
  const series: ChartSeries[] = [
    { name: `predicted (${predicted.length})`, colour: COLOURS.predicted, kind: 'points', shape: 'ring', radius: 3.5, className: 'predicted', points: predicted.map((p) => ({ x: p.predictedMs!, y: p.score, label: label(p, p.predictedMs!, 'predicted') })) },
    {
      name: `measured (${measured.length})`,
      colour: COLOURS.measured,
      kind: 'points',
      className: 'measured',
      points: measured.map((p) => ({ x: p.measuredMs!, y: p.score, label: label(p, p.measuredMs!, 'measured'), isHighlighted: p.arch === bestArch })),
    },
    { name: 'Pareto front', colour: COLOURS.front, kind: 'step', isDashed: true, className: 'front', points: t.paretoFront.map((p) => ({ x: p.latencyMs, y: p.score, label: p.arch })) },
  ];
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  return renderChart({
    id: `pareto-${targetSlug(t.target)}`,
    title: `Proxy score vs latency on ${t.target}`,
    xLabel: 'latency [ms]',
    yLabel: 'proxy score (higher is better)',
    xScale: autoScale([...xs, ...(t.budget ? [t.budget.max] : [])]),
    series,
    referenceLines: t.budget && t.budget.metric === 'latency' ? [{ axis: 'x', value: t.budget.max, label: `budget ${formatNumber(t.budget.max)} ms` }] : [],
    emptyText: 'no candidate has a latency',
  });
}

export function latencyChart(t: ReportTarget): string {
  const both = t.points.filter((p) => p.measuredMs !== null && p.predictedMs !== null);
  const values = both.flatMap((p) => [p.measuredMs!, p.predictedMs!]);
  // Always the same scale on both axes, and log wherever it can be: a cost model's error is relative, so equal
  // distances from the diagonal mean equal percentages on every target, narrow ranges (a browser) or wide (a Pi).
  const lo = values.length ? Math.min(...values) / 1.25 : 0.1;
  const hi = values.length ? Math.max(...values) * 1.25 : 10;
  const scale: AxisScale = values.length && Math.min(...values) > 0 ? 'log' : autoScale(values);
  const diag = (k: number): [number, number][] => [lo, hi].map((x) => [x, k * x] as [number, number]);
  return renderChart({
    id: `latency-${targetSlug(t.target)}`,
    title: `Predicted vs measured latency on ${t.target}`,
    xLabel: 'measured latency [ms]',
    yLabel: 'predicted latency [ms]',
    xScale: scale,
    yScale: scale,
    series: [
      { name: 'predicted = measured', colour: '#555', kind: 'line', isDashed: true, className: 'diagonal', points: diag(1).map(([x, y]) => ({ x, y })) },
      {
        name: `candidates (${both.length})`,
        colour: COLOURS.measured,
        kind: 'points',
        className: 'measured',
        points: both.map((p) => ({
          x: p.measuredMs!,
          y: p.predictedMs!,
          label: `${p.arch}\nmeasured ${formatNumber(p.measuredMs!)} ms, predicted ${formatNumber(p.predictedMs!)} ms (${(((p.predictedMs! - p.measuredMs!) / p.measuredMs!) * 100).toFixed(1)}%)`,
          isHighlighted: p.arch === t.best?.arch,
        })),
      },
    ],
    areas: [{ points: [...diag(0.9), ...diag(1.1).reverse()], colour: COLOURS.band, label: '±10%', className: 'band' }],
    include: values.length ? { x: [Math.min(...values), Math.max(...values)], y: [Math.min(...values), Math.max(...values)] } : {},
    emptyText: 'no measured candidate has a prediction',
  });
}

function targetSection(t: ReportTarget): string {
  const slug = targetSlug(t.target);
  const e = t.errors;
  const best = t.best
    ? `<div class="best" id="best-${slug}">
  <h3>Chosen architecture</h3>
  <div class="best-body">
    <figure id="cell-${slug}">${cellSvg(t.best.arch)}<figcaption><code class="arch">${escapeHtml(t.best.arch)}</code></figcaption></figure>
    <table class="kv best-metrics">
      <tr><th>proxy score</th><td data-field="proxyScore">${escapeHtml(formatNumber(t.best.proxyScore, 6))}</td></tr>
      <tr><th>measured latency in the loop (median of one job's runs)</th><td data-field="measuredLatencyMs">${t.best.measuredLatencyMs.toFixed(3)} ms</td></tr>
      <tr><th>budget</th><td>${t.budget ? escapeHtml(t.budget.text) : 'none'}</td></tr>
      <tr><th>MACs (as the flops budget counts them)</th><td data-field="macs">${(t.best.macs / 1e6).toFixed(2)} M</td></tr>
      <tr><th>params</th><td data-field="params">${(t.best.params / 1e6).toFixed(3)} M</td></tr>
      <tr><th>ONNX</th><td><a class="onnx" href="${escapeHtml(t.best.onnx.split(/[\\/]/).map(encodeURIComponent).join('/'))}" download>${escapeHtml(t.best.onnx)}</a>${t.best.onnxBytes !== null ? ` (${(t.best.onnxBytes / 2 ** 20).toFixed(2)} MiB)` : ' (file missing)'}</td></tr>
    </table>
  </div>
</div>`
    : `<p class="none" id="best-${slug}">No measured candidate met the budget${t.budget ? ` (${escapeHtml(t.budget.text)})` : ''}.</p>`;
  return `<section class="target" id="target-${slug}" data-target="${escapeHtml(t.target)}">
<h2>Target <code>${escapeHtml(t.target)}</code>${t.isReplay ? ' <span class="replay">REPLAY: values from a published table, not measured in this run</span>' : ''}${t.isEmulated ? ' <span class="replay">EMULATED: measured under CPU emulation (qemu-user), timings are the emulator\'s, not the device\'s</span>' : ''}${t.forcedDevice ? ` <span class="replay" data-field="forcedDevice">FORCED DEVICE: measured by an agent started with --force-device on hardware its device profile does not describe, so these are not the profile's device's timings: ${escapeHtml(t.forcedDevice)}</span>` : ''}</h2>
<p class="meta">${t.measured} candidates measured on ${t.agents.length} agent(s): ${t.agents.map((a) => escapeHtml(`${a.name} (${a.profile ?? 'no profile'})`)).join(', ') || 'none'}; cost model: ${escapeHtml(t.costModel.name)}.</p>
<div class="charts">
  <figure>${paretoChart(t)}<figcaption>Every scored candidate: measured (filled) and predicted by the cost model (rings); the dashed line is the Pareto front, the outlined point the chosen architecture.</figcaption></figure>
  <figure>${latencyChart(t)}
    <figcaption>
      <table class="kv errors" id="errors-${slug}">
        <tr><th>measured candidates with a prediction</th><td data-field="n">${e.n}</td></tr>
        <tr><th>mean absolute percentage error</th><td data-field="mape">${pct(e.mapePercent)}</td></tr>
        <tr><th>within ±10%</th><td data-field="within10">${e.within10 === null ? '-' : `${(e.within10 * 100).toFixed(0)}%`}</td></tr>
        <tr><th>largest error</th><td data-field="maxError">${pct(e.maxErrorPercent)}</td></tr>
      </table>
      In-sample: the model was fitted on these measurements (the cost-model benchmark reports held-out errors).
    </figcaption>
  </figure>
</div>
${best}
${loopTables(t)}
</section>`;
}

/** The closed loop's record of a target: each round's model error on what it measured, and the verification. */
function loopTables(t: ReportTarget): string {
  const slug = targetSlug(t.target);
  const unit = t.metric === 'energyJ' ? 'mJ' : 'ms';
  const show = (v: number | null): string => (v === null ? '-' : t.metric === 'energyJ' ? (v * 1e3).toFixed(3) : v.toFixed(3));
  const curve = t.learningCurve.length
    ? `<h3>Learning curve</h3>
<table class="grid learning" id="learning-${slug}"><thead><tr><th>round</th><th>model that predicted</th><th>samples</th><th>measured</th><th>MAPE</th><th>within ±10%</th><th>Spearman</th><th>model file</th></tr></thead><tbody>${t.learningCurve
        .map(
          (l) =>
            `<tr data-round="${l.round}"><td class="num">${l.round}</td><td>${escapeHtml(l.model)}</td><td class="num">${l.samplesBefore}</td><td class="num">${l.measured}</td><td class="num" data-field="mape">${pct(l.mapePercent)}</td><td class="num">${l.within10 === null ? '-' : `${(100 * l.within10).toFixed(0)}%`}</td><td class="num">${l.spearman === null ? '-' : l.spearman.toFixed(3)}</td><td>${l.modelFile ? `<code>${escapeHtml(l.modelFile)}</code>` : '-'}</td></tr>`,
        )
        .join('')}</tbody></table>
<p class="meta">Each round's errors are those of the model before that round's refit, on the architectures the round measured (out of sample). ${t.costPrior ? `Round 0 measured the architectures the fleet prior <code>${escapeHtml(t.costPrior)}</code> chose (D-optimal: the ones the known devices disagree about most); the model is still this target's own.` : 'Round 0 is the first spread of sizes (FLOPs quantiles).'}</p>`
    : '';
  const verification = t.verification.length
    ? `<h3>Verification</h3>
<table class="grid verification" id="verification-${slug}"><thead><tr><th>architecture</th><th>predicted (${unit})</th><th>re-measured (${unit}, each round)</th><th>median</th><th>budget</th></tr></thead><tbody>${t.verification
        .map(
          (v) =>
            `<tr><td><code class="arch">${escapeHtml(v.arch)}</code></td><td class="num">${show(v.predicted)}</td><td class="num">${v.roundValues.map((x) => show(x)).join(', ')}</td><td class="num" data-field="median">${show(v.measuredMedian)}</td><td data-field="meets">${v.meetsBudget ? 'met' : 'missed'}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '';
  return curve + verification;
}

const timeSeries = (points: TimePoint[]): { x: number; y: number; label: string }[] =>
  points.map((p) => ({ x: p.t, y: p.value, label: `${p.label ? `${p.label}\n` : ''}${formatNumber(p.value)} at ${p.t.toFixed(1)} s` }));

function progressSection(d: ReportData): string {
  const p = d.progress;
  const targets = d.targets.map((t) => t.target);
  const work = renderChart({
    id: 'progress-work',
    title: 'Work done over time',
    xLabel: 'time since start [s]',
    yLabel: 'count',
    series: [
      { name: `scored (${d.proxy})`, colour: '#555', kind: 'step', className: 'scored', points: timeSeries(p.scored) },
      ...targets.map((t, i) => ({ name: `measured on ${t}`, colour: TARGET_PALETTE[i % TARGET_PALETTE.length]!, kind: 'step' as const, radius: 2.5, className: `measured-${targetSlug(t)}`, points: timeSeries(p.measuredByTarget[t] ?? []) })),
    ],
    emptyText: 'no timestamps recorded',
  });
  const best = renderChart({
    id: 'progress-best',
    title: 'Best measured score within budget over time',
    xLabel: 'time since start [s]',
    yLabel: 'best proxy score within budget',
    series: targets.map((t, i) => ({ name: t, colour: TARGET_PALETTE[i % TARGET_PALETTE.length]!, kind: 'step' as const, radius: 3.5, className: `best-${targetSlug(t)}`, points: timeSeries(p.bestByTarget[t] ?? []) })),
    emptyText: 'no measured candidate within budget',
  });
  return `<section id="progress"><h2>Search progress</h2><p class="meta">Started ${escapeHtml(p.startedAt ?? 'not recorded')}; wall time ${d.wallTimeS === null ? 'not recorded' : `${d.wallTimeS.toFixed(1)} s`}.</p><div class="charts"><figure>${work}</figure><figure>${best}</figure></div></section>`;
}

function truthSection(d: ReportData): string {
  const t = d.truth;
  if (!t) return '';
  const chart = renderChart({
    id: 'truth-chart',
    title: `Proxy score vs ${t.column}`,
    xLabel: `proxy score (${d.proxy})`,
    yLabel: t.column,
    xScale: autoScale(t.points.map((p) => p.score)),
    series: [{ name: `candidates (${t.n})`, colour: COLOURS.truth, kind: 'points', className: 'truth', points: t.points.map((p) => ({ x: p.score, y: p.truth, label: `${p.arch}\nscore ${formatNumber(p.score)}, ${t.column} ${formatNumber(p.truth)}` })) }],
    emptyText: 'no candidate is in the truth file',
  });
  return `<section id="truth"><h2>Proxy score vs ground truth</h2>
<div class="charts"><figure>${chart}<figcaption><table class="kv" id="truth-stats">
<tr><th>truth file</th><td><code>${escapeHtml(t.path)}</code>, column <code>${escapeHtml(t.column)}</code></td></tr>
<tr><th>candidates joined</th><td data-field="n">${t.n}${t.missing ? ` (${t.missing} not in the file)` : ''}</td></tr>
<tr><th>Kendall tau-b</th><td data-field="kendall">${fixed(t.kendall, 3)}</td></tr>
<tr><th>Spearman rho</th><td data-field="spearman">${fixed(t.spearman, 3)}</td></tr>
</table></figcaption></figure></div></section>`;
}

function devicesSection(d: ReportData): string {
  const r2 = (v: [number, number] | null, unit: string): string => (v === null ? 'not recorded' : v[0] === v[1] ? `${formatNumber(v[0])} ${unit}` : `${formatNumber(v[0])}–${formatNumber(v[1])} ${unit}`);
  const rows = d.devices.map(
    (x) => `<tr data-agent="${escapeHtml(x.agentId)}">
<td><b>${escapeHtml(x.name)}</b><br><span class="dim" title="device fingerprint">${escapeHtml(x.fingerprint.slice(0, 12))}</span></td>
<td>${escapeHtml(x.profile ?? 'none')}<br><span class="dim">${escapeHtml(x.environment)}</span></td>
<td>${escapeHtml(x.cpu)}${x.cores !== null ? `, ${x.cores} cores` : ''}<br><span class="dim">${escapeHtml(x.os)}${x.memoryGiB !== null ? `, ${x.memoryGiB.toFixed(1)} GiB` : ''}</span></td>
<td>${escapeHtml(x.targets.join(', ') || '-')}</td>
<td class="num" data-field="measurements">${x.measurements}</td>
<td>${escapeHtml(x.runtime ?? '-')}</td>
<td data-field="ep">${escapeHtml(x.executionProvider ?? '-')}${x.requestedExecutionProvider && x.requestedExecutionProvider !== x.executionProvider ? ` <span class="warn">(requested ${escapeHtml(x.requestedExecutionProvider)})</span>` : ''}</td>
<td class="num">${x.threads.join(', ') || '-'}</td>
<td class="num">${x.warmupRuns.join(', ') || '-'} / ${x.timedRunsMedian ?? '-'}</td>
<td>${r2(x.tempBeforeC, '°C')} → ${r2(x.tempAfterC, '°C')}</td>
<td>${escapeHtml(x.governor ?? 'not recorded')}<br><span class="dim">${r2(x.freqMHz, 'MHz')}</span></td>
<td class="num">${x.throttledMeasurements}</td>
<td title="${escapeHtml(x.energy)}">${escapeHtml(x.energy.length > 60 ? `${x.energy.split(/[:(]/)[0]!.trim()} (hover for why)` : x.energy)}</td>
</tr>`,
  );
  return `<section id="devices-section"><h2>Devices and measurement conditions</h2>
<table class="grid" id="devices"><thead><tr><th>agent</th><th>profile</th><th>hardware</th><th>targets</th><th>measurements</th><th>runtime</th><th>execution provider</th><th>threads</th><th>warm-up / timed runs</th><th>temperature before → after</th><th>governor, frequency</th><th>throttled</th><th>energy</th></tr></thead>
<tbody>${rows.join('\n') || '<tr><td colspan="13">no agent recorded</td></tr>'}</tbody></table></section>`;
}

function overviewTable(d: ReportData): string {
  const rows = d.targets.map(
    (t) => `<tr data-target="${escapeHtml(t.target)}"><td><a href="#target-${targetSlug(t.target)}"><code>${escapeHtml(t.target)}</code></a></td><td>${t.budget ? escapeHtml(t.budget.text) : 'none'}</td><td class="num" data-field="measured">${t.measured}</td><td>${escapeHtml(t.costModel.name)}</td><td class="num" data-field="mape">${pct(t.costModel.mapePercent ?? t.errors.mapePercent)}</td><td class="num">${(t.costModel.within10 ?? t.errors.within10) === null ? '-' : `${((t.costModel.within10 ?? t.errors.within10)! * 100).toFixed(0)}%`}</td><td><code class="arch">${t.best ? escapeHtml(t.best.arch) : 'none met the budget'}</code></td><td class="num" data-field="score">${t.best ? escapeHtml(formatNumber(t.best.proxyScore, 6)) : '-'}</td><td class="num" data-field="latency">${t.best ? `${t.best.measuredLatencyMs.toFixed(3)} ms` : '-'}</td><td class="num" data-field="verified">${t.best?.verifiedMedian === null || t.best?.verifiedMedian === undefined ? '-' : t.metric === 'energyJ' ? `${(t.best.verifiedMedian * 1e3).toFixed(3)} mJ` : `${t.best.verifiedMedian.toFixed(3)} ms`}</td></tr>`,
  );
  return `<table class="grid" id="overview"><thead><tr><th>target</th><th>budget</th><th>measured</th><th>cost model</th><th title="the last round's model on what that round measured, before refitting on it (as the terminal prints it)">MAPE (out of sample)</th><th>within ±10%</th><th>best architecture</th><th>score</th><th>latency</th><th>verified (median)</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export const REPORT_CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1240px;padding:16px 24px;color:#222;background:#fff}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:12px 0 6px}
code{font:12px ui-monospace,Menlo,Consolas,monospace}.meta,.dim{color:#666}.dim{font-size:12px}.warn{color:#b9770e}
.charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{font-size:12px;color:#555;max-width:560px}
svg.chart text{font:11px system-ui,sans-serif;fill:#333}svg.chart .axis-label{font-size:12px}svg.chart .legend{font-size:11px}svg.chart .empty{fill:#999}
svg.cell text{font:11px system-ui,sans-serif}svg.cell .node-label{font-weight:600}
table.grid{border-collapse:collapse;width:100%;font-size:12.5px}table.grid th,table.grid td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
table.grid th{background:#f4f4f4}td.num{text-align:right}table.kv{border-collapse:collapse;font-size:12.5px;margin:6px 0}table.kv th{text-align:left;font-weight:normal;color:#555;padding:2px 12px 2px 0}table.kv td{padding:2px 0}
.best-body{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}code.arch{word-break:break-all}
@media print{section{break-inside:avoid}}
`;

/** Embeds JSON in a script element: `<` is escaped so no string inside can close the element. */
const embedJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

export function renderReportHtml(d: ReportData): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>zeronas run ${escapeHtml(d.runId)}</title><style>${REPORT_CSS}</style></head>
<body>
<header><h1>zeronas run <code id="run-id">${escapeHtml(d.runId)}</code></h1>
<p class="meta">Space ${escapeHtml(d.space)}, proxy <b>${escapeHtml(d.proxy)}</b>: ${d.candidatesScored} candidates scored (${d.candidatesFailed} could not be scored), up to ${Number.isFinite(d.settings.measure) ? d.settings.measure : '?'} measured per target, seed ${Number.isFinite(d.settings.seed) ? d.settings.seed : '?'}. Report generated ${escapeHtml(d.generatedAt)}.</p></header>
${overviewTable(d)}
${d.targets.map(targetSection).join('\n')}
${truthSection(d)}
${progressSection(d)}
${devicesSection(d)}
<script type="application/json" id="report-data">${embedJson(d)}</script>
</body></html>
`;
}
