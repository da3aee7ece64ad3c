/**
 * NAS-Bench-201 (ALGORITHMS.md §B.1). Three representations, converted only here:
 *  - the benchmark string, exactly as NAS-Bench-201 writes it: `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`;
 *  - the cell: six op names in edge order 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2 (NASLib's edge order);
 *  - op indices (0..4 in NB201_OPS order), used for enumeration.
 * The network is xautodl's TinyNetwork, with node names equal to its state-dict module paths.
 */
import { ZeronasError } from '../../shared/errors.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';

export const NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;
export type Nb201Op = (typeof NB201_OPS)[number];

/** Edge k connects node EDGES[k][1] -> node EDGES[k][0]. */
export const NB201_EDGES: readonly (readonly [to: number, from: number])[] = [
  [1, 0],
  [2, 0],
  [2, 1],
  [3, 0],
  [3, 1],
  [3, 2],
];

export type Nb201Cell = readonly [Nb201Op, Nb201Op, Nb201Op, Nb201Op, Nb201Op, Nb201Op];

export const NB201_SPACE_SIZE = 15625;

const badArch = (message: string, text: string, token?: string): ZeronasError =>
  new ZeronasError('ZN_BAD_ARCH_STRING', message, { arch: text, ...(token !== undefined ? { token } : {}) });

/** Parses a NAS-Bench-201 arch string; every error names the offending token. */
export function parseNb201(text: string): Nb201Cell {
  if (typeof text !== 'string' || text.trim() === '') {
    throw badArch("nb201 arch string is empty; expected e.g. '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|...|'", String(text));
  }
  const s = text.trim();
  const groups = s.split('+');
  if (groups.length !== 3) {
    throw badArch(`nb201 arch string has ${groups.length} node group(s) separated by '+', expected 3: '${s}'`, s);
  }
  const ops: Nb201Op[] = [];
  groups.forEach((group, g) => {
    const node = g + 1;
    if (!group.startsWith('|') || !group.endsWith('|') || group.length < 2) {
      throw badArch(`nb201 node ${node} group '${group}' must start and end with '|'`, s, group);
    }
    const tokens = group.slice(1, -1).split('|');
    if (tokens.length !== node) {
      throw badArch(
        `nb201 node ${node} group '${group}' has ${tokens.length} edge(s), expected ${node} (one from each earlier node)`,
        s,
        group,
      );
    }
    tokens.forEach((token, position) => {
      const parts = token.split('~');
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
        throw badArch(`nb201 edge token '${token}' is malformed, expected '<op>~<input index>'`, s, token);
      }
      const [op, indexText] = parts as [string, string];
      if (!(NB201_OPS as readonly string[]).includes(op)) {
        throw badArch(`unknown nb201 op '${op}' in token '${token}'; known ops: ${NB201_OPS.join(', ')}`, s, op);
      }
      if (!/^\d+$/.test(indexText)) {
        throw badArch(`nb201 input index '${indexText}' in token '${token}' is not a non-negative integer`, s, token);
      }
      const index = Number(indexText);
      if (index >= node) {
        throw badArch(
          `nb201 input index ${index} in token '${token}' is out of range for node ${node} (allowed 0..${node - 1})`,
          s,
          token,
        );
      }
      if (index !== position) {
        throw badArch(
          `nb201 token '${token}' of node ${node} is at position ${position} but reads node ${index}; the benchmark lists inputs in order 0..${node - 1}`,
          s,
          token,
        );
      }
      ops.push(op as Nb201Op);
    });
  });
  return ops as unknown as Nb201Cell;
}

export function formatNb201(cell: Nb201Cell): string {
  const e = cell;
  return `|${e[0]}~0|+|${e[1]}~0|${e[2]}~1|+|${e[3]}~0|${e[4]}~1|${e[5]}~2|`;
}

export function cellFromIndices(indices: readonly number[]): Nb201Cell {
  if (indices.length !== 6 || indices.some((i) => !Number.isInteger(i) || i < 0 || i >= NB201_OPS.length)) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `nb201 op indices must be 6 integers in 0..4, got [${indices.join(',')}]`);
  }
  return indices.map((i) => NB201_OPS[i]!) as unknown as Nb201Cell;
}

/** All 15,625 cells, in lexicographic order of their op indices (NB201_OPS order, edge 1<-0 most significant). */
export function* enumerateNb201(): Generator<Nb201Cell> {
  for (let code = 0; code < NB201_SPACE_SIZE; code++) yield cellFromCode(code);
}

export function cellFromCode(code: number): Nb201Cell {
  const idx: number[] = [];
  let c = code;
  for (let k = 5; k >= 0; k--) {
    idx[k] = c % 5;
    c = Math.floor(c / 5);
  }
  return cellFromIndices(idx);
}

export function cellToCode(cell: Nb201Cell): number {
  return cell.reduce((acc, op) => acc * 5 + NB201_OPS.indexOf(op), 0);
}

/**
 * Canonical form of the function a cell computes, as an expression string. Two cells with the same canonical form
 * are isomorphic (the same network up to weight names): `none` edges are dropped, `skip_connect` is the identity,
 * sums are flattened and sorted (addition is commutative), and an op applied to a zero tensor is zero.
 * Returns 'zero' when the cell's output does not depend on its input.
 */
export function canonicalNb201(cell: Nb201Cell): string {
  const nodes: string[][] = [['x']]; // each node: sorted multiset of terms; [] means zero
  for (let to = 1; to <= 3; to++) {
    const terms: string[] = [];
    NB201_EDGES.forEach(([t, from], k) => {
      if (t !== to) return;
      const input = nodes[from]!;
      if (input.length === 0) return;
      const op = cell[k]!;
      if (op === 'none') return;
      if (op === 'skip_connect') terms.push(...input);
      else terms.push(`${op}(${input.length === 1 ? input[0] : `(${input.join('+')})`})`);
    });
    nodes.push(terms.sort());
  }
  const out = nodes[3]!;
  return out.length === 0 ? 'zero' : out.join('+');
}

/** True when no path of non-`none` edges joins the cell input to its output (the cell outputs zeros). */
export function isNb201Disconnected(cell: Nb201Cell): boolean {
  return canonicalNb201(cell) === 'zero';
}

/**
 * Edges that lie on some input-to-output path made of non-`none` edges: the ops that affect the output.
 * Ops on other edges are still built (as the reference does) but only ever see or produce zeros downstream.
 */
export function liveEdgesNb201(cell: Nb201Cell): boolean[] {
  const reach = [true, false, false, false];
  NB201_EDGES.forEach(([to, from], k) => {
    if (reach[from] && cell[k] !== 'none') reach[to] = true;
  });
  const coreach = [false, false, false, true];
  for (let k = NB201_EDGES.length - 1; k >= 0; k--) {
    const [to, from] = NB201_EDGES[k]!;
    if (coreach[to] && cell[k] !== 'none') coreach[from] = true;
  }
  return NB201_EDGES.map(([to, from], k) => cell[k] !== 'none' && reach[from]! && coreach[to]!);
}

export interface Nb201NetworkConfig {
  /** Channels of the first stage (C). */
  channels: number;
  /** Cells per stage (N). */
  cellsPerStage: number;
  numClasses: number;
  inputSize: number;
}

export const NB201_DATASETS = {
  cifar10: { numClasses: 10, inputSize: 32 },
  cifar100: { numClasses: 100, inputSize: 32 },
  imagenet16: { numClasses: 120, inputSize: 16 },
} as const;
export type Nb201Dataset = keyof typeof NB201_DATASETS;

export const NB201_DEFAULT_CONFIG: Nb201NetworkConfig = { channels: 16, cellsPerStage: 5, numClasses: 10, inputSize: 32 };

/**
 * xautodl's TinyNetwork: stem Conv3x3+BN, three stages of N cells joined by ResNet basic blocks (stride 2),
 * then BN+ReLU, global average pooling and a linear classifier. Node names are the module paths of the reference
 * model, so parameter names equal its state-dict keys (`cells.0.layers.3.op.1.weight`).
 */
export function buildNb201Network(cellOrArch: Nb201Cell | string, config: Partial<Nb201NetworkConfig> = {}): Graph {
  const cell = typeof cellOrArch === 'string' ? parseNb201(cellOrArch) : cellOrArch;
  const cfg = { ...NB201_DEFAULT_CONFIG, ...config };
  for (const [key, value] of Object.entries(cfg)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new ZeronasError('ZN_BAD_ARGUMENT', `nb201 network option ${key} must be a positive integer, got ${value}`);
    }
  }
  const arch = formatNb201(cell);
  const b = new GraphBuilder(arch);
  let x = b.input([3, cfg.inputSize, cfg.inputSize]);
  x = b.conv2d('stem.0', x, { outChannels: cfg.channels, kernel: 3, padding: 1, bias: false });
  x = b.batchNorm('stem.1', x);

  const features = [x];
  let c = cfg.channels;
  let index = 0;
  for (let stage = 0; stage < 3; stage++) {
    if (stage > 0) {
      x = resnetBasicBlock(b, `cells.${index++}`, x, c, c * 2);
      features.push(x);
      c *= 2;
    }
    for (let i = 0; i < cfg.cellsPerStage; i++) {
      x = inferCell(b, `cells.${index++}`, x, cell, c);
      features.push(x);
    }
  }
  x = b.batchNorm('lastact.0', x);
  x = b.relu('lastact.1', x);
  x = b.globalAvgPool('global_pooling', x);
  x = b.flatten('flatten', x);
  x = b.linear('classifier', x, { outFeatures: cfg.numClasses });
  // Containers PyTorch never calls (ModuleLists), for proxies that hook every module call (MeCo); the stem's and
  // every cell's output, the feature chain AZ-NAS reads (TinyNetwork.extract_cell_features).
  return b.build(x, { space: 'nb201', arch, ...cfg, moduleLists: 'cells|cells.*.layers', features: features.join('|') });
}

/** ReLU -> Conv(no bias) -> BN, xautodl's ReLUConvBN with affine BN (module names op.0, op.1, op.2). */
function reluConvBn(b: GraphBuilder, name: string, x: string, cOut: number, kernel: number, stride: number): string {
  const r = b.relu(`${name}.op.0`, x);
  const c = b.conv2d(`${name}.op.1`, r, { outChannels: cOut, kernel, stride, padding: (kernel - 1) / 2, bias: false });
  return b.batchNorm(`${name}.op.2`, c);
}

function cellOp(b: GraphBuilder, name: string, x: string, op: Nb201Op, c: number): string {
  switch (op) {
    case 'none':
      return b.zero(name, x, 1);
    case 'skip_connect':
      return b.identity(name, x);
    case 'nor_conv_1x1':
      return reluConvBn(b, name, x, c, 1, 1);
    case 'nor_conv_3x3':
      return reluConvBn(b, name, x, c, 3, 1);
    case 'avg_pool_3x3':
      return b.avgPool(`${name}.op`, x, { kernel: 3, stride: 1, padding: 1, countIncludePad: false });
  }
}

function inferCell(b: GraphBuilder, name: string, x: string, cell: Nb201Cell, c: number): string {
  const nodes = [x];
  for (let to = 1; to <= 3; to++) {
    const terms: string[] = [];
    NB201_EDGES.forEach(([t, from], k) => {
      if (t === to) terms.push(cellOp(b, `${name}.layers.${k}`, nodes[from]!, cell[k]!, c));
    });
    nodes.push(terms.length === 1 ? terms[0]! : b.add(`${name}.node${to}`, terms));
  }
  return nodes[3]!;
}

function resnetBasicBlock(b: GraphBuilder, name: string, x: string, cIn: number, cOut: number): string {
  const a = reluConvBn(b, `${name}.conv_a`, x, cOut, 3, 2);
  const bb = reluConvBn(b, `${name}.conv_b`, a, cOut, 3, 1);
  const p = b.avgPool(`${name}.downsample.0`, x, { kernel: 2, stride: 2, padding: 0, countIncludePad: true });
  const s = b.conv2d(`${name}.downsample.1`, p, { outChannels: cOut, kernel: 1, bias: false });
  return b.add(`${name}.add`, [s, bb]);
}
