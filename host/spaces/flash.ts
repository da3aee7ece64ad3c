/**
 * FLASH's search space: NN-Mass's DenseNet-type CNN with per-cell skip budgets (ALGORITHMS.md §B.6, NN-Degree §D.1).
 * Regular variant only (3x3 convs); the depthwise variant is not built.
 *
 * Genotype (our reconstruction, [INFERRED] in the spec): per cell c of N_c = 3 cells, a depth d_c, a width w_c and a
 * skip budget t_c. The NN-Mass code shares one d across cells and derives w_c = 16·wm·2^c; we make all nine knobs
 * free. Layer j >= 2 of cell c reads t_{c,j} = min(t_c, (j-1)·w_c) extra channels.
 *
 * Default knob lattice (FLASH_DEFAULT_RANGES; the paper's exact ranges are NOT FOUND):
 *   d_c ∈ {2, 3, …, 17} (16 values), w_c ∈ {8, 16, …, 128} (16), t_c ∈ {0, 8, …, 120} (16)
 *   -> 16^9 = 68,719,476,736 ≈ 6.9e10 configurations: "more than 63 billion" holds, but this is not a reconstruction
 *   of FLASH's ≈6.3e10 count, and some configurations build the same network (t_c capped by (j-1)·w_c).
 *
 * Skip-channel choice (deterministic; the reference draws `random.sample` with Python's RNG seeded 2, which we do not
 * port): the pool of layer j is the newest-first concatenation [out_{j-1}, …, out_1] (its first (j-1)·w_c channels,
 * i.e. out_0 excluded as in the reference), and layer j takes the LAST t_{c,j} channels of that pool: the oldest
 * channels, as a contiguous run. This overlaps the regular input out_{j-1} only when t_{c,j} > (j-2)·w_c forces
 * it, and it needs no channel-slice op in the IR: the one layer per cell whose output is cut (at w_c − (t_c mod w_c))
 * is built as two convs (and two BNs for layer 1) over the same input, concatenated, which is the same function
 * with the same parameter count as one conv. Parameter totals are independent of the choice.
 */
import { ZeronasError } from '../../shared/errors.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import { randomInt, type ArchMetrics, type Rng, type SearchSpace } from './searchSpace.js';

export const FLASH_CELLS = 3;

/** Per-cell knobs. Integer for a real network; the optimiser's continuous relaxation passes reals. */
export interface FlashArch {
  depth: readonly number[];
  width: readonly number[];
  skip: readonly number[];
}

export interface KnobRange {
  min: number;
  max: number;
  step: number;
}

export interface FlashKnobRanges {
  depth: KnobRange;
  width: KnobRange;
  skip: KnobRange;
}

export const FLASH_DEFAULT_RANGES: FlashKnobRanges = {
  depth: { min: 2, max: 17, step: 1 },
  width: { min: 8, max: 128, step: 8 },
  skip: { min: 0, max: 120, step: 8 },
};

export interface FlashNetworkOptions {
  numClasses?: number;
  /** Square input size; the reference assumes 32 (CIFAR). */
  inputSize?: number;
}

const KNOBS = ['depth', 'width', 'skip'] as const;
type KnobName = (typeof KNOBS)[number];

export const rangeCount = (r: KnobRange): number => Math.floor((r.max - r.min) / r.step) + 1;

/** Number of lattice configurations: Π over cells and knobs of the range sizes. */
export function flashSpaceSize(ranges: FlashKnobRanges = FLASH_DEFAULT_RANGES, cells = FLASH_CELLS): number {
  return (rangeCount(ranges.depth) * rangeCount(ranges.width) * rangeCount(ranges.skip)) ** cells;
}

/** Knob vector order used by the optimiser: [d_0..d_{N-1}, w_0..w_{N-1}, t_0..t_{N-1}]. */
export function flashToVector(a: FlashArch): number[] {
  return [...a.depth, ...a.width, ...a.skip];
}

export function flashFromVector(x: readonly number[], cells = FLASH_CELLS): FlashArch {
  return { depth: x.slice(0, cells), width: x.slice(cells, 2 * cells), skip: x.slice(2 * cells, 3 * cells) };
}

export function flashBounds(ranges: FlashKnobRanges = FLASH_DEFAULT_RANGES, cells = FLASH_CELLS): [number, number][] {
  return KNOBS.flatMap((k) => Array.from({ length: cells }, () => [ranges[k].min, ranges[k].max] as [number, number]));
}

export function flashSteps(ranges: FlashKnobRanges = FLASH_DEFAULT_RANGES, cells = FLASH_CELLS): number[] {
  return KNOBS.flatMap((k) => Array.from({ length: cells }, () => ranges[k].step));
}

/** t_{c,j} = min(t_c, (j-1)·w_c) for j = 2..d_c-1 (0-based layer index j). */
export function flashSkipCounts(a: FlashArch): number[][] {
  return a.depth.map((d, c) => {
    const out: number[] = [];
    for (let j = 2; j < d; j++) out.push(Math.min(a.skip[c]!, (j - 1) * a.width[c]!));
    return out;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Closed forms (exact at integer knobs, linear in depth between integers)

interface CellTerms {
  params: number;
  macs: number;
  skipSum: number;
}

function cellTermsInt(d: number, w: number, t: number, cin: number, h: number): CellTerms {
  let params = 9 * cin * w + 2 * w; // conv0 (no bias) + BN0
  let macs = 9 * cin * w;
  let skipSum = 0;
  if (d >= 2) {
    params += 9 * w * w + 2 * w;
    macs += 9 * w * w;
  }
  for (let j = 2; j < d; j++) {
    const tj = Math.min(t, (j - 1) * w);
    skipSum += tj;
    params += 2 * (w + tj) + 9 * (w + tj) * w; // BN_j over w+t_j channels, conv_j (w+t_j)->w
    macs += 9 * (w + tj) * w;
  }
  return { params, macs: macs * h * h, skipSum };
}

function cellTerms(d: number, w: number, t: number, cin: number, h: number): CellTerms {
  const lo = Math.floor(d);
  const f = d - lo;
  const a = cellTermsInt(lo, w, t, cin, h);
  if (f === 0) return a;
  const b = cellTermsInt(lo + 1, w, t, cin, h);
  return { params: a.params + f * (b.params - a.params), macs: a.macs + f * (b.macs - a.macs), skipSum: a.skipSum + f * (b.skipSum - a.skipSum) };
}

export interface FlashFeatures {
  /** Trainable parameters (conv weights, BN gamma+beta, Linear weight+bias); §B.6 golden values. */
  params: number;
  /** Conv + linear multiply-accumulates (no bias terms), per sample. */
  macs: number;
  /** FLASH NN-Degree g = Σ_c (w_c + Σ_j t_{c,j} / d_c) (capped, §D.1 generalisation). */
  nnDegree: number;
  /** Conv layers + the linear head. */
  layers: number;
}

/**
 * Analytic features of a FLASH network. Exact at integer knobs (tested against the IR); for real-valued knobs
 * (the optimiser's relaxation) each cell's terms are interpolated linearly in d_c between ⌊d_c⌋ and ⌊d_c⌋+1, while
 * w_c and t_c enter the formulas as reals.
 */
export function flashFeatures(a: FlashArch, options: FlashNetworkOptions = {}): FlashFeatures {
  const { numClasses = 10, inputSize = 32 } = options;
  let params = 0;
  let macs = 0;
  let nnDegree = 0;
  let h = inputSize;
  let cin = 3;
  for (let c = 0; c < a.depth.length; c++) {
    if (c > 0) h = Math.floor((h - 1) / 2) + 1; // 3x3 stride-2 pad-1 conv
    const d = a.depth[c]!;
    const w = a.width[c]!;
    const terms = cellTerms(d, w, a.skip[c]!, cin, h);
    params += terms.params;
    macs += terms.macs;
    nnDegree += w + terms.skipSum / d;
    cin = w;
  }
  const pooled = Math.floor(h / 2);
  const fin = cin * pooled * pooled;
  params += fin * numClasses + numClasses;
  macs += fin * numClasses;
  const layers = a.depth.reduce((s, d) => s + d, 0) + 1;
  return { params, macs, nnDegree, layers };
}

/** #params of the regular network (§B.6): 4,653,192 for d=13, t=[40,80,125], w=[32,64,128]. */
export const flashParams = (a: FlashArch, options?: FlashNetworkOptions): number => flashFeatures(a, options).params;

/**
 * FLASH NN-Degree (§D.1, [MEMORY-UNVERIFIED] reconstruction): g = Σ_c ḡ_c with
 *   uncapped ḡ_c = w_c + t_c·(d_c − 2)/d_c,   capped ḡ_c = w_c + (Σ_j min(t_c, (j−1)·w_c))/d_c.
 * Test vectors: d=13, t=[40,80,125], w=[32,64,128]: 431.308 uncapped, 429.462 capped; d=8, t=[10,20,40]: 276.5.
 */
export function flashNnDegree(a: FlashArch, options: { capped?: boolean } = {}): number {
  const { capped = true } = options;
  if (capped) return flashFeatures(a).nnDegree;
  return a.depth.reduce((g, d, c) => g + a.width[c]! + (a.skip[c]! * Math.max(0, d - 2)) / d, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Grammar

const FLASH_RE = /^\s*FLASH\(d=([\d,]+);w=([\d,]+);t=([\d,]+)\)\s*$/;

/** `FLASH(d=13,13,13;w=32,64,128;t=40,80,125)`. */
export function formatFlash(a: FlashArch): string {
  return `FLASH(d=${a.depth.join(',')};w=${a.width.join(',')};t=${a.skip.join(',')})`;
}

export function parseFlash(text: string): FlashArch {
  const m = typeof text === 'string' ? FLASH_RE.exec(text) : null;
  if (!m) {
    throw new ZeronasError(
      'ZN_BAD_ARCH_STRING',
      `flash arch string '${String(text)}' is malformed; expected e.g. 'FLASH(d=8,8,8;w=32,64,128;t=8,16,40)'`,
      { arch: text },
    );
  }
  const lists = [m[1]!, m[2]!, m[3]!].map((s) => s.split(',').map(Number));
  const [depth, width, skip] = lists as [number[], number[], number[]];
  if (depth.length !== width.length || depth.length !== skip.length) {
    throw new ZeronasError('ZN_BAD_ARCH_STRING', `flash arch '${text}' has ${depth.length} depths, ${width.length} widths and ${skip.length} skips; expected one each per cell`, { arch: text });
  }
  validateFlash({ depth, width, skip }, text);
  return { depth, width, skip };
}

function validateFlash(a: FlashArch, text = formatFlash(a)): void {
  a.depth.forEach((d, c) => {
    const w = a.width[c]!;
    const t = a.skip[c]!;
    if (!Number.isInteger(d) || d < 1 || !Number.isInteger(w) || w < 1 || !Number.isInteger(t) || t < 0) {
      throw new ZeronasError('ZN_BAD_ARCH_STRING', `flash cell ${c} of '${text}' has d=${d}, w=${w}, t=${t}; expected integers d>=1, w>=1, t>=0`, { arch: text, cell: c });
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// IR graph

/**
 * The regular DenseNet-type network (§B.6): per cell out₀ = BN(conv₀(x)), out₁ = BN(conv₁(ReLU(out₀))),
 * out_j = conv_j(ReLU(BN_j(concat(out_{j−1}, skip_j)))), head AvgPool(2) → flatten → Linear. Convs 3x3 pad 1 without
 * bias; cell c > 0 starts with stride 2. Skip channels: see the module comment.
 */
export function buildFlashNetwork(archOrText: FlashArch | string, options: FlashNetworkOptions = {}): Graph {
  const a = typeof archOrText === 'string' ? parseFlash(archOrText) : archOrText;
  validateFlash(a);
  const { numClasses = 10, inputSize = 32 } = options;
  const text = formatFlash(a);
  const b = new GraphBuilder(text);
  let x = b.input([3, inputSize, inputSize]);
  const counts = flashSkipCounts(a);
  // Each cell's output: the feature chain AZ-NAS reads (inside a cell, dense skips make layer outputs depend on
  // more than the previous one, so only cell boundaries give block-local Jacobians).
  const features: string[] = [];
  for (let c = 0; c < a.depth.length; c++) {
    const d = a.depth[c]!;
    const w = a.width[c]!;
    const cell = `cells.${c}`;
    // Where each layer's output must be cut so every skip selection is a union of whole pieces.
    const cuts = new Map<number, number>();
    const selections: { layer: number; start: number; end: number }[][] = [];
    counts[c]!.forEach((tj, k) => {
      const j = k + 2;
      const m = Math.floor(tj / w);
      const r = tj - m * w;
      const sel: { layer: number; start: number; end: number }[] = [];
      if (r > 0) {
        sel.push({ layer: m + 1, start: w - r, end: w });
        cuts.set(m + 1, w - r);
      }
      for (let i = m; i >= 1; i--) sel.push({ layer: i, start: 0, end: w });
      selections[j] = sel;
    });
    const outs: string[] = [];
    const pieces = new Map<number, { start: number; end: number; name: string }[]>();
    // Emits conv (+ BN for layers 0 and 1) for layer i, split in two when a later skip cuts its output.
    const emit = (i: number, input: string, stride: number, withBn: boolean): string => {
      const cut = cuts.get(i);
      const ranges = cut === undefined ? [[0, w]] : [[0, cut], [cut, w]];
      const parts = ranges.map(([s, e], p) => {
        const suffix = ranges.length > 1 ? `.part${p}` : '';
        let y = b.conv2d(`${cell}.layers.${i}.conv${suffix}`, input, { outChannels: e! - s!, kernel: 3, stride, padding: 1, bias: false });
        if (withBn) y = b.batchNorm(`${cell}.layers.${i}.bn${suffix}`, y);
        return { start: s!, end: e!, name: y };
      });
      pieces.set(i, parts);
      return parts.length === 1 ? parts[0]!.name : b.concat(`${cell}.layers.${i}.out`, parts.map((p) => p.name));
    };
    outs.push(emit(0, x, c === 0 ? 1 : 2, true));
    if (d >= 2) outs.push(emit(1, b.relu(`${cell}.layers.1.relu`, outs[0]!), 1, true));
    for (let j = 2; j < d; j++) {
      const parts = [outs[j - 1]!];
      for (const s of selections[j]!) {
        if (s.start === 0 && s.end === w) parts.push(outs[s.layer]!);
        else parts.push(pieces.get(s.layer)!.find((p) => p.start === s.start && p.end === s.end)!.name);
      }
      const cat = b.concat(`${cell}.layers.${j}.in`, parts);
      const bn = b.batchNorm(`${cell}.layers.${j}.bn`, cat);
      const act = b.relu(`${cell}.layers.${j}.relu`, bn);
      outs.push(emit(j, act, 1, false));
    }
    x = outs[d - 1]!;
    features.push(x);
  }
  x = b.avgPool('pool', x, { kernel: 2 });
  x = b.flatten('flatten', x);
  x = b.linear('classifier', x, { outFeatures: numClasses });
  return b.build(x, { space: 'flash', arch: text, numClasses, inputSize, features: features.join('|') });
}

// ---------------------------------------------------------------------------------------------------------------
// Search-space adapter

export interface FlashSpaceOptions extends FlashNetworkOptions {
  ranges?: FlashKnobRanges;
  initial?: FlashArch;
}

/** Start of evolution: reference widths, a mid depth and small skip budgets (on the default lattice). */
export const FLASH_INITIAL: FlashArch = { depth: [8, 8, 8], width: [32, 64, 128], skip: [8, 16, 40] };

/** Snaps a value onto its knob lattice (nearest, clamped). */
export function snapKnob(v: number, r: KnobRange): number {
  const k = Math.round((v - r.min) / r.step);
  return r.min + Math.max(0, Math.min(rangeCount(r) - 1, k)) * r.step;
}

/**
 * The FLASH space behind the common verbs. sample: uniform over the lattice. mutate: `count` knob draws, each
 * moving one knob one lattice step up or down (reflected at the range ends; a repeated knob draw is skipped).
 * neighbourhood: every ±1 step. metrics: closed forms (params, MACs, conv+linear layers).
 */
export function createFlashSpace(options: FlashSpaceOptions = {}): SearchSpace<FlashArch> {
  const ranges = options.ranges ?? FLASH_DEFAULT_RANGES;
  const init = options.initial ?? FLASH_INITIAL;
  const cells = init.depth.length;
  const rangeOf = (knob: number): KnobRange => ranges[KNOBS[Math.floor(knob / cells)]! as KnobName];
  const step = (a: FlashArch, knob: number, dir: number): FlashArch | null => {
    const x = flashToVector(a);
    const r = rangeOf(knob);
    const v = x[knob]! + dir * r.step;
    if (v < r.min || v > r.max) return null;
    x[knob] = v;
    return flashFromVector(x, cells);
  };
  return {
    name: 'flash',
    evolutionMutations: { bootstrap: 1, population: 2 },
    initial: () => init,
    sample(rng: Rng) {
      const x = Array.from({ length: 3 * cells }, (_, k) => {
        const r = rangeOf(k);
        return r.min + randomInt(rng, rangeCount(r)) * r.step;
      });
      return flashFromVector(x, cells);
    },
    mutate(arch, rng, count = 1) {
      let a = arch;
      const seen = new Set<number>();
      for (let i = 0; i < count; i++) {
        const knob = randomInt(rng, 3 * cells);
        if (seen.has(knob)) continue;
        seen.add(knob);
        const dir = rng.next() < 0.5 ? -1 : 1;
        a = step(a, knob, dir) ?? step(a, knob, -dir) ?? a;
      }
      return a;
    },
    neighbourhood(arch) {
      const out: FlashArch[] = [];
      for (let k = 0; k < 3 * cells; k++) {
        for (const dir of [-1, 1]) {
          const n = step(arch, k, dir);
          if (n) out.push(n);
        }
      }
      return out;
    },
    key: formatFlash,
    format: formatFlash,
    parse: parseFlash,
    toGraph: (arch) => buildFlashNetwork(arch, options),
    snap: (arch) => flashFromVector(flashToVector(arch).map((v, knob) => snapKnob(v, rangeOf(knob))), cells),
    metrics(arch): ArchMetrics {
      const f = flashFeatures(arch, options);
      return { params: f.params, flops: f.macs, layers: f.layers };
    },
  };
}
