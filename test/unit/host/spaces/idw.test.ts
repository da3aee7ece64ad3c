import { describe, expect, it } from 'vitest';
import { validateGraph } from '../../../../host/ir/graph.js';
import { analyticMetrics } from '../../../../host/metrics/analytic.js';
import {
  IDW_INITIAL_STRUCTURE,
  blockCandidates,
  buildIdwNetwork,
  createIdwSpace,
  formatIdw,
  idwCounts,
  idwLayers,
  parseIdw,
  pyRound,
  smartRound,
  splitIdw,
  subLayerCandidates,
  widthCandidates,
  zicoMutate,
} from '../../../../host/spaces/idw.js';
import { SeededRng } from '../../../../host/search/rng.js';

// ALGORITHMS.md §B.5 table (analytic FLOPs / params with the ZenNAS counter rules, residuals on, SE off)
const FOUND: [string, string, number, number, number][] = [
  ['450M', 'SuperConvK3BNRELU(3,16,2,1)SuperResIDWE1K7(16,40,2,40,1)SuperResIDWE2K7(40,80,2,64,1)SuperResIDWE4K7(80,96,2,96,5)SuperResIDWE2K7(96,224,2,224,5)SuperConvK1BNRELU(224,2048,1,1)', 438.4, 5.716, 14],
  ['600M', 'SuperConvK3BNRELU(3,24,2,1)SuperResIDWE1K7(24,48,2,48,1)SuperResIDWE2K7(48,72,2,72,1)SuperResIDWE6K5(72,160,2,96,1)SuperResIDWE6K7(160,200,2,112,5)SuperResIDWE6K7(200,168,1,168,4)SuperConvK1BNRELU(168,2048,1,1)', 590.3, 9.654, 14],
  ['1G', 'SuperConvK3BNRELU(3,48,2,1)SuperResIDWE1K7(48,48,2,72,1)SuperResIDWE1K7(48,80,2,128,1)SuperResIDWE2K7(80,160,2,144,3)SuperResIDWE4K7(160,288,2,232,4)SuperResIDWE6K5(288,232,1,208,5)SuperConvK1BNRELU(232,2048,1,1)', 979.2, 15.248, 16],
  ['#Params-450M', 'SuperConvK3BNRELU(3,8,2,1)SuperResIDWE1K3(8,8,2,8,1)SuperResIDWE1K3(8,8,2,8,1)SuperResIDWE1K5(8,64,2,8,1)SuperResIDWE6K5(64,1024,2,48,1)SuperConvK1BNRELU(1024,2048,1,1)', 450.0, 11.003, 6],
];

describe('idw grammar (§B.5)', () => {
  it('round-trips the initial structure with whitespace between blocks', () => {
    const spaced = IDW_INITIAL_STRUCTURE.replace(/\)S/g, ') S');
    expect(formatIdw(parseIdw(spaced))).toBe(IDW_INITIAL_STRUCTURE);
    for (const [, s] of FOUND) expect(formatIdw(parseIdw(s))).toBe(s);
  });

  it("rejects an unknown block 'SuperResIDWE3K3' (ZN_BAD_ARCH_STRING)", () => {
    expect(() => parseIdw('SuperConvK3BNRELU(3,8,2,1)SuperResIDWE3K3(8,32,2,8,1)')).toThrow(
      expect.objectContaining({ code: 'ZN_BAD_ARCH_STRING', message: expect.stringContaining('SuperResIDWE3K3(8,32,2,8,1)') }),
    );
  });

  it('rejects unchained channels 8 -> 16 (ZN_BAD_ARCH_STRING)', () => {
    expect(() => parseIdw('SuperConvK3BNRELU(3,8,2,1)SuperResIDWE6K3(16,32,2,8,1)')).toThrow(
      expect.objectContaining({ code: 'ZN_BAD_ARCH_STRING', message: expect.stringContaining('previous block outputs 8') }),
    );
  });

  it('rejects a 4-argument IDW block (ZN_BAD_ARCH_STRING)', () => {
    expect(() => parseIdw('SuperResIDWE6K3(8,32,2,1)')).toThrow(expect.objectContaining({ code: 'ZN_BAD_ARCH_STRING', message: expect.stringContaining('expected 5') }));
  });
});

describe('smart_round and candidates (§B.5)', () => {
  it('uses Python banker rounding', () => {
    expect([0.5, 1.5, 2.5, 3.5, 1.25, 2.51].map(pyRound)).toEqual([0, 2, 2, 4, 1, 3]);
    expect([20, 12, 10, 6.4].map((x) => smartRound(x, 8))).toEqual([16, 16, 8, 8]);
  });

  it.each([
    [8, [16, 8]],
    [16, [40, 32, 24, 16, 8]],
    [32, [80, 64, 48, 40, 32, 24, 16]],
    [48, [120, 96, 72, 64, 48, 40, 32, 24, 16]],
    [128, [320, 256, 192, 160, 128, 104, 88, 64, 48]],
  ])('width candidates of %i', (c, expected) => {
    expect(widthCandidates(c)).toEqual(expected);
  });

  it('sub-layer candidates are positive', () => {
    expect(subLayerCandidates(1)).toEqual([1, 2, 3]);
    expect(subLayerCandidates(5)).toEqual([3, 4, 5, 6, 7]);
  });

  it('block candidates: 1x1 head unchanged, stem widths with sub=1, IDW 12 types x out x sub x btl', () => {
    const a = parseIdw(IDW_INITIAL_STRUCTURE);
    expect(blockCandidates(a[5]!)).toEqual([a[5]]);
    expect(blockCandidates(a[0]!).map((b) => b.out)).toEqual([16, 8]);
    // block 1: out 32 (7 widths), sub 1 (3), btl 8 (2)
    expect(blockCandidates(a[1]!)).toHaveLength(12 * 7 * 3 * 2);
  });
});

describe('split, layers and counters (§B.5, §A.2, §A.3)', () => {
  it('split(6) turns sub 7 into 3 + 4 with the second block at stride 1', () => {
    expect(formatIdw(splitIdw(parseIdw('SuperResIDWE6K3(8,32,2,8,7)')))).toBe('SuperResIDWE6K3(8,32,2,8,3)SuperResIDWE6K3(32,32,1,8,4)');
    expect(formatIdw(splitIdw(parseIdw('SuperResIDWE6K3(8,32,2,8,5)')))).toBe('SuperResIDWE6K3(8,32,2,8,5)');
  });

  it('initial structure: 162.4M FLOPs, 2.814M params, 6 layers', () => {
    const a = parseIdw(IDW_INITIAL_STRUCTURE);
    const c = idwCounts(a);
    expect((c.flops / 1e6).toFixed(1)).toBe('162.4');
    expect((c.params / 1e6).toFixed(3)).toBe('2.814');
    expect(idwLayers(a)).toBe(6);
  });

  it.each(FOUND)('ZiCo %s structure: analytic FLOPs, params and layers', (_, s, flopsM, paramsM, layers) => {
    const a = parseIdw(s);
    const c = idwCounts(a, { resolution: 224, numClasses: 1000 });
    expect((c.flops / 1e6).toFixed(1)).toBe(flopsM.toFixed(1));
    expect((c.params / 1e6).toFixed(3)).toBe(paramsM.toFixed(3));
    expect(idwLayers(a)).toBe(layers);
  });

  it('residual projections add FLOPs and params only when residual links are on', () => {
    const a = parseIdw(FOUND[0]![1]);
    expect(idwCounts(a, { residual: false }).flops).toBeLessThan(idwCounts(a).flops);
  });
});

describe('buildIdwNetwork', () => {
  it('builds the 450M structure at 224 with 1000 classes; no-reslink graph has no add nodes', () => {
    const withRes = buildIdwNetwork(FOUND[0]![1]);
    const noRes = buildIdwNetwork(FOUND[0]![1], { residual: false });
    const out = withRes.nodes.find((n) => n.name === withRes.output)!;
    expect(out.op).toBe('linear');
    expect(withRes.nodes.some((n) => n.op === 'add')).toBe(true);
    expect(noRes.nodes.some((n) => n.op === 'add')).toBe(false);
    expect(withRes.nodes.filter((n) => n.op === 'batchNorm').every((n) => n.op === 'batchNorm' && n.attrs.eps === 1e-3)).toBe(true);
    // IR params = analytic counter + the BN betas (the counter counts BN as C, not 2C) + 999 linear biases
    const a = parseIdw(FOUND[0]![1]);
    const { shapes } = validateGraph(noRes);
    const bnChannels = noRes.nodes.reduce((s, n) => (n.op === 'batchNorm' ? s + shapes.get(n.name)![0]! : s), 0);
    const counted = idwCounts(a, { residual: false }).params;
    expect(analyticMetrics(noRes).params).toBe(counted + bnChannels + 999);
  });

  it('builds at 32x32 input too', () => {
    const g = buildIdwNetwork(IDW_INITIAL_STRUCTURE, { inputSize: 32, numClasses: 10 });
    // stem + 4 IDW blocks x (6 convs + 2 projections: unit A always, unit B since btl != out) + head conv + linear
    expect(analyticMetrics(g).weightedLayers).toBe(1 + 4 * (6 + 2) + 1 + 1);
    expect(analyticMetrics(buildIdwNetwork(IDW_INITIAL_STRUCTURE, { inputSize: 32, residual: false })).weightedLayers).toBe(1 + 4 * 6 + 1 + 1);
  });
});

describe('idw space verbs and ZiCo mutation (§C)', () => {
  it('mutation keeps channels chained, keeps the stem input and is deterministic per seed', () => {
    const space = createIdwSpace();
    const r1 = new SeededRng(7);
    const r2 = new SeededRng(7);
    let a = space.initial();
    let b = space.initial();
    for (let i = 0; i < 50; i++) {
      a = space.mutate(a, r1, 2);
      b = space.mutate(b, r2, 2);
      expect(space.format(a)).toBe(space.format(b));
      expect(a[0]!.in).toBe(3);
      for (let k = 1; k < a.length; k++) expect(a[k]!.in).toBe(a[k - 1]!.out);
      expect(a.every((blk) => blk.kind === 'conv' || blk.subLayers < 6)).toBe(true);
      expect(formatIdw(parseIdw(space.format(a)))).toBe(space.format(a));
    }
  });

  it('zicoMutate with k=1 changes at most one block besides re-chaining', () => {
    const a = parseIdw(IDW_INITIAL_STRUCTURE);
    const rng = new SeededRng(3);
    for (let i = 0; i < 20; i++) {
      const b = zicoMutate(a, rng, 1);
      const changed = b.filter((blk, k) => {
        const o = a[k]!;
        return JSON.stringify({ ...blk, in: 0 }) !== JSON.stringify({ ...o, in: 0 });
      });
      expect(changed.length).toBeLessThanOrEqual(1);
    }
  });

  it('metrics are the ZenNAS counters at 224 with residuals', () => {
    const space = createIdwSpace();
    const m = space.metrics(space.initial());
    expect((m.flops / 1e6).toFixed(1)).toBe('162.4');
    expect(m.layers).toBe(6);
  });
});
