import { describe, expect, it } from 'vitest';
import { runTimingLoop } from '../../../../shared/measure/timingLoop.js';
import { FakeClock, fakeRuntime } from './fakes.js';

const inputs = { names: ['input'] };

async function loop(runMs: number, s: Partial<Parameters<typeof runTimingLoop>[3]>) {
  const clock = new FakeClock();
  const runtime = fakeRuntime(clock, () => runMs);
  const model = await runtime.load(new Uint8Array(), { executionProvider: 'cpu', threads: 1, isProfiling: false });
  return runTimingLoop(model, inputs, clock, { warmupRuns: 0, warmupMinMs: 0, minRuns: 1, minTotalMs: 0, maxTotalMs: 1e9, ...s });
}

describe('runTimingLoop', () => {
  it('warm-up needs both warmupRuns=3 and warmupMinMs=100 (10 ms runs -> 10 warm-up runs)', async () => {
    const r = await loop(10, { warmupRuns: 3, warmupMinMs: 100 });
    expect(r.warmupRuns).toBe(10);
    expect(r.warmupMs).toBe(100);
  });

  it('minRuns=50 dominates when runs are slow enough to pass minTotalMs (10 ms runs, minTotalMs 100)', async () => {
    const r = await loop(10, { minRuns: 50, minTotalMs: 100 });
    expect(r.samplesMs.length).toBe(50);
    expect(r.stoppedBy).toBe('targets-reached');
  });

  it('minTotalMs=1000 dominates for fast runs (2 ms runs, minRuns 5 -> 500 samples)', async () => {
    const r = await loop(2, { minRuns: 5, minTotalMs: 1000 });
    expect(r.samplesMs.length).toBe(500);
    expect(r.samplesMs.every((x) => x === 2)).toBe(true);
  });

  it('maxTotalMs=300 caps a 100-run target of 10 ms runs (30 samples, stoppedBy max-time)', async () => {
    const r = await loop(10, { minRuns: 100, maxTotalMs: 300 });
    expect(r.samplesMs.length).toBe(30);
    expect(r.stoppedBy).toBe('max-time');
  });

  it('takes at least one sample even when one run exceeds maxTotalMs', async () => {
    const r = await loop(500, { minRuns: 10, maxTotalMs: 100 });
    expect(r.samplesMs).toEqual([500]);
  });
});
