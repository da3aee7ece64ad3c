import { describe, expect, it } from 'vitest';
import { localMinimize } from '../../../../host/search/localMinimize.js';
import { freudenthalGrid, IncrementalKnn, knnGraph, minimiserPool, shgo, shgoAsync } from '../../../../host/search/shgo.js';
import { SobolSequence } from '../../../../host/search/sobol.js';

const branin = (x: number[]): number => {
  const [a, b] = x as [number, number];
  return (b - (5.1 / (4 * Math.PI ** 2)) * a * a + (5 / Math.PI) * a - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(a) + 10;
};
const rastrigin = (x: number[]): number => 10 * x.length + x.reduce((s, v) => s + v * v - 10 * Math.cos(2 * Math.PI * v), 0);
const eggholder = (x: number[]): number => {
  const [a, b] = x as [number, number];
  return -(b + 47) * Math.sin(Math.sqrt(Math.abs(a / 2 + (b + 47)))) - a * Math.sin(Math.sqrt(Math.abs(a - (b + 47))));
};

describe('SHGO building blocks', () => {
  it('Freudenthal grid: a 2x2 square has the 5 edges of its two triangles', () => {
    const { adj } = freudenthalGrid(2, 2);
    const edges = new Set(adj.flatMap((ns, i) => ns.map((j) => [Math.min(i, j), Math.max(i, j)].join('-'))));
    expect([...edges].sort()).toEqual(['0-1', '0-2', '0-3', '1-3', '2-3']);
  });

  it('k-NN graph is symmetric', () => {
    const pts = [[0, 0], [0.1, 0], [1, 1], [0.9, 1], [0.5, 0.5]];
    const adj = knnGraph(pts, 1);
    adj.forEach((ns, i) => ns.forEach((j) => expect(adj[j]).toContain(i)));
  });

  it('the incrementally kept k-NN graph equals the one built from scratch after every batch (ties included)', () => {
    const sobol = new SobolSequence(3);
    const knn = new IncrementalKnn(6);
    const all: number[][] = [];
    const sorted = (adj: number[][]): number[][] => adj.map((ns) => [...ns].sort((a, b) => a - b));
    // a lattice-like batch first (many equal distances), then Sobol batches
    const grid = [0, 0.5, 1].flatMap((a) => [0, 0.5, 1].map((b) => [a, b, 0.5]));
    for (const batch of [grid, sobol.take(20), sobol.take(40)]) {
      for (const p of batch) {
        knn.add(p);
        all.push(p);
      }
      expect(sorted(knn.adjacency())).toEqual(sorted(knnGraph(all, 6)));
    }
  });

  it('minimiser pool: vertices strictly lower than all neighbours, best first', () => {
    expect(minimiserPool([3, 1, 2, 0, 5], [[1], [0, 2], [1, 3], [2, 4], [3]])).toEqual([3, 1]);
  });
});

describe('SHGO on known minima', () => {
  it('Branin: 0.397887 at all three minima (Sobol)', () => {
    const r = shgo({ f: branin, bounds: [[-5, 10], [0, 15]] }, { n: 64 });
    const near = (x: number[], p: number[]): boolean => Math.hypot(x[0]! - p[0]!, x[1]! - p[1]!) < 1e-3;
    const found = [[-Math.PI, 12.275], [Math.PI, 2.275], [9.42478, 2.475]].map((p) => r.minima.find((m) => near(m.x, p)));
    for (const m of found) {
      expect(m).toBeDefined();
      expect(m!.fun).toBeCloseTo(0.397887, 5);
    }
    expect(r.fun).toBeCloseTo(0.397887, 6);
    // sorted
    r.minima.forEach((m, i) => i > 0 && expect(m.fun).toBeGreaterThanOrEqual(r.minima[i - 1]!.fun));
  });

  it('Branin: simplicial sampling finds the three minima too', () => {
    const r = shgo({ f: branin, bounds: [[-5, 10], [0, 15]] }, { n: 64, samplingMethod: 'simplicial' });
    expect(r.minima.filter((m) => Math.abs(m.fun - 0.397887) < 1e-5)).toHaveLength(3);
  });

  it('Rastrigin 2-D: 0 at the origin, with many other local minima returned', () => {
    const r = shgo({ f: rastrigin, bounds: [[-5.12, 5.12], [-5.12, 5.12]] }, { n: 128 });
    expect(r.fun).toBeCloseTo(0, 8);
    expect(Math.abs(r.x![0]!)).toBeLessThan(1e-4);
    expect(Math.abs(r.x![1]!)).toBeLessThan(1e-4);
    expect(r.minima.length).toBeGreaterThan(5);
  });

  it('Eggholder: -959.6407 at (512, 404.2319) (n = 64 Sobol, as scipy docs)', () => {
    const r = shgo({ f: eggholder, bounds: [[-512, 512], [-512, 512]] }, { n: 64 });
    expect(r.fun).toBeCloseTo(-959.6407, 3);
    expect(r.x![0]).toBeCloseTo(512, 6);
    expect(r.x![1]).toBeCloseTo(404.2319, 3);
  });

  it('Eggholder with 3 iterations keeps the global minimum and returns more minima', () => {
    const one = shgo({ f: eggholder, bounds: [[-512, 512], [-512, 512]] }, { n: 64 });
    const three = shgo({ f: eggholder, bounds: [[-512, 512], [-512, 512]] }, { n: 64, iters: 3 });
    expect(three.fun).toBeCloseTo(-959.6407, 3);
    expect(three.minima.length).toBeGreaterThan(one.minima.length);
  });
});

describe('SHGO with constraints', () => {
  it('scipy docs example (HS73 cattle feed): 29.894378 with two inequalities and one equality', () => {
    const f = (x: number[]): number => 24.55 * x[0]! + 26.75 * x[1]! + 39 * x[2]! + 40.5 * x[3]!;
    const g1 = (x: number[]): number => 2.3 * x[0]! + 5.6 * x[1]! + 11.1 * x[2]! + 1.3 * x[3]! - 5;
    const g2 = (x: number[]): number =>
      12 * x[0]! + 11.9 * x[1]! + 41.8 * x[2]! + 52.1 * x[3]! - 21 -
      1.645 * Math.sqrt(0.28 * x[0]! ** 2 + 0.19 * x[1]! ** 2 + 20.5 * x[2]! ** 2 + 0.62 * x[3]! ** 2);
    const h1 = (x: number[]): number => x[0]! + x[1]! + x[2]! + x[3]! - 1;
    const r = shgo({ f, bounds: [[0, 1], [0, 1], [0, 1], [0, 1]], inequalities: [g1, g2], equalities: [h1] }, { n: 150 });
    expect(r.success).toBe(true);
    expect(r.fun).toBeCloseTo(29.894378, 4);
    const x = r.x!;
    [0.6355, 0, 0.3127, 0.05178].forEach((v, i) => expect(x[i]!).toBeCloseTo(v, 3));
  });

  it('min (x-2)^2 + (y-1)^2 s.t. y >= x^2, x + y <= 2: 1 at (1, 1)', () => {
    const r = shgo(
      { f: (x) => (x[0]! - 2) ** 2 + (x[1]! - 1) ** 2, bounds: [[-3, 3], [-3, 3]], inequalities: [(x) => x[1]! - x[0]! ** 2, (x) => 2 - x[0]! - x[1]!] },
      { n: 64 },
    );
    expect(r.fun).toBeCloseTo(1, 5);
    expect(r.x![0]).toBeCloseTo(1, 4);
    expect(r.x![1]).toBeCloseTo(1, 4);
  });

  it('reports no minimum when the feasible set is empty', () => {
    const r = shgo({ f: (x) => x[0]!, bounds: [[0, 1]], inequalities: [(x) => -1 - x[0]!] }, { n: 16 });
    expect(r.success).toBe(false);
    expect(r.minima).toEqual([]);
  });

  it('local minimiser respects bounds: min x on [2, 5] is 2', () => {
    const r = localMinimize({ f: (x) => x[0]!, bounds: [[2, 5]] }, [4]);
    expect(r.x[0]).toBeCloseTo(2, 8);
  });
});

describe('shgoAsync', () => {
  it('reports every iteration and stops at the iteration after its signal aborts, keeping the minima found', async () => {
    const abort = new AbortController();
    const seen: [number, number][] = [];
    const r = await shgoAsync({ f: branin, bounds: [[-5, 10], [0, 15]] }, { n: 32, iters: 6 }, {
      signal: abort.signal,
      onIteration: (done, total) => {
        seen.push([done, total]);
        if (done === 2) abort.abort();
      },
    });
    expect(seen).toEqual([[1, 6], [2, 6]]);
    expect(r.nit).toBe(2);
    expect(r.stopped).toBe(true);
    expect(r.minima.length).toBeGreaterThan(0);
  });

  it('without a signal gives the same result as shgo, iteration by iteration reported', async () => {
    const seen: number[] = [];
    const a = await shgoAsync({ f: eggholder, bounds: [[-512, 512], [-512, 512]] }, { n: 64, iters: 3 }, { onIteration: (d) => seen.push(d) });
    const b = shgo({ f: eggholder, bounds: [[-512, 512], [-512, 512]] }, { n: 64, iters: 3 });
    expect(seen).toEqual([1, 2, 3]);
    expect(a.minima).toEqual(b.minima);
    expect(a.stopped).toBe(false);
  });
});
