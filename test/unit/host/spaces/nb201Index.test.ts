/**
 * The shipped NAS-Bench-201 index table and seeded samples over it. The table is checked against the shared
 * benchmark CSV it was made from when that file is beside the project (as in CI).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { selectArchs } from '../../../../host/cli/archSelection.js';
import { nb201ArchAtIndex, nb201IndexCodes } from '../../../../host/spaces/nb201Index.js';
import { readCsv } from '../../../../host/util/csv.js';

const SHARED_CSV = new URL('../../../../../shared/data/nb201/nb201_accuracy.csv', import.meta.url);
const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/numpyChoice.json', import.meta.url), 'utf8')) as {
  choice: { seed: string; population: number; n: number; values?: number[] }[];
};

describe('NAS-Bench-201 index order', () => {
  it('maps index 0 and 6111 (the best CIFAR-10 cell) to the benchmark strings', () => {
    expect(nb201ArchAtIndex(0)).toBe('|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|');
    expect(nb201ArchAtIndex(6111)).toBe('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|');
    expect(() => nb201ArchAtIndex(15625)).toThrow(/15625/);
  });

  it.skipIf(!existsSync(SHARED_CSV))('agrees with every row of the shared benchmark CSV', () => {
    const rows = readCsv(readFileSync(SHARED_CSV, 'utf8'));
    expect(rows).toHaveLength(nb201IndexCodes().length);
    for (const row of rows) expect(nb201ArchAtIndex(Number(row.index))).toBe(row.arch_str);
  });

  it('draws --sample n --seed s as np.random.default_rng(s).choice(15625, n, replace=False) over benchmark indices', () => {
    const reference = fixture.choice.find((c) => c.seed === '0' && c.population === 15625 && c.n === 1000)!;
    const archs = selectArchs({ sample: 1000, seed: 0 });
    expect(archs).toEqual(reference.values!.map(nb201ArchAtIndex));
    expect(new Set(archs).size).toBe(1000);
  });

  it('rejects a seed NumPy would reject, naming it', () => {
    expect(() => selectArchs({ sample: 5, seed: -3 })).toThrow(/--seed.*-3/);
    expect(() => selectArchs({ sample: 5, seed: 1.5 })).toThrow(/1\.5/);
  });
});
