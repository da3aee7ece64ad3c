import { describe, expect, it } from 'vitest';
import { concurrentProgress } from '../../../../host/workflows/concurrentProgress.js';

describe('concurrentProgress', () => {
  it('shows running phases as one: labels joined, counts summed; a finished phase leaves; one phase alone is itself', () => {
    const seen: [string, number, number][] = [];
    const report = concurrentProgress((phase, done, total) => seen.push([phase, done, total]));
    report('measuring on a', 0, 4);
    report('measuring on b', 1, 3);
    report('measuring on a', 4, 4);
    report('measuring on b', 2, 3);
    expect(seen).toEqual([
      ['measuring on a', 0, 4],
      ['measuring on a; measuring on b', 1, 7],
      ['measuring on a; measuring on b', 5, 7],
      ['measuring on b', 2, 3],
    ]);
  });
});
