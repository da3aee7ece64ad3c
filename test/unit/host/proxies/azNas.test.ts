import { describe, expect, it } from 'vitest';
import { blockTrainability, featureExpressivity, largestSingularValue, pixelUnshuffle, progressivity, trainability } from '../../../../host/proxies/math/azNas.js';
import { rademacher } from '../../../../host/proxies/azNasProxy.js';
import { aggregationFor, parseProxyList } from '../../../../host/proxies/ensemble.js';

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
});
