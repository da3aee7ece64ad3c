import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { drawReplayNoise, loadReplayTable, parseReplayTable } from '../../../../agent/replay/index.js';
import { median } from '../../../../shared/measure/robustStats.js';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/hwnasbench_nb201_subset.csv', import.meta.url));
const ARCH_0 = '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|';

describe('replay noise: ln(noise / main) centred at its median', () => {
  const table = loadReplayTable(FIXTURE, { column: 'cifar10_raspi4_latency', noiseColumn: 'cifar100_raspi4_latency' });
  const noise = table.noise!;

  it('uses every row where both columns are > 0, and the centred log-ratios have median 0', () => {
    expect(noise.centredLogRatios).toHaveLength(12);
    expect(median(noise.centredLogRatios)).toBeCloseTo(0, 12);
    // Row 0: ln(10.43298 / 10.48198) minus the median.
    expect(noise.centredLogRatios[0]! + noise.medianLogRatio).toBeCloseTo(Math.log(10.43298 / 10.48198), 12);
  });

  it('skips pairs where either value is 0 or unusable', () => {
    const t = parseReplayTable(['arch_str,lat,other', 'a,1,2', 'b,0,2', 'c,1,nan', 'd,2,2'].join('\n'), 't.csv', {
      column: 'lat',
      noiseColumn: 'other',
    });
    expect(t.noise!.centredLogRatios).toHaveLength(2);
    expect(t.noise!.medianLogRatio).toBeCloseTo((Math.log(2) + 0) / 2, 12);
  });

  it('rejects a noise column with no usable pair (ZN_BAD_DATA naming it)', () => {
    expect(() =>
      parseReplayTable(['arch_str,lat,other', 'a,1,nan'].join('\n'), 't.csv', { column: 'lat', noiseColumn: 'other' }),
    ).toThrow(
      expect.objectContaining({ code: 'ZN_BAD_DATA', message: expect.stringContaining("noise column 'other'") }),
    );
  });

  it('draws the same factor for the same (seed, label, job id), a factor exp(c_j) of one row', () => {
    const a = drawReplayNoise(noise, 7, ARCH_0, '12.1');
    expect(drawReplayNoise(noise, 7, ARCH_0, '12.1')).toEqual(a);
    expect(a.factor).toBeCloseTo(Math.exp(noise.centredLogRatios[a.index]!), 15);
    const draws = Array.from({ length: 200 }, (_, i) => drawReplayNoise(noise, 7, ARCH_0, `${i}.1`).index);
    expect(new Set(draws).size).toBeGreaterThan(6); // job ids spread over the rows
    const bySeed = Array.from({ length: 50 }, (_, s) => drawReplayNoise(noise, s, ARCH_0, '12.1').index);
    expect(new Set(bySeed).size).toBeGreaterThan(3);
  });
});
