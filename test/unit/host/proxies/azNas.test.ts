import { describe, expect, it } from 'vitest';
import { blockTrainability, expressivityFromCovariance, featureExpressivity, largestSingularValue, pixelUnshuffle, progressivity, trainability } from '../../../../host/proxies/math/azNas.js';
import { rademacher } from '../../../../host/proxies/azNasProxy.js';
import { aggregationFor, parseProxyList } from '../../../../host/proxies/ensemble.js';
import { mulberry32 } from '../../../../shared/random.js';

describe('AZ-NAS math (PROXIES_SOTA.md §1)', () => {
  it('expressivity is the entropy of the normalised covariance spectrum', () => {
    // Two channels over 4 positions: variances 1 and 4, uncorrelated -> eigenvalues {1, 4}, p = {0.2, 0.8}.
    const data = Float32Array.from([1, -1, 1, -1, 2, 2, -2, -2]);
    const want = -0.2 * Math.log(0.2 + 1e-8) - 0.8 * Math.log(0.8 + 1e-8);
    expect(featureExpressivity({ data, shape: [1, 2, 2, 2] })).toBeCloseTo(want, 12);
    // The same points split over two images: the covariance pools every position of every image.
    expect(featureExpressivity({ data: Float32Array.from([1, -1, 2, 2, 1, -1, -2, -2]), shape: [2, 2, 1, 2] })).toBeCloseTo(want, 12);
    // A constant offset per channel is centred away.
    expect(featureExpressivity({ data: data.map((v, i) => v + (i < 4 ? 5 : -3)), shape: [1, 2, 2, 2] })).toBeCloseTo(want, 12);
  });

  it('with fewer observations than channels (n = B·H·W < C) it takes the n×n Gram, and equals the covariance spectrum', () => {
    // Oracle: the c×c covariance written out and handed to the covariance path.
    const next = mulberry32(5);
    for (const [b, c, h, w] of [
      [3, 40, 2, 2],
      [16, 64, 1, 1],
      [2, 9, 2, 2],
    ] as const) {
      const data = Float32Array.from({ length: b * c * h * w }, () => next() * 2 - 1);
      const n = b * h * w;
      expect(n).toBeLessThan(c);
      const at = (i: number, ch: number, k: number): number => data[(i * c + ch) * h * w + k]!;
      const mean = Array.from({ length: c }, (_, ch) => {
        let sum = 0;
        for (let i = 0; i < b; i++) for (let k = 0; k < h * w; k++) sum += at(i, ch, k);
        return sum / n;
      });
      const cov = new Float64Array(c * c);
      for (let p = 0; p < c; p++) {
        for (let q = 0; q < c; q++) {
          let sum = 0;
          for (let i = 0; i < b; i++) for (let k = 0; k < h * w; k++) sum += (at(i, p, k) - mean[p]!) * (at(i, q, k) - mean[q]!);
          cov[p * c + q] = sum / n;
        }
      }
      const viaGram = featureExpressivity({ data, shape: [b, c, h, w] });
      expect(Number.isFinite(viaGram)).toBe(true);
      expect(viaGram).toBeCloseTo(expressivityFromCovariance(cov, c), 9);
    }
    // Degenerate either way: constant channels (all observations equal) are −∞.
    expect(featureExpressivity({ data: new Float32Array(2 * 8).fill(3), shape: [2, 8, 1, 1] })).toBe(Number.NEGATIVE_INFINITY);
  });

  it('all-zero features are −∞ (the official 0/0), and progressivity follows', () => {
    expect(featureExpressivity({ data: new Float32Array(8), shape: [1, 2, 2, 2] })).toBe(Number.NEGATIVE_INFINITY);
    expect(progressivity([1, 1.5, 1.2, 2])).toBeCloseTo(-0.3, 12);
    expect(progressivity([1, Number.NEGATIVE_INFINITY, 2])).toBe(Number.NEGATIVE_INFINITY);
  });

  it('pixel-unshuffle puts (dy, dx) of each 2x2 patch in channel c·4 + dy·2 + dx', () => {
    const [b, c, h, w] = [2, 3, 4, 6];
    const x = Float32Array.from({ length: b * c * h * w }, (_, i) => i);
    const y = pixelUnshuffle(x, [b, c, h, w], 2);
    for (let n = 0; n < b; n++)
      for (let ch = 0; ch < c; ch++)
        for (let dy = 0; dy < 2; dy++)
          for (let dx = 0; dx < 2; dx++)
            for (let i = 0; i < h / 2; i++)
              for (let j = 0; j < w / 2; j++) {
                const out = ((n * c * 4 + ch * 4 + dy * 2 + dx) * (h / 2) + i) * (w / 2) + j;
                expect(y[out]).toBe(x[((n * c + ch) * h + 2 * i + dy) * w + 2 * j + dx]);
              }
  });

  it('largest singular value of rectangular matrices', () => {
    // [[3,0],[0,1],[0,0]] and its transpose: σ_max = 3; a rank-one u vᵀ: σ = |u||v|.
    expect(largestSingularValue(Float64Array.from([3, 0, 0, 1, 0, 0]), 3, 2)).toBeCloseTo(3, 12);
    expect(largestSingularValue(Float64Array.from([3, 0, 0, 0, 1, 0]), 2, 3)).toBeCloseTo(3, 12);
    const u = [1, 2, 2];
    const v = [3, 4];
    expect(largestSingularValue(Float64Array.from(u.flatMap((a) => v.map((c) => a * c))), 3, 2)).toBeCloseTo(15, 10);
  });

  it('block trainability: −σ − 1/(σ + 1e-6) + 2, and −∞ for an identity block', () => {
    const g = rademacher(2 * 1 * 3 * 3, 0, 1);
    const gOut = { data: g, shape: [2, 1, 3, 3] as const };
    expect(blockTrainability({ data: g.slice(), shape: [2, 1, 3, 3] }, gOut)).toBe(Number.NEGATIVE_INFINITY);
    // g_in = 2 g_out, one channel: A = 2·mean(g²) = 2.
    expect(blockTrainability({ data: g.map((v) => 2 * v), shape: [2, 1, 3, 3] }, gOut)).toBeCloseTo(-2 - 1 / (2 + 1e-6) + 2, 10);
    // Zero g_in (a block cut off by `none`): σ = 0, the official −1e6 + 2.
    expect(blockTrainability({ data: new Float32Array(18), shape: [2, 1, 3, 3] }, gOut)).toBeCloseTo(-1e6 + 2, 3);
    expect(trainability([-1, -3])).toBe(-2);
    expect(trainability([-1, Number.NEGATIVE_INFINITY])).toBe(Number.NEGATIVE_INFINITY);
  });

  it('Rademacher vectors are ±1, balanced, and differ per block and seed', () => {
    const a = rademacher(10000, 0, 1);
    expect(a.every((v) => v === 1 || v === -1)).toBe(true);
    expect(Math.abs(a.reduce((s, v) => s + v, 0))).toBeLessThan(400); // 4σ of a fair ±1 sum
    expect(rademacher(100, 0, 2)).not.toEqual(rademacher(100, 0, 1));
    expect(rademacher(100, 1, 1)).not.toEqual(rademacher(100, 0, 1));
    expect(rademacher(100, 0, 1)).toEqual(rademacher(100, 0, 1));
  });
});

describe('az_nas as a combination', () => {
  it('expands to its three scores and FLOPs, aggregated by log-rank unless asked otherwise', () => {
    expect(parseProxyList('az_nas')).toEqual(['az_expressivity', 'az_progressivity', 'az_trainability', 'flops']);
    expect(parseProxyList('meco+az_nas')).toEqual(['meco', 'az_expressivity', 'az_progressivity', 'az_trainability', 'flops']);
    expect(() => parseProxyList('az_nas+flops')).toThrow(/repeats/);
    expect(aggregationFor('meco+az_nas')).toBe('log-rank');
    expect(aggregationFor('zico+params')).toBe('rank-sum');
    expect(aggregationFor('az_nas', 'rank-sum')).toBe('rank-sum');
    expect(() => aggregationFor('az_nas', 'median')).toThrow(/unknown aggregation 'median'/);
  });
});

describe('symmetric eigenvalues by tridiagonalisation + QL', () => {
  it('agrees with cyclic Jacobi on random, rank-deficient and diagonal matrices', async () => {
    const { symmetricEigenvalues, symmetricEigenvaluesFast } = await import('../../../../host/proxies/math/linalg.js');
    const { mulberry32 } = await import('../../../../shared/random.js');
    const r = mulberry32(5);
    for (const [n, rank] of [[1, 1], [2, 2], [7, 7], [40, 40], [40, 5], [64, 63]] as const) {
      const x = Array.from({ length: n * rank }, () => r() - 0.5);
      const m = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < rank; k++) m[i * n + j]! += x[i * rank + k]! * x[j * rank + k]!;
      const want = symmetricEigenvalues(m, n);
      const got = symmetricEigenvaluesFast(m, n);
      const scale = Math.max(...want.map(Math.abs));
      got.forEach((v, i) => expect(Math.abs(v - want[i]!), `n=${n} rank=${rank} eigenvalue ${i}`).toBeLessThan(1e-12 * scale + 1e-300));
    }
    expect([...symmetricEigenvaluesFast([3, 0, 0, 0, -1, 0, 0, 0, 2], 3)]).toEqual([-1, 2, 3]);
  });
});

describe('AZ-NAS beyond NB201', () => {
  it('scores a FLASH network from its cell outputs (stride-2 cells pixel-unshuffled)', async () => {
    const { buildFlashNetwork } = await import('../../../../host/spaces/flash.js');
    const { azNasScores, featureChain } = await import('../../../../host/proxies/azNasProxy.js');
    const graph = buildFlashNetwork({ depth: [2, 3, 2], width: [8, 16, 16], skip: [0, 8, 0] });
    expect(featureChain(graph)).toHaveLength(3);
    const s = await azNasScores(graph, 0, 8);
    if ('reason' in s) throw new Error(s.reason);
    expect(s.perFeature.every(Number.isFinite)).toBe(true);
    expect(s.perBlock.every((t) => Number.isFinite(t) && t <= 0)).toBe(true); // T ≤ 0, with 0 only at σ = 1
    expect(s.progressivity).toBeCloseTo(Math.min(s.perFeature[1]! - s.perFeature[0]!, s.perFeature[2]! - s.perFeature[1]!), 12);
  });

  it("scores ZiCo's IDW start structure at 32x32, whose last feature has 2048 channels at 1x1 (the Gram path)", async () => {
    const { openSpace } = await import('../../../../host/spaces/index.js');
    const { IDW_INITIAL_STRUCTURE } = await import('../../../../host/spaces/idw.js');
    const { azNasScores, featureChain } = await import('../../../../host/proxies/azNasProxy.js');
    const entry = openSpace('idw');
    const graph = entry.scoringGraph(entry.space.parse(IDW_INITIAL_STRUCTURE));
    const chain = featureChain(graph)!;
    const s = await azNasScores(graph, 0, 8);
    if ('reason' in s) throw new Error(s.reason);
    expect(s.perFeature).toHaveLength(chain.length);
    expect(s.perFeature.every(Number.isFinite)).toBe(true);
    // 8 observations span at most an 8-dimensional spectrum: E ≤ ln 8 for the 2048-channel map.
    expect(s.perFeature.at(-1)!).toBeLessThanOrEqual(Math.log(8) + 1e-9);
    expect(s.perFeature.at(-1)!).toBeGreaterThan(0);
  });
});
