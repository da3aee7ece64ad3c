/**
 * ZiCo's ImageNet space: ZenNAS PlainNet "IDW" blocks, MobileNetV2-like (ALGORITHMS.md §B.5, mutation §C).
 *
 * Genotype: a list of blocks, written exactly as the reference's structure strings:
 *   SuperConvK{1,3,5,7}BNRELU(in,out,stride,sub_layers)
 *   SuperResIDWE{1,2,4,6}K{3,5,7}(in,out,stride,bottleneck,sub_layers)
 * followed (implicitly) by MasterNet's head: global average pool -> Linear(last_out -> classes).
 *
 * The analytic counters reproduce ZenNAS `get_FLOPs` / `get_model_size` with their quirks (§A.2/§A.3): integer
 * floor divisions for convs, the residual projection's FLOPs divided by the stride twice (float), BN params C (not
 * 2C), Linear params in·out+1. SE (training only) is not modelled. The IR graph is the real network (BN eps 1e-3,
 * affine BN, projection conv with bias), so IR params differ from the analytic counter on purpose.
 */
import { ZeronasError } from '../../shared/errors.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import { randomChoice, randomInt, type ArchMetrics, type Rng, type SearchSpace, type ToGraphOptions } from './searchSpace.js';

export const IDW_EXPANSIONS = [1, 2, 4, 6] as const;
export const IDW_KERNELS = [3, 5, 7] as const;
export const CONV_KERNELS = [1, 3, 5, 7] as const;

export interface ConvBlock {
  kind: 'conv';
  kernel: number;
  in: number;
  out: number;
  stride: number;
  subLayers: number;
}

export interface IdwBlock {
  kind: 'idw';
  expansion: number;
  kernel: number;
  in: number;
  out: number;
  stride: number;
  bottleneck: number;
  subLayers: number;
}

export type PlainBlock = ConvBlock | IdwBlock;
export type IdwArch = readonly PlainBlock[];

/** ZiCo's initial structure for all three ImageNet budgets (§B.5). */
export const IDW_INITIAL_STRUCTURE =
  'SuperConvK3BNRELU(3,8,2,1)SuperResIDWE6K3(8,32,2,8,1)SuperResIDWE6K3(32,48,2,32,1)' +
  'SuperResIDWE6K3(48,96,2,48,1)SuperResIDWE6K3(96,128,2,96,1)SuperConvK1BNRELU(128,2048,1,1)';

// ---------------------------------------------------------------------------------------------------------------
// Grammar

const BLOCK_RE = /^\s*(?:SuperConvK(\d+)BNRELU|SuperResIDWE(\d+)K(\d+))\(([^()]*)\)/;

const bad = (message: string, text: string, token?: string): ZeronasError =>
  new ZeronasError('ZN_BAD_ARCH_STRING', message, { arch: text, ...(token !== undefined ? { token } : {}) });

/** Parses a PlainNet structure string; blocks may be separated by whitespace. Channels must chain. */
export function parseIdw(text: string): IdwArch {
  if (typeof text !== 'string' || text.trim() === '') {
    throw bad(`idw structure string is empty; expected e.g. '${IDW_INITIAL_STRUCTURE.slice(0, 60)}...'`, String(text));
  }
  const blocks: PlainBlock[] = [];
  let rest = text;
  while (rest.trim() !== '') {
    const m = BLOCK_RE.exec(rest);
    if (!m) {
      const token = rest.trim().slice(0, 40);
      throw bad(
        `unknown or malformed idw block at '${token}'; expected SuperConvK{1,3,5,7}BNRELU(in,out,stride,sub) or SuperResIDWE{1,2,4,6}K{3,5,7}(in,out,stride,btl,sub)`,
        text,
        token,
      );
    }
    const token = m[0].trim();
    const args = m[4]!.split(',').map((a) => a.trim());
    if (args.some((a) => !/^\d+$/.test(a) || Number(a) < 1)) {
      throw bad(`idw block '${token}' has an argument that is not a positive integer`, text, token);
    }
    const n = args.map(Number);
    if (m[1] !== undefined) {
      const kernel = Number(m[1]);
      if (!(CONV_KERNELS as readonly number[]).includes(kernel)) {
        throw bad(`idw block '${token}': conv kernel ${kernel} is not one of ${CONV_KERNELS.join(',')}`, text, token);
      }
      if (n.length !== 4) throw bad(`idw block '${token}' has ${n.length} arguments, expected 4 (in,out,stride,sub_layers)`, text, token);
      blocks.push({ kind: 'conv', kernel, in: n[0]!, out: n[1]!, stride: n[2]!, subLayers: n[3]! });
    } else {
      const expansion = Number(m[2]);
      const kernel = Number(m[3]);
      if (!(IDW_EXPANSIONS as readonly number[]).includes(expansion) || !(IDW_KERNELS as readonly number[]).includes(kernel)) {
        throw bad(`idw block '${token}': expansion ${expansion} / kernel ${kernel} not in {1,2,4,6} x {3,5,7}`, text, token);
      }
      if (n.length !== 5) {
        throw bad(`idw block '${token}' has ${n.length} arguments, expected 5 (in,out,stride,bottleneck,sub_layers)`, text, token);
      }
      blocks.push({ kind: 'idw', expansion, kernel, in: n[0]!, out: n[1]!, stride: n[2]!, bottleneck: n[3]!, subLayers: n[4]! });
    }
    const prev = blocks[blocks.length - 2];
    const cur = blocks[blocks.length - 1]!;
    if (prev && prev.out !== cur.in) {
      throw bad(`idw block '${token}' reads ${cur.in} channels but the previous block outputs ${prev.out}`, text, token);
    }
    rest = rest.slice(m[0].length);
  }
  return blocks;
}

export function formatBlock(b: PlainBlock): string {
  return b.kind === 'conv'
    ? `SuperConvK${b.kernel}BNRELU(${b.in},${b.out},${b.stride},${b.subLayers})`
    : `SuperResIDWE${b.expansion}K${b.kernel}(${b.in},${b.out},${b.stride},${b.bottleneck},${b.subLayers})`;
}

export function formatIdw(arch: IdwArch): string {
  return arch.map(formatBlock).join('');
}

// ---------------------------------------------------------------------------------------------------------------
// Rounding and candidates

/** Python 3 `round(x)`: round half to even (banker's rounding), for finite floats. */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** ZenNAS `global_utils.smart_round`: max(base, round(x/base)·base), Python rounding (§B.5). */
export function smartRound(x: number, base = 8): number {
  return Math.max(base, pyRound(x / base) * base);
}

const WIDTH_FACTORS: readonly ((c: number) => number)[] = [
  (c) => c * 2.5,
  (c) => c * 2,
  (c) => c * 1.5,
  (c) => c * 1.25,
  (c) => c,
  (c) => c / 1.25,
  (c) => c / 1.5,
  (c) => c / 2,
  (c) => c / 2.5,
];

/** {2.5c, 2c, 1.5c, 1.25c, c, c/1.25, c/1.5, c/2, c/2.5} -> max(8,·) -> smart_round(·,8) -> dedupe -> descending. */
export function widthCandidates(c: number): number[] {
  const set = new Set(WIDTH_FACTORS.map((f) => smartRound(Math.max(8, f(c)), 8)));
  return [...set].sort((a, b) => b - a);
}

/** {s-2, s-1, s, s+1, s+2}, positive only (§B.5). */
export function subLayerCandidates(s: number): number[] {
  return [s - 2, s - 1, s, s + 1, s + 2].filter((x) => x > 0);
}

/** `split(6)`: an IDW block with sub_layers >= 6 becomes (in,out,stride,btl,3) + (out,out,1,btl,sub-3). One pass. */
export function splitIdw(arch: IdwArch, maxSubLayers = 6): PlainBlock[] {
  const out: PlainBlock[] = [];
  for (const b of arch) {
    if (b.kind === 'idw' && b.subLayers >= maxSubLayers) {
      out.push({ ...b, subLayers: 3 });
      out.push({ ...b, in: b.out, stride: 1, subLayers: b.subLayers - 3 });
    } else out.push({ ...b });
  }
  return out;
}

/** `get_num_layers`: Σ sub_layers over every block, stem and head included. */
export function idwLayers(arch: IdwArch): number {
  return arch.reduce((n, b) => n + b.subLayers, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Analytic counters (ZenNAS conventions)

export interface IdwCounterOptions {
  /** Input resolution (224 in ZiCo's scripts). */
  resolution?: number;
  numClasses?: number;
  /** Count the residual projections (the budget model has them; ZiCo's scoring model does not). */
  residual?: boolean;
}

interface Counts {
  flops: number;
  params: number;
}

/** One ZenNAS ConvKX: FLOPs in·out·k²·H² // s² // groups (Python integer floors), params in·out·k². */
function convKx(cin: number, cout: number, k: number, s: number, h: number): Counts {
  return { flops: Math.floor(Math.floor((cin * cout * k * k * h * h) / (s * s)) / 1), params: cin * cout * k * k };
}

function idwSubLayerCounts(cin: number, b: IdwBlock, s: number, h: number, isFirst: boolean, residual: boolean): { c: Counts; h: number } {
  const e = b.expansion;
  const k = b.kernel;
  const btl = b.bottleneck;
  let flops = 0;
  let params = 0;
  const add = (c: Counts): void => {
    flops += c.flops;
    params += c.params;
  };
  // Unit A: 1x1 (cin->dwA) BN ReLU DW(k, s) BN ReLU 1x1 (dwA->btl) BN
  const dwA = smartRound(btl * e, 8);
  add(convKx(cin, dwA, 1, 1, h));
  add({ flops: dwA * h * h, params: dwA });
  add({ flops: Math.floor((dwA * k * k * h * h) / (s * s)), params: dwA * k * k });
  const ho = Math.floor(h / s);
  add({ flops: dwA * ho * ho, params: dwA });
  add(convKx(dwA, btl, 1, 1, ho));
  add({ flops: btl * ho * ho, params: btl });
  if (residual && (isFirst || s > 1 || cin !== btl)) {
    // ResBlockProj / ResBlock projection: in·out·(H_out/s)² + out·(H_out/s)²  (double stride division, §A.3)
    const r = (ho / s) ** 2;
    add({ flops: cin * btl * r + btl * r, params: cin * btl + btl });
  }
  // Unit B: 1x1 (btl->dwB) BN ReLU DW(k, 1) BN ReLU 1x1 (dwB->out) BN
  const dwB = smartRound(b.out * e, 8);
  add(convKx(btl, dwB, 1, 1, ho));
  add({ flops: dwB * ho * ho, params: dwB });
  add({ flops: dwB * k * k * ho * ho, params: dwB * k * k });
  add({ flops: dwB * ho * ho, params: dwB });
  add(convKx(dwB, b.out, 1, 1, ho));
  add({ flops: b.out * ho * ho, params: b.out });
  if (residual && btl !== b.out) add({ flops: btl * b.out * ho * ho + b.out * ho * ho, params: btl * b.out + b.out });
  return { c: { flops, params }, h: ho };
}

/**
 * ZenNAS MasterNet `get_FLOPs(resolution)` and `get_model_size()` (§A.2, §A.3): sums over blocks plus the Linear
 * head (FLOPs in·out, params in·out + 1). With `residual: false` the projections are left out.
 */
export function idwCounts(arch: IdwArch, options: IdwCounterOptions = {}): { flops: number; params: number } {
  const { resolution = 224, numClasses = 1000, residual = true } = options;
  let h = resolution;
  let flops = 0;
  let params = 0;
  for (const b of arch) {
    for (let i = 0; i < b.subLayers; i++) {
      const s = i === 0 ? b.stride : 1;
      const cin = i === 0 ? b.in : b.out;
      if (b.kind === 'conv') {
        const c = convKx(cin, b.out, b.kernel, s, h);
        h = Math.floor(h / s);
        flops += c.flops + b.out * h * h;
        params += c.params + b.out;
      } else {
        const r = idwSubLayerCounts(cin, b, s, h, i === 0, residual);
        flops += r.c.flops;
        params += r.c.params;
        h = r.h;
      }
    }
  }
  const last = arch[arch.length - 1]?.out ?? 0;
  flops += last * numClasses;
  params += last * numClasses + 1;
  return { flops, params };
}

export const idwFlops = (arch: IdwArch, options?: IdwCounterOptions): number => idwCounts(arch, options).flops;
export const idwParams = (arch: IdwArch, options?: IdwCounterOptions): number => idwCounts(arch, options).params;

// ---------------------------------------------------------------------------------------------------------------
// IR graph

export interface IdwNetworkOptions {
  /** Residual links (ResBlock/ResBlockProj wrappers). ZiCo scores with them off (`no_reslink=True`). */
  residual?: boolean;
  inputSize?: number;
  numClasses?: number;
  /** MasterNet sets every BN's eps to 1e-3 (§0.2). */
  bnEps?: number;
}

/**
 * The PlainNet network (no SE). Node names follow the reference module paths
 * (`block_list.1.block_list.0.block_list.3.netblock` for a DW conv inside a ResBlockProj, `...proj.0` for the
 * projection conv, `fc_linear.netblock` for the head); `.add` nodes are the residual sums.
 */
export function buildIdwNetwork(archOrText: IdwArch | string, options: IdwNetworkOptions = {}): Graph {
  const arch = typeof archOrText === 'string' ? parseIdw(archOrText) : archOrText;
  const { residual = true, inputSize = 224, numClasses = 1000, bnEps = 1e-3 } = options;
  const text = formatIdw(arch);
  const b = new GraphBuilder(text);
  let x = b.input([3, inputSize, inputSize]);
  const bn = (name: string, v: string): string => b.batchNorm(`${name}.netblock`, v, { eps: bnEps });
  const conv = (name: string, v: string, out: number, k: number, s: number, groups = 1): string =>
    b.conv2d(`${name}.netblock`, v, { outChannels: out, kernel: k, stride: s, padding: (k - 1) >> 1, groups, bias: false });

  // Each conv layer's and each bottleneck unit's output: the feature chain AZ-NAS reads (each reads only the previous).
  const features: string[] = [];
  arch.forEach((blk, bi) => {
    const p = `block_list.${bi}`;
    if (blk.kind === 'conv') {
      for (let i = 0; i < blk.subLayers; i++) {
        x = conv(`${p}.block_list.${3 * i}`, x, blk.out, blk.kernel, i === 0 ? blk.stride : 1);
        x = bn(`${p}.block_list.${3 * i + 1}`, x);
        x = b.relu(`${p}.block_list.${3 * i + 2}`, x);
        features.push(x);
      }
      return;
    }
    let item = 0; // index in the super block's block_list
    const unit = (v: string, cin: number, dw: number, cout: number, s: number, alwaysProj: boolean): string => {
      const base = residual ? `${p}.block_list.${item}.block_list.` : `${p}.block_list.`;
      const at = (j: number): string => (residual ? `${base}${j}` : `${base}${item + j}`);
      let y = conv(at(0), v, dw, 1, 1);
      y = bn(at(1), y);
      y = b.relu(at(2), y);
      y = conv(at(3), y, dw, blk.kernel, s, dw);
      y = bn(at(4), y);
      y = b.relu(at(5), y);
      y = conv(at(6), y, cout, 1, 1);
      y = bn(at(7), y);
      if (residual) {
        const res = `${p}.block_list.${item}`;
        let shortcut = v;
        if (alwaysProj || s > 1 || cin !== cout) {
          shortcut = b.conv2d(`${res}.proj.0`, v, { outChannels: cout, kernel: 1, stride: s, bias: true });
          shortcut = b.batchNorm(`${res}.proj.1`, shortcut, { eps: bnEps });
        }
        y = b.add(`${res}.add`, [y, shortcut]);
        y = b.relu(`${p}.block_list.${item + 1}`, y);
        item += 2;
      } else {
        y = b.relu(`${p}.block_list.${item + 8}`, y);
        item += 9;
      }
      return y;
    };
    for (let i = 0; i < blk.subLayers; i++) {
      const s = i === 0 ? blk.stride : 1;
      const cin = i === 0 ? blk.in : blk.out;
      x = unit(x, cin, smartRound(blk.bottleneck * blk.expansion, 8), blk.bottleneck, s, i === 0);
      features.push(x);
      x = unit(x, blk.bottleneck, smartRound(blk.out * blk.expansion, 8), blk.out, 1, false);
      features.push(x);
    }
  });
  x = b.globalAvgPool('global_pool', x);
  x = b.flatten('flatten', x);
  x = b.linear('fc_linear.netblock', x, { outFeatures: numClasses });
  return b.build(x, { space: 'idw', arch: text, residual, inputSize, numClasses, features: features.join('|') });
}

// ---------------------------------------------------------------------------------------------------------------
// Mutation (ZiCo evolution_search.py, §C)

/** Re-chains in_channels: block i reads block i-1's out (the stem keeps its input channels). */
export function rechain(arch: readonly PlainBlock[]): PlainBlock[] {
  const out = arch.map((b) => ({ ...b }));
  for (let i = 1; i < out.length; i++) out[i]!.in = out[i - 1]!.out;
  return out;
}

/** Candidate replacements of one block (§C step 2), in the reference's flattening order (types, out, sub, btl). */
export function blockCandidates(b: PlainBlock): PlainBlock[] {
  if (b.kind === 'conv') {
    if (b.kernel === 1) return [{ ...b }];
    return widthCandidates(b.out).map((out) => ({ ...b, out, subLayers: 1 }));
  }
  const outs = widthCandidates(b.out);
  const subs = subLayerCandidates(b.subLayers);
  const btls = widthCandidates(b.bottleneck);
  const list: PlainBlock[] = [];
  for (const expansion of IDW_EXPANSIONS) {
    for (const kernel of IDW_KERNELS) {
      for (const out of outs) {
        for (const subLayers of subs) {
          for (const bottleneck of btls) {
            list.push({ kind: 'idw', expansion, kernel, in: b.in, out, stride: b.stride, bottleneck, subLayers });
          }
        }
      }
    }
  }
  return list;
}

/**
 * ZiCo's `get_new_random_structure_str(num_replaces=k)` (§C): k times draw a block index u uniformly (a repeated
 * u is skipped, so fewer than k mutations may happen), replace block u by a uniform choice among its candidates,
 * then re-chain every block's in_channels. The split is separate (`splitIdw`).
 */
export function zicoMutate(arch: IdwArch, rng: Rng, k: number): PlainBlock[] {
  const blocks = arch.map((b) => ({ ...b }));
  const picked = new Set<number>();
  for (let r = 0; r < k; r++) {
    const u = randomInt(rng, blocks.length);
    if (picked.has(u)) continue;
    picked.add(u);
    const cand = { ...randomChoice(rng, blockCandidates(blocks[u]!)) };
    if (u > 0) cand.in = blocks[u - 1]!.out;
    blocks[u] = cand;
  }
  return rechain(blocks);
}

export interface IdwSpaceOptions extends IdwCounterOptions {
  /** Structure evolution bootstraps from (default: ZiCo's initial structure). */
  initial?: string;
  /** `split(n)` threshold (6 in ZiCo). */
  splitAt?: number;
  /** Random mutations (k = 2) from the initial structure that make one `sample` (default 8). */
  sampleWalk?: number;
}

/**
 * The IDW space behind the common verbs. `mutate` = ZiCo mutate(k) then split(6); evolution counts 1 (bootstrap)
 * and 2 (population) as in the reference. The genotype is unbounded, so `sample` is a documented random walk of
 * `sampleWalk` mutations from the initial structure (not a uniform draw). Metrics: ZenNAS counters with residuals
 * at `resolution` (the budget model, §C).
 */
export function createIdwSpace(options: IdwSpaceOptions = {}): SearchSpace<IdwArch> {
  const { initial = IDW_INITIAL_STRUCTURE, splitAt = 6, sampleWalk = 8 } = options;
  const init = parseIdw(initial);
  const mutate = (arch: IdwArch, rng: Rng, count = 1): IdwArch => splitIdw(zicoMutate(arch, rng, count), splitAt);
  return {
    name: 'idw',
    evolutionMutations: { bootstrap: 1, population: 2 },
    initial: () => init,
    sample(rng) {
      let a: IdwArch = init;
      for (let i = 0; i < sampleWalk; i++) a = mutate(a, rng, 2);
      return a;
    },
    mutate,
    neighbourhood(arch) {
      const out: IdwArch[] = [];
      arch.forEach((b, u) => {
        for (const cand of blockCandidates(b)) {
          const blocks = arch.map((x) => ({ ...x }));
          blocks[u] = { ...cand };
          out.push(splitIdw(rechain(blocks), splitAt));
        }
      });
      return out;
    },
    key: formatIdw,
    format: formatIdw,
    parse: parseIdw,
    toGraph: (arch, o: ToGraphOptions = {}) =>
      buildIdwNetwork(arch, { residual: !o.forScoring, inputSize: options.resolution ?? 224, numClasses: options.numClasses ?? 1000 }),
    metrics(arch): ArchMetrics {
      const c = idwCounts(arch, options);
      return { params: c.params, flops: c.flops, layers: idwLayers(arch) };
    },
  };
}
