/**
 * The live dashboard page (browser code, bundled by host/orchestrator/dashboard.ts). Listens to the host's
 * Server-Sent Events and redraws from each `state` snapshot: tables through the DOM (text only), charts through
 * svgCharts.ts (escaped SVG strings). `document.body.dataset.updates` counts the snapshots drawn.
 */
import type { DashboardState } from '../orchestrator/dashboardState.js';
import { formatNumber } from './html.js';
import { renderChart } from './svgCharts.js';

const PALETTE = ['#2e86de', '#e67e22', '#16a085', '#8e44ad', '#c0392b', '#7f8c8d'];

const el = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

function setText(id: string, text: string): void {
  const e = el(id);
  if (e.textContent !== text) e.textContent = text;
}

function row(cells: (string | { text: string; className?: string; title?: string })[], attrs: Record<string, string> = {}): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
  for (const c of cells) {
    const td = document.createElement('td');
    const cell = typeof c === 'string' ? { text: c } : c;
    td.textContent = cell.text;
    if (cell.className) td.className = cell.className;
    if (cell.title) td.title = cell.title;
    tr.append(td);
  }
  return tr;
}

function fillBody(tableId: string, rows: HTMLTableRowElement[], empty: string, columns: number): void {
  const body = el<HTMLTableElement>(tableId).tBodies[0]!;
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = columns;
    td.className = 'dim';
    td.textContent = empty;
    tr.append(td);
    rows = [tr];
  }
  body.replaceChildren(...rows);
}

const ago = (ms: number): string => (ms < 1500 ? 'now' : `${Math.round(ms / 1000)} s ago`);
const shortArch = (arch: string | null): string => (arch ? (arch.length > 64 ? `${arch.slice(0, 61)}...` : arch) : '-');

function draw(s: DashboardState): void {
  setText('run-id', s.runId);
  const elapsedS = (s.nowMs - s.startedAtMs) / 1000;
  setText('elapsed', `${elapsedS.toFixed(0)} s since the host started`);
  if (s.phase) {
    setText('phase-name', s.isFinished ? 'run finished' : s.phase.name);
    const bar = el<HTMLProgressElement>('phase-bar');
    bar.max = Math.max(1, s.phase.total);
    bar.value = s.phase.done;
    setText('phase-count', `${s.phase.done}/${s.phase.total}`);
  } else if (s.isFinished) setText('phase-name', 'run finished');

  setText('agent-count', String(s.agents.length));
  const totals = Object.values(s.queue.counts).reduce((a, c) => ({ queued: a.queued + c.queued, leased: a.leased + c.leased, done: a.done + c.done }), { queued: 0, leased: 0, done: 0 });
  setText('jobs-active', `${totals.queued} / ${totals.leased}`);
  setText('measured-total', String(totals.done));
  setText('per-minute', String(s.throughput.lastMinute));
  setText('scored', `${s.search.scored}/${s.search.candidates}`);
  const q = s.scoringQueue;
  el('scoring-queue-card').hidden = q === null;
  if (q) setText('scoring-queue', `${q.waiting} · ${q.active} · ${q.workers} · ${q.perSecond.toFixed(2)}`);

  fillBody(
    'agents',
    s.agents.map((a) =>
      row(
        [
          { text: a.id, title: a.targets.length ? `serves ${a.targets.join(', ')}` : 'serves no target of this run' },
          `${a.profile ?? 'no profile'} (${a.environment}); ${a.cpu}, ${a.cores} cores`,
          `${a.runtime ?? '-'}${a.executionProvider ? ` / ${a.executionProvider}` : ''}`,
          a.tempC === null ? 'not available' : `${a.tempC.toFixed(1)} °C`,
          { text: a.state, className: `state-${a.state}` },
          a.jobId ? `${a.jobId}: ${shortArch(a.arch)}` : '-',
          { text: String(a.completed), className: 'num' },
          ago(a.lastSeenAgoMs),
        ],
        { 'data-agent': a.id, 'data-state': a.state },
      ),
    ),
    'no agent connected',
    8,
  );

  fillBody(
    'targets',
    s.search.perTarget.map((t) => {
      const c = s.queue.counts[t.target] ?? { queued: 0, leased: 0, done: 0, failed: 0 };
      return row(
        [
          t.target,
          t.budget ?? 'none',
          { text: `${t.measured}/${t.planned}`, className: 'num' },
          { text: String(c.queued), className: 'num' },
          { text: String(c.leased), className: 'num' },
          { text: String(c.failed), className: 'num' },
          t.best ? `${formatNumber(t.best.score)} at ${t.best.latencyMs.toFixed(3)} ms: ${shortArch(t.best.arch)}` : '-',
        ],
        { 'data-target': t.target, 'data-measured': String(t.measured) },
      );
    }),
    'no target',
    7,
  );

  fillBody(
    'jobs',
    s.queue.jobs.map((j) =>
      row([{ text: String(j.id), className: 'num' }, j.target, j.state, j.agent ?? '-', { text: String(j.attempts), className: 'num' }, { text: shortArch(j.arch), title: j.arch }, j.lastError ?? ''], {
        'data-job': String(j.id),
        'data-state': j.state,
        class: `job-${j.state}`,
      }),
    ),
    'no job yet',
    7,
  );

  el('progress-chart').innerHTML = renderChart({
    id: 'live-progress',
    title: 'Measurements over time',
    xLabel: 'time since the host started [s]',
    yLabel: 'measured',
    width: 520,
    height: 280,
    include: { x: [0, Math.max(1, elapsedS)], y: [0, 1] }, // sensible axes before the first measurement
    series: s.targets.map((t, i) => ({
      name: t,
      colour: PALETTE[i % PALETTE.length]!,
      kind: 'step' as const,
      radius: 2.5,
      className: `measured-${t}`,
      points: [...(s.search.measuredSeries[t] ?? []), ...(s.isFinished ? [] : [[elapsedS, (s.search.measuredSeries[t] ?? []).at(-1)?.[1] ?? 0] as [number, number]])].map(([x, y]) => ({ x, y })),
    })),
  });
  el('throughput-chart').innerHTML = renderChart({
    id: 'live-throughput',
    title: 'Measurements per minute',
    xLabel: 'minute of the run',
    yLabel: 'measurements',
    width: 520,
    height: 280,
    include: { x: [0, 1], y: [0, 1] },
    series: [{ name: 'per minute', colour: '#16a085', kind: 'line', radius: 3, className: 'per-minute', points: s.throughput.perMinute.map((p) => ({ x: p.minute, y: p.n })) }],
  });

  const log = el('log');
  const text = s.log.join('\n');
  if (log.textContent !== text) {
    log.textContent = text;
    log.scrollTop = log.scrollHeight;
  }
  const conn = el('conn');
  conn.dataset.state = s.isFinished ? 'finished' : 'live';
  conn.textContent = s.isFinished ? 'run finished' : 'live';
  document.body.dataset.updates = String(Number(document.body.dataset.updates ?? 0) + 1);
}

let isFinished = false;
const events = new EventSource('/dashboard/events');
events.addEventListener('state', (e) => {
  const s = JSON.parse((e as MessageEvent<string>).data) as DashboardState;
  isFinished = s.isFinished;
  draw(s);
  if (isFinished) events.close();
});
events.addEventListener('error', () => {
  if (isFinished) return;
  const conn = el('conn');
  conn.dataset.state = 'lost';
  conn.textContent = 'connection lost (retrying)';
});
