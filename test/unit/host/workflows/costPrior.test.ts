/**
 * `zeronas costmodel prior`'s workflow on a real run store: a device measured in a run becomes a reference of the
 * prior, replayed targets are skipped, and a device with too few measurements is named, not fitted.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTruthCsv } from '../../../../host/cost/benchCostModel.js';
import { shuffled } from '../../../../host/cost/costModel.js';
import { PriorCostModel } from '../../../../host/cost/prior/priorCostModel.js';
import { loadFleetPrior, validateFleetPrior } from '../../../../host/cost/prior/priorFile.js';
import { Scheduler } from '../../../../host/orchestrator/scheduler.js';
import { Store } from '../../../../host/orchestrator/store.js';
import { buildNb201Network } from '../../../../host/spaces/nb201.js';
import { buildFleetPriorFromRuns } from '../../../../host/workflows/costPrior.js';
import { fakeDescriptor } from '../../../helpers/simAgent.js';

const HW = join(import.meta.dirname, '../../../../../shared/data/hw/hwnasbench_nb201.csv');

function runFolder(root: string, runId: string, rows: [target: string, arch: string, ms: number, runtime: string][]): string {
  const dir = join(root, runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ runId, space: 'nb201', targets: [...new Set(rows.map((r) => r[0]))] }));
  const store = new Store(join(dir, 'store.sqlite'));
  const scheduler = new Scheduler(store, { leaseMs: 60_000, backoffBaseMs: 1, backoffMaxMs: 1 });
  store.upsertAgent('kitchen@abc', 'kitchen', fakeDescriptor('kitchen'), false);
  rows.forEach(([target, arch, ms, runtime], i) => {
    const sha = store.putModel(new Uint8Array([i & 255, i >> 8]), arch);
    const id = scheduler.enqueue({ runId, target, kind: 'measure', arch, modelSha256: sha, settings: {}, dedupeKey: `${target}|${arch}|${i}` });
    const lease = scheduler.lease('kitchen@abc', [target])!;
    scheduler.complete(id, lease.token, { agentId: 'kitchen@abc', latencyMedianMs: ms, energyJ: null, result: { runtime: { runtime } } });
  });
  store.close();
  return dir;
}

describe('costmodel prior from run folders', () => {
  it('adds a measured device as a reference, skips replayed and under-measured ones', async () => {
    const truth = await loadTruthCsv(HW);
    const pi = truth.columns.get('cifar10_raspi4_latency')!;
    const picks = shuffled(truth.archs.length, 5).slice(0, 80);
    const root = mkdtempSync(join(tmpdir(), 'zeronas-prior-'));
    // 'kitchen-pi' measured 80 cells (HW-NAS-Bench's Pi 4 values, ×1.5: a slower Pi); 'pi3b' only 5; 'raspi4' replayed.
    runFolder(root, 'r1', [
      ...picks.map((i): [string, string, number, string] => ['kitchen-pi', truth.archs[i]!, 1.5 * pi[i]!, 'ort-node']),
      ...picks.slice(0, 5).map((i): [string, string, number, string] => ['pi3b', truth.archs[i]!, 3 * pi[i]!, 'ort-node']),
      ...picks.slice(0, 5).map((i): [string, string, number, string] => ['raspi4', truth.archs[i]!, pi[i]!, 'replay']),
    ]);
    // `zeronas lut` keeps its job store under runs/ too (a store, no config.json): not a run, passed over.
    mkdirSync(join(root, 'lut-local-nb201-cifar10'));
    new Store(join(root, 'lut-local-nb201-cifar10', 'store.sqlite')).close();
    const base = await loadFleetPrior('hwnasbench');
    const built = buildFleetPriorFromRuns(base, [root]);
    expect(built.added.map((r) => `${r.device}/${r.dataset}/${r.metric}`)).toEqual(['kitchen-pi/cifar10/latency']);
    expect(built.skipped.map((s) => s.device).sort()).toEqual(['pi3b', 'raspi4']);
    expect(built.skipped.find((s) => s.device === 'pi3b')!.reason).toMatch(/5 measured architectures; a reference needs at least/);
    expect(built.prior.references).toHaveLength(base.references.length + 1);
    validateFleetPrior(JSON.parse(JSON.stringify(built.prior)));
    // the shipped base carries the positional basis: the device is fitted on it too, nested in its kernel reference
    const kernelRef = built.added[0]!;
    const positionalRef = built.prior.positional!.references.find((r) => r.device === 'kitchen-pi')!;
    expect(built.prior.positional!.references).toHaveLength(base.positional!.references.length + 1);
    expect(positionalRef.weights.slice(0, kernelRef.weights.length)).toEqual(kernelRef.weights);
    expect(positionalRef.weights).toHaveLength(base.positional!.features.length + 1);
    // The new reference is what a Pi-like device now resembles most: a model of the Pi 4 with only kitchen-pi and
    // non-Pi devices in its prior puts its weight on kitchen-pi.
    const model = new PriorCostModel(built.prior, { excludeDevices: ['raspi4', 'pixel3'], dataset: 'cifar10' });
    const train = shuffled(truth.archs.length, 9).slice(0, 10);
    model.fit(train.map((i) => ({ graph: buildNb201Network(truth.archs[i]!), value: pi[i]! })));
    expect(Object.keys(model.describe().familyWeights as object)[0]).toBe('kitchen-pi/cifar10/latency');
  });

  it('names a folder that holds no run', () => {
    const empty = mkdtempSync(join(tmpdir(), 'zeronas-prior-empty-'));
    return loadFleetPrior('hwnasbench').then((base) => expect(() => buildFleetPriorFromRuns(base, [empty])).toThrow(/no run folder/));
  });
});
