/**
 * A drawing of one NAS-Bench-201 cell: the four nodes of the DAG in a row, one arrow per edge labelled with its op. `none` edges are drawn faint and dashed (the edge
 * exists in the benchmark string but carries nothing). No DOM: returns an `<svg>` string.
 */
import { NB201_EDGES, parseNb201, type Nb201Op } from '../spaces/nb201.js';
import { escapeHtml } from './html.js';

export const OP_COLOURS: Record<Nb201Op, string> = {
  none: '#bbbbbb',
  skip_connect: '#2e86de',
  nor_conv_1x1: '#e67e22',
  nor_conv_3x3: '#c0392b',
  avg_pool_3x3: '#16a085',
};

const OP_SHORT: Record<Nb201Op, string> = {
  none: 'none',
  skip_connect: 'skip',
  nor_conv_1x1: 'conv1x1',
  nor_conv_3x3: 'conv3x3',
  avg_pool_3x3: 'pool3x3',
};

let drawings = 0;

export function cellSvg(arch: string, options: { width?: number } = {}): string {
  const cell = parseNb201(arch);
  const width = options.width ?? 440;
  const height = 230;
  const baseY = 120;
  const r = 14;
  const nodeX = (i: number): number => 36 + (i * (width - 72)) / 3;
  const id = `cell${++drawings}`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="cell" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(`NAS-Bench-201 cell ${arch}`)}">`,
    `<defs>${Object.entries(OP_COLOURS)
      .map(([op, c]) => `<marker id="${id}-${op}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${c}"/></marker>`)
      .join('')}</defs>`,
  ];
  // Edges between neighbours run straight along the row; edges over one node arc above it; the edge from the
  // input to the output arcs below. Labels sit at each edge's midpoint or apex, so none overlap.
  NB201_EDGES.forEach(([to, from], k) => {
    const op = cell[k]!;
    const x1 = nodeX(from) + r;
    const x2 = nodeX(to) - r;
    const span = to - from;
    const colour = OP_COLOURS[op];
    const isNone = op === 'none';
    let d: string;
    let lx = (x1 + x2) / 2;
    let ly: number;
    if (span === 1) {
      d = `M${x1} ${baseY}L${x2} ${baseY}`;
      ly = baseY - 6;
    } else {
      const dir = span === 2 ? -1 : 1;
      const lift = span === 2 ? 92 : 120;
      const cy = baseY + dir * lift;
      d = `M${x1 - 4} ${baseY + dir * 8}Q${lx} ${cy} ${x2 + 4} ${baseY + dir * 8}`;
      // A quadratic Bezier's midpoint lies halfway between the chord and the control point.
      ly = (baseY + dir * 8 + cy) / 2 + (dir < 0 ? -6 : 14);
      lx = (x1 + x2) / 2;
    }
    out.push(
      `<path class="edge" data-from="${from}" data-to="${to}" data-op="${op}" d="${d}" fill="none" stroke="${colour}" stroke-width="${isNone ? 1.2 : 2.4}"${isNone ? ' stroke-dasharray="4 4"' : ` marker-end="url(#${id}-${op})"`}><title>${escapeHtml(`${op}: node ${from} -> node ${to}`)}</title></path>`,
    );
    out.push(`<text class="edge-label" x="${lx.toFixed(1)}" y="${ly.toFixed(1)}" text-anchor="middle" fill="${isNone ? '#999' : colour}">${OP_SHORT[op]}</text>`);
  });
  for (let i = 0; i < 4; i++) {
    const x = nodeX(i);
    out.push(`<circle class="node" cx="${x}" cy="${baseY}" r="${r}" fill="#fff" stroke="#333" stroke-width="1.5"/>`);
    out.push(`<text x="${x}" y="${baseY}" dy="0.35em" text-anchor="middle" class="node-label">${i}</text>`);
  }
  out.push(`<text x="${nodeX(0)}" y="${baseY + 30}" text-anchor="middle" class="tick">in</text>`);
  out.push(`<text x="${nodeX(3)}" y="${baseY + 30}" text-anchor="middle" class="tick">out</text>`);
  out.push('</svg>');
  return out.join('');
}
