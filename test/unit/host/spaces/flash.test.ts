import { describe, expect, it } from 'vitest';
import { analyticMetrics } from '../../../../host/metrics/analytic.js';
import {
  FLASH_DEFAULT_RANGES,
  buildFlashNetwork,
  createFlashSpace,
  flashFeatures,
  flashNnDegree,
  flashParams,
  flashSkipCounts,
  flashSpaceSize,
  formatFlash,
  parseFlash,
} from '../../../../host/spaces/flash.js';
import { SeededRng } from '../../../../host/search/rng.js';

const A = { depth: [13, 13, 13], width: [32, 64, 128], skip: [40, 80, 125] };
const B = { depth: [8, 8, 8], width: [32, 64, 128], skip: [10, 20, 40] };

describe('FLASH space params (§B.6)', () => {
  it('d=13, t=[40,80,125]: 4,653,192 params (closed form and IR)', () => {
    expect(flashParams(A)).toBe(4_653_192);
    expect(analyticMetrics(buildFlashNetwork(A)).params).toBe(4_653_192);
  });

  it('d=8, t=[10,20,40]: 1,835,570 params (closed form and IR)', () => {
    expect(flashParams(B)).toBe(1_835_570);
    expect(analyticMetrics(buildFlashNetwork(B)).params).toBe(1_835_570);
  });

  it('closed-form MACs equal the IR conv/linear MACs (minus the 10 linear biases) on an uneven arch', () => {
    const a = { depth: [5, 3, 9], width: [16, 40, 8], skip: [24, 0, 120] };
    const m = analyticMetrics(buildFlashNetwork(a));
    expect(flashFeatures(a).params).toBe(m.params);
    expect(flashFeatures(a).macs).toBe(m.macsTextbook - 10);
  });

  it('t_{c,j} = min(t_c, (j-1) w_c)', () => {
    expect(flashSkipCounts(A)[0]!.slice(0, 3)).toEqual([32, 40, 40]);
    expect(flashSkipCounts(A)[1]!.slice(0, 2)).toEqual([64, 80]);
  });

  it('relaxed depth interpolates linearly between integers', () => {
    const lo = flashParams({ ...A, depth: [12, 13, 13] });
    const mid = flashParams({ ...A, depth: [12.5, 13, 13] });
    expect(mid).toBeCloseTo((lo + 4_653_192) / 2, 6);
  });
});

describe('FLASH NN-Degree (§D.1)', () => {
  it('d=13, t=[40,80,125]: 431.308 uncapped, 429.462 capped', () => {
    expect(flashNnDegree(A, { capped: false })).toBeCloseTo(431.308, 3);
    expect(flashNnDegree(A, { capped: true })).toBeCloseTo(429.462, 3);
  });

  it('d=8, t=[10,20,40]: 276.5 either way', () => {
    expect(flashNnDegree(B, { capped: false })).toBeCloseTo(276.5, 9);
    expect(flashNnDegree(B)).toBeCloseTo(276.5, 9);
  });
});

describe('FLASH knob lattice', () => {
  it('default ranges give 16^9 = 68,719,476,736 configurations', () => {
    expect(flashSpaceSize(FLASH_DEFAULT_RANGES)).toBe(16 ** 9);
  });

  it('round-trips the text form and rejects a malformed one (ZN_BAD_ARCH_STRING)', () => {
    expect(formatFlash(parseFlash('FLASH(d=13,13,13;w=32,64,128;t=40,80,125)'))).toBe('FLASH(d=13,13,13;w=32,64,128;t=40,80,125)');
    expect(() => parseFlash('FLASH(d=13,13;w=32,64,128;t=40,80,125)')).toThrow(
      expect.objectContaining({ code: 'ZN_BAD_ARCH_STRING', message: expect.stringContaining('2 depths') }),
    );
  });

  it('sample and mutate stay on the lattice', () => {
    const space = createFlashSpace();
    const rng = new SeededRng(1);
    for (let i = 0; i < 100; i++) {
      const a = space.mutate(space.sample(rng), rng, 2);
      a.depth.forEach((d) => expect(d >= 2 && d <= 17 && Number.isInteger(d)).toBe(true));
      a.width.forEach((w) => expect(w % 8 === 0 && w >= 8 && w <= 128).toBe(true));
      a.skip.forEach((t) => expect(t % 8 === 0 && t >= 0 && t <= 120).toBe(true));
    }
    // 9 knobs x ±1, minus w_2 = 128 which is at the top of its range
    expect(space.neighbourhood(space.initial())).toHaveLength(17);
  });

  it('skip channels are a contiguous run of the oldest pool channels (IR concat inputs)', () => {
    const g = buildFlashNetwork({ depth: [5, 2, 2], width: [16, 8, 8], skip: [20, 0, 0] });
    // layer 4 of cell 0 reads out_3 then the last 20 pool channels: 4 of out_2 (its cut part) and all of out_1
    const cat = g.nodes.find((n) => n.name === 'cells.0.layers.4.in')!;
    expect(cat.inputs).toEqual(['cells.0.layers.3.conv', 'cells.0.layers.2.conv.part1', 'cells.0.layers.1.bn']);
  });
});
