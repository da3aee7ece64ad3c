import { describe, expect, it } from 'vitest';
import { crowdingDistance, dominates, nonDominatedSort, paretoFront } from '../../../../host/search/pareto.js';

describe('Pareto utilities', () => {
  it('dominance (minimisation)', () => {
    expect(dominates([1, 1], [2, 2])).toBe(true);
    expect(dominates([1, 2], [2, 1])).toBe(false);
    expect(dominates([1, 1], [1, 1])).toBe(false);
  });

  it('paretoFront keeps the non-dominated points in input order, with maximise flags', () => {
    const pts = [{ values: [1, 5] }, { values: [2, 2] }, { values: [3, 3] }, { values: [5, 1] }, { values: [2, 2] }];
    expect(paretoFront(pts).map((p) => p.values)).toEqual([[1, 5], [2, 2], [5, 1], [2, 2]]);
    // maximise the first objective (a score), minimise the second (a latency)
    const archs = [{ values: [0.9, 10] }, { values: [0.8, 5] }, { values: [0.7, 6] }, { values: [0.95, 20] }];
    expect(paretoFront(archs, { maximise: [true, false] }).map((p) => p.values[0])).toEqual([0.9, 0.8, 0.95]);
  });

  it('non-dominated sort gives successive fronts; constrained domination puts infeasible last', () => {
    const obj = [[1, 4], [2, 3], [3, 3], [4, 1], [4, 4]];
    expect(nonDominatedSort(obj)).toEqual([[0, 1, 3], [2], [4]]);
    expect(nonDominatedSort(obj, [0, 0, 0, 0.5, 0])).toEqual([[0, 1], [2], [4], [3]]);
  });

  it('crowding distance: boundary points infinite, inner points normalised gaps', () => {
    const obj = [[0, 4], [1, 2], [2, 1], [4, 0]];
    const d = crowdingDistance(obj, [0, 1, 2, 3]);
    expect(d.get(0)).toBe(Infinity);
    expect(d.get(3)).toBe(Infinity);
    expect(d.get(1)).toBeCloseTo(2 / 4 + 3 / 4, 12);
    expect(d.get(2)).toBeCloseTo(3 / 4 + 2 / 4, 12);
  });
});
