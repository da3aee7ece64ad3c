import { describe, expect, it } from 'vitest';
import { predictionErrors, TargetCostModel } from '../../../../host/cost/targetCostModel.js';
import { openSpace } from '../../../../host/spaces/index.js';
import { analyticMetrics } from '../../../../host/metrics/analytic.js';
import { SeededRng } from '../../../../host/search/rng.js';

const entry = openSpace('nb201');
const graphOf = (a: string) => entry.deviceGraph(entry.space.parse(a));
const CELLS = [
  '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|',
  '|nor_conv_1x1~0|+|skip_connect~0|nor_conv_1x1~1|+|skip_connect~0|skip_connect~1|nor_conv_3x3~2|',
  '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|',
  '|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|nor_conv_1x1~2|',
  '|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_3x3~2|',
  '|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_1x1~1|nor_conv_1x1~2|',
  '|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|',
];
const device = (a: string): number => 0.3 + analyticMetrics(graphOf(a)).macs / 4e7;

describe('TargetCostModel: starts from what is known, refits from measurements', () => {
  it('predicts nothing before a measurement without a lookup table, then the analytic model, then the cross-validated ones', () => {
    const m = new TargetCostModel({ metric: 'latencyMs', graphOf });
    expect(m.predict(CELLS[0]!)).toBeUndefined();
    m.observe(CELLS[1]!, device(CELLS[1]!));
    m.refit();
    expect(m.name).toMatch(/macs-proportional/);
    for (const c of CELLS.slice(2, 4)) m.observe(c, device(c));
    m.refit();
    expect(m.name).toMatch(/log-linear/);
    for (const c of CELLS.slice(4)) m.observe(c, device(c));
    m.refit();
    expect(m.name).toMatch(/log-linear/);
    const rng = new SeededRng(3);
    while (m.samples.size < 12) {
      const a = entry.space.format(entry.space.sample(rng));
      if (a !== CELLS[0] && !entry.space.isDegenerate!(entry.space.parse(a))) m.observe(a, device(a));
    }
    m.refit();
    expect(m.name).toMatch(/auto, 12 samples/);
    const p = m.predict(CELLS[0]!)!;
    expect(Math.abs(p.value - device(CELLS[0]!)) / device(CELLS[0]!)).toBeLessThan(0.1);
    expect(p.uncertainty).toBeGreaterThanOrEqual(0.05 * p.value); // never below the noise floor
  });

  it('ignores values that are not positive finite measurements', () => {
    const m = new TargetCostModel({ metric: 'latencyMs', graphOf });
    m.observe(CELLS[0]!, 0);
    m.observe(CELLS[1]!, Number.NaN);
    expect(m.samples.size).toBe(0);
  });

  it('a snapshot carries what a refit needs', () => {
    const m = new TargetCostModel({ metric: 'energyJ', graphOf });
    m.observe(CELLS[0]!, 0.002);
    m.refit();
    const s = m.snapshot({ target: 'pi', space: 'nb201', spaceOptions: {}, round: 1, lut: null, errors: null });
    expect(s).toMatchObject({ format: 'zeronas-target-model', version: 1, metric: 'energyJ', samples: [{ arch: CELLS[0], value: 0.002 }] });
  });

  it('prediction errors: MAPE, share within ±10%, Spearman', () => {
    const e = predictionErrors([{ predicted: 1.05, measured: 1 }, { predicted: 2.4, measured: 2 }, { predicted: 2.9, measured: 3 }]);
    expect(e.n).toBe(3);
    expect(e.mapePercent!).toBeCloseTo(((0.05 + 0.2 + 0.1 / 3) / 3) * 100, 9);
    expect(e.within10).toBeCloseTo(2 / 3, 12);
    expect(e.spearman).toBeCloseTo(1, 12);
  });
});

describe('TargetCostModel seeded by a lookup table', () => {
  it('predicts from the raw table sum before any measurement (uncertainty = the value), then calibrates a + b·sum', async () => {
    const { enumerateSpaceKernels } = await import('../../../../host/cost/kernelKeys.js');
    const { parseLookupTable, predictFromLut } = await import('../../../../host/cost/lookupTable.js');
    // A synthetic table: every NB201 kernel at 0.01 ms per 1 M MACs-ish (its key's hash), n = 5.
    const entries: Record<string, { medianMs: number; p90Ms: number; n: number }> = {};
    for (const k of enumerateSpaceKernels('nb201', { datasets: ['cifar10'], executions: ['all'] })) {
      const h = [...k.key].reduce((a, c) => (a * 31 + c.charCodeAt(0)) % 997, 7);
      entries[k.key] = { medianMs: 0.01 + h / 1e4, p90Ms: 0.02 + h / 1e4, n: 5 };
    }
    const lut = parseLookupTable({
      format: 'zeronas-lut', version: 1, device: { fingerprint: 'f'.repeat(64) }, runtime: { name: 'ort-node', version: '1.30.0' },
      executionProvider: 'cpu', threads: 1, measurement: { warmupRuns: 1, repeats: 5, batch: 1, foldBatchNorm: true }, execution: 'all', createdAt: '2026-12-06', entries,
    });
    const m = new TargetCostModel({ metric: 'latencyMs', graphOf, lut });
    const raw = predictFromLut(lut, graphOf(CELLS[0]!)).valueMs;
    expect(m.name).toBe('lookup table, uncalibrated sum');
    expect(m.predict(CELLS[0]!)).toEqual({ value: raw, uncertainty: raw });
    // The device runs 0.5 ms of fixed overhead plus 2x the table sum: two samples calibrate it exactly.
    const device2 = (a: string): number => 0.5 + 2 * predictFromLut(lut, graphOf(a)).valueMs;
    for (const c of CELLS.slice(1, 3)) m.observe(c, device2(c));
    m.refit();
    expect(m.name).toMatch(/lookup table, a \+ b·sum \(2 samples\)/);
    expect(m.predict(CELLS[0]!)!.value).toBeCloseTo(device2(CELLS[0]!), 3);
    // An energy model does not use a latency table.
    expect(new TargetCostModel({ metric: 'energyJ', graphOf, lut }).predict(CELLS[0]!)).toBeUndefined();
  });
});
