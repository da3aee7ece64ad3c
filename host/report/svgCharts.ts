/**
 * Small SVG charts as strings: scatter, line and step series on linear or log axes, reference lines, shaded
 * areas, a legend and a `<title>` tooltip per point. No DOM and no Node API, so the same code renders the static
 * report (inlined at generation time: the file needs no script and no network) and the live dashboard (bundled
 * into its page). Every point carries data-x/data-y so tests can read the plotted numbers back.
 */
import { escapeHtml, formatNumber } from './html.js';

export type AxisScale = 'linear' | 'log';
export type PointShape = 'circle' | 'ring' | 'square' | 'diamond';

export interface ChartPoint {
  x: number;
  y: number;
  /** Tooltip text. */
  label?: string;
  /** Drawn larger, with a dark outline (e.g. the chosen architecture). */
  isHighlighted?: boolean;
}

export interface ChartSeries {
  name: string;
  colour: string;
  kind: 'points' | 'line' | 'step';
  points: ChartPoint[];
  shape?: PointShape;
  radius?: number;
  isDashed?: boolean;
  /** Class on every mark of the series (tests select by it). */
  className?: string;
}

export interface ReferenceLine {
  axis: 'x' | 'y';
  value: number;
  label: string;
  colour?: string;
}

export interface ShadedArea {
  /** Polygon in data coordinates; clipped to the plot. */
  points: [number, number][];
  colour: string;
  label?: string;
  className?: string;
}

export interface ChartSpec {
  id?: string;
  title?: string;
  xLabel: string;
  yLabel: string;
  xScale?: AxisScale;
  yScale?: AxisScale;
  width?: number;
  height?: number;
  series: ChartSeries[];
  referenceLines?: ReferenceLine[];
  areas?: ShadedArea[];
  /** Extra data range to include (e.g. so a budget line is visible). */
  include?: { x?: number[]; y?: number[] };
  /** Shown in the middle of the plot when no series has a point. */
  emptyText?: string;
}

const MARGIN = { top: 34, right: 18, bottom: 44, left: 64 };

/** 1, 2 or 5 times a power of ten: about `count` ticks covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Ticks of a log axis: the 1-2-5 sequence across the decades of [min, max] (positive), thinned to about 8. */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) ticks.push(v);
    }
  }
  if (ticks.length > 8) return ticks.filter((v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9);
  return ticks.length >= 2 ? ticks : [min, max];
}

interface Axis {
  scale: AxisScale;
  min: number;
  max: number;
  toPx: (v: number) => number;
  ticks: number[];
}

function makeAxis(values: number[], scale: AxisScale, pxFrom: number, pxTo: number): Axis {
  const usable = values.filter((v) => Number.isFinite(v) && (scale === 'linear' || v > 0));
  let min = usable.length ? Math.min(...usable) : 0;
  let max = usable.length ? Math.max(...usable) : 1;
  if (scale === 'log') {
    if (!usable.length) [min, max] = [1, 10];
    if (min === max) [min, max] = [min / 2, max * 2];
    const pad = (Math.log10(max) - Math.log10(min)) * 0.06;
    min = 10 ** (Math.log10(min) - pad);
    max = 10 ** (Math.log10(max) + pad);
    const t = (v: number): number => (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min));
    return { scale, min, max, toPx: (v) => pxFrom + t(v) * (pxTo - pxFrom), ticks: logTicks(min, max) };
  }
  if (min === max) [min, max] = [min - (Math.abs(min) || 1) * 0.5, max + (Math.abs(max) || 1) * 0.5];
  const pad = (max - min) * 0.06;
  min -= pad;
  max += pad;
  return { scale, min, max, toPx: (v) => pxFrom + ((v - min) / (max - min)) * (pxTo - pxFrom), ticks: niceTicks(min, max, 5).filter((v) => v >= min && v <= max) };
}

const r1 = (v: number): string => (Math.round(v * 10) / 10).toString();

function mark(shape: PointShape, x: number, y: number, r: number, colour: string, attrs: string): string {
  switch (shape) {
    case 'ring':
      return `<circle cx="${r1(x)}" cy="${r1(y)}" r="${r}" fill="white" stroke="${colour}" stroke-width="1.6" ${attrs}>`;
    case 'square':
      return `<rect x="${r1(x - r)}" y="${r1(y - r)}" width="${2 * r}" height="${2 * r}" fill="${colour}" ${attrs}>`;
    case 'diamond':
      return `<path d="M${r1(x)} ${r1(y - r * 1.3)}L${r1(x + r * 1.3)} ${r1(y)}L${r1(x)} ${r1(y + r * 1.3)}L${r1(x - r * 1.3)} ${r1(y)}Z" fill="${colour}" ${attrs}>`;
    default:
      return `<circle cx="${r1(x)}" cy="${r1(y)}" r="${r}" fill="${colour}" fill-opacity="0.8" ${attrs}>`;
  }
}

const closeTag = (shape: PointShape): string => (shape === 'square' ? '</rect>' : shape === 'diamond' ? '</path>' : '</circle>');

/** Renders one chart as a standalone `<svg>` element. */
export function renderChart(spec: ChartSpec): string {
  const width = spec.width ?? 560;
  const height = spec.height ?? 340;
  const xScale = spec.xScale ?? 'linear';
  const yScale = spec.yScale ?? 'linear';
  const xs = [...spec.series.flatMap((s) => s.points.map((p) => p.x)), ...(spec.include?.x ?? []), ...(spec.referenceLines ?? []).filter((l) => l.axis === 'x').map((l) => l.value)];
  const ys = [...spec.series.flatMap((s) => s.points.map((p) => p.y)), ...(spec.include?.y ?? []), ...(spec.referenceLines ?? []).filter((l) => l.axis === 'y').map((l) => l.value)];
  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const top = MARGIN.top;
  const bottom = height - MARGIN.bottom;
  const ax = makeAxis(xs, xScale, left, right);
  const ay = makeAxis(ys, yScale, bottom, top);
  const inX = (v: number): boolean => Number.isFinite(v) && (xScale === 'linear' || v > 0);
  const inY = (v: number): boolean => Number.isFinite(v) && (yScale === 'linear' || v > 0);
  const clipId = `clip-${spec.id ?? Math.random().toString(36).slice(2, 10)}`;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img"${spec.id ? ` id="${escapeHtml(spec.id)}"` : ''} aria-label="${escapeHtml(spec.title ?? `${spec.yLabel} vs ${spec.xLabel}`)}">`,
  );
  out.push(`<defs><clipPath id="${clipId}"><rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}"/></clipPath></defs>`);
  out.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="#fafafa" stroke="#ccc"/>`);
  // Grid and tick labels.
  for (const t of ax.ticks) {
    const x = r1(ax.toPx(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${bottom}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${x}" y="${bottom + 15}" text-anchor="middle" class="tick">${escapeHtml(formatNumber(t))}</text>`);
  }
  for (const t of ay.ticks) {
    const y = r1(ay.toPx(t));
    out.push(`<line x1="${left}" x2="${right}" y1="${y}" y2="${y}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${left - 6}" y="${y}" dy="0.32em" text-anchor="end" class="tick">${escapeHtml(formatNumber(t))}</text>`);
  }
  out.push(`<text x="${(left + right) / 2}" y="${height - 8}" text-anchor="middle" class="axis-label">${escapeHtml(spec.xLabel)}${xScale === 'log' ? ' (log)' : ''}</text>`);
  out.push(
    `<text transform="translate(14 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeHtml(spec.yLabel)}${yScale === 'log' ? ' (log)' : ''}</text>`,
  );
  out.push(`<g clip-path="url(#${clipId})">`);
  for (const a of spec.areas ?? []) {
    const pts = a.points.filter(([x, y]) => inX(x) && inY(y)).map(([x, y]) => `${r1(ax.toPx(x))},${r1(ay.toPx(y))}`);
    if (pts.length >= 3) out.push(`<polygon points="${pts.join(' ')}" fill="${a.colour}" fill-opacity="0.18" stroke="none"${a.className ? ` class="${a.className}"` : ''}/>`);
  }
  for (const l of spec.referenceLines ?? []) {
    const colour = l.colour ?? '#c0392b';
    if (l.axis === 'x' && inX(l.value)) {
      const x = r1(ax.toPx(l.value));
      out.push(`<line class="ref-line" data-value="${l.value}" x1="${x}" x2="${x}" y1="${top}" y2="${bottom}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
      const isNearRight = Number(x) > right - 110;
      out.push(`<text x="${x}" y="${top + 12}" dx="${isNearRight ? -4 : 4}" text-anchor="${isNearRight ? 'end' : 'start'}" class="ref-label" fill="${colour}">${escapeHtml(l.label)}</text>`);
    } else if (l.axis === 'y' && inY(l.value)) {
      const y = r1(ay.toPx(l.value));
      out.push(`<line class="ref-line" data-value="${l.value}" x1="${left}" x2="${right}" y1="${y}" y2="${y}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
      out.push(`<text x="${right - 4}" y="${Number(y) - 4}" text-anchor="end" class="ref-label" fill="${colour}">${escapeHtml(l.label)}</text>`);
    }
  }
  for (const s of spec.series) {
    const pts = s.points.filter((p) => inX(p.x) && inY(p.y));
    const cls = s.className ? ` ${escapeHtml(s.className)}` : '';
    if (s.kind !== 'points' && pts.length) {
      const sorted = [...pts].sort((a, b) => a.x - b.x);
      let d = '';
      sorted.forEach((p, i) => {
        const x = r1(ax.toPx(p.x));
        const y = r1(ay.toPx(p.y));
        if (i === 0) d += `M${x} ${y}`;
        else d += s.kind === 'step' ? `H${x}V${y}` : `L${x} ${y}`;
      });
      out.push(`<path class="series-line${cls}" d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.isDashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    }
    if (s.kind === 'points' || s.radius !== undefined) {
      const shape = s.shape ?? 'circle';
      for (const p of [...pts].sort((a, b) => Number(a.isHighlighted ?? false) - Number(b.isHighlighted ?? false))) {
        const r = (s.radius ?? 4) * (p.isHighlighted ? 1.8 : 1);
        const attrs = `class="point${cls}${p.isHighlighted ? ' highlight' : ''}" data-x="${p.x}" data-y="${p.y}"${p.isHighlighted ? ' stroke="#111" stroke-width="2"' : ''}`;
        out.push(`${mark(shape, ax.toPx(p.x), ay.toPx(p.y), r, s.colour, attrs)}<title>${escapeHtml(p.label ?? `${formatNumber(p.x)}, ${formatNumber(p.y)}`)}</title>${closeTag(shape)}`);
      }
    }
  }
  out.push('</g>');
  if (spec.series.every((s) => s.points.length === 0) && spec.emptyText) {
    out.push(`<text x="${(left + right) / 2}" y="${(top + bottom) / 2}" text-anchor="middle" class="empty">${escapeHtml(spec.emptyText)}</text>`);
  }
  // Legend along the top.
  let lx = left;
  const legend = [
    ...spec.series.map((s) => ({ name: s.name, colour: s.colour, isArea: false, shape: s.kind === 'points' ? (s.shape ?? 'circle') : null })),
    ...(spec.areas ?? []).filter((a) => a.label).map((a) => ({ name: a.label!, colour: a.colour, isArea: true, shape: null })),
  ];
  for (const item of legend) {
    if (item.isArea) out.push(`<rect x="${lx}" y="10" width="14" height="10" fill="${item.colour}" fill-opacity="0.3"/>`);
    else if (item.shape) out.push(mark(item.shape, lx + 6, 15, 4, item.colour, '') + closeTag(item.shape));
    else out.push(`<line x1="${lx}" x2="${lx + 14}" y1="15" y2="15" stroke="${item.colour}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 18}" y="15" dy="0.32em" class="legend">${escapeHtml(item.name)}</text>`);
    lx += 30 + item.name.length * 6.2;
  }
  out.push('</svg>');
  return out.join('');
}
