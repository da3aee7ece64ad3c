import { describe, expect, it } from 'vitest';
import { SobolSequence } from '../../../../host/search/sobol.js';

// Reference points from scipy.stats.qmc.Sobol(16, scramble=False).random(1024) (scipy 1.17.1): rows 100 and 1023.
const ROW_100 = [0.4140625, 0.2578125, 0.7734375, 0.7265625, 0.8828125, 0.7421875, 0.0234375, 0.4765625, 0.6328125, 0.6953125, 0.4609375, 0.6796875, 0.4765625, 0.8515625, 0.3203125, 0.4921875];
const ROW_1023 = [0.0009765625, 0.7529296875, 0.6123046875, 0.1455078125, 0.1865234375, 0.4384765625, 0.1396484375, 0.6181640625, 0.3447265625, 0.8505859375, 0.6787109375, 0.0361328125, 0.1298828125, 0.6650390625, 0.3623046875, 0.4638671875];

describe('Sobol sequence (Joe–Kuo direction numbers)', () => {
  it('starts 0, 1/2, then (3/4,1/4,1/4,...) as scipy', () => {
    const s = new SobolSequence(4);
    expect(s.next()).toEqual([0, 0, 0, 0]);
    expect(s.next()).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(s.next()).toEqual([0.75, 0.25, 0.25, 0.25]);
  });

  it('matches scipy rows 100 and 1023 in 16 dimensions', () => {
    const pts = new SobolSequence(16).take(1024);
    expect(pts[100]).toEqual(ROW_100);
    expect(pts[1023]).toEqual(ROW_1023);
  });

  it('the first 2^m points stratify every 1-D projection into 2^m cells', () => {
    const pts = new SobolSequence(10).take(256);
    for (let d = 0; d < 10; d++) {
      const cells = new Set(pts.map((p) => Math.floor(p[d]! * 256)));
      expect(cells.size).toBe(256);
    }
  });

  it('rejects 17 dimensions', () => {
    expect(() => new SobolSequence(17)).toThrow(/outside 1..16/);
  });
});
