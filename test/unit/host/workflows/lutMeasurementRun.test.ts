/**
 * Which stored kernel measurements `zeronas lut` reuses: a real job store (SQLite in memory) holding measurements
 * recorded through the scheduler, with the device/runtime fields of an agent's result; the agents "now connected"
 * are descriptors with a fingerprint and runtimes, as hello carries them.
 */
import { describe, expect, it } from 'vitest';
import { Store } from '../../../../host/orchestrator/store.js';
import { Scheduler } from '../../../../host/orchestrator/scheduler.js';
import { chooseLutMeasurementRun, nextLutRunId } from '../../../../host/workflows/lutMeasurementRun.js';

const FP_A = 'a'.repeat(64);
const FP_B = 'b'.repeat(64);
const agent = (fingerprint: string, version: string) => ({ name: 'pi3b-kitchen', fingerprint, runtimes: [{ runtime: 'ort-node', version, isAvailable: true }] });

/** Records one finished kernel job of run `runId` for target pi3b, measured on `fingerprint` with ort-node `version`. */
function record(store: Store, sched: Scheduler, runId: string, label: string, fingerprint: string, version: string): void {
  const sha = store.putModel(new TextEncoder().encode(label), label);
  sched.enqueue({ runId, target: 'pi3b', kind: 'kernel', arch: label, modelSha256: sha, settings: {}, dedupeKey: `${runId}|pi3b|kernel|${label}` });
  const lease = sched.lease('agent-1', ['pi3b'])!;
  const result = { device: { fingerprint, name: 'pi3b-kitchen' }, runtime: { runtime: 'ort-node', version } };
  expect(sched.complete(lease.job.id, lease.token, { agentId: 'agent-1', latencyMedianMs: 1, energyJ: null, result })).toBe('accepted');
}

function storeWith(fingerprint: string, version: string): { store: Store; sched: Scheduler } {
  const store = new Store(':memory:');
  const sched = new Scheduler(store, { leaseMs: 10_000, backoffBaseMs: 1_000, backoffMaxMs: 8_000 });
  for (const k of ['k1', 'k2']) record(store, sched, 'lut', k, fingerprint, version);
  record(store, sched, 'lut.r1', 'k1', fingerprint, version);
  return { store, sched };
}

describe('lut measurement run: what a rerun reuses', () => {
  it('reuses the stored run when the connected agent has the same device and runtime version', () => {
    const { store } = storeWith(FP_A, '1.30.0');
    const run = chooseLutMeasurementRun(store, { target: 'pi3b', rounds: 2, agents: [agent(FP_A, '1.30.0')] });
    expect(run).toMatchObject({ runId: 'lut', restartReason: null });
    expect(run.reused.map((r) => `${r.run_id}:${r.arch}`)).toEqual(['lut:k1', 'lut:k2', 'lut.r1:k1']);
    // Only the rounds asked for count.
    expect(chooseLutMeasurementRun(store, { target: 'pi3b', rounds: 1, agents: [agent(FP_A, '1.30.0')] }).reused).toHaveLength(2);
  });

  it('starts a new run (nothing reused) after a runtime update, naming both versions, and keeps reusing that new run', () => {
    const { store, sched } = storeWith(FP_A, '1.30.0');
    const run = chooseLutMeasurementRun(store, { target: 'pi3b', rounds: 2, agents: [agent(FP_A, '1.31.0')] });
    expect(run).toMatchObject({ runId: 'lut.g1', reused: [], restartReason: 'stale', previousRunId: 'lut' });
    expect(run.stale!.warning.mismatches).toEqual([{ field: 'runtimeVersion', table: '1.30.0', current: '1.31.0' }]);
    record(store, sched, 'lut.g1', 'k1', FP_A, '1.31.0');
    const again = chooseLutMeasurementRun(store, { target: 'pi3b', rounds: 2, agents: [agent(FP_A, '1.31.0')] });
    expect(again).toMatchObject({ runId: 'lut.g1', restartReason: null });
    expect(again.reused.map((r) => r.arch)).toEqual(['k1']);
  });

  it('starts a new run for another device (fingerprint)', () => {
    const { store } = storeWith(FP_A, '1.30.0');
    const run = chooseLutMeasurementRun(store, { target: 'pi3b', rounds: 2, agents: [agent(FP_B, '1.30.0')] });
    expect(run).toMatchObject({ runId: 'lut.g1', restartReason: 'stale' });
    expect(run.stale!.warning.mismatches.map((m) => m.field)).toEqual(['deviceFingerprint']);
  });

  it('--fresh starts a new run even on the same device and runtime (when the current one holds measurements)', () => {
    const { store } = storeWith(FP_A, '1.30.0');
    const same = [agent(FP_A, '1.30.0')];
    expect(chooseLutMeasurementRun(store, { target: 'pi3b', rounds: 2, agents: same, fresh: true })).toMatchObject({ runId: 'lut.g1', reused: [], restartReason: 'fresh' });
    // The new run has no measurements yet: a second --fresh has nothing to discard and keeps it.
    expect(chooseLutMeasurementRun(store, { target: 'pi3b', rounds: 2, agents: same, fresh: true })).toMatchObject({ runId: 'lut.g1', restartReason: null });
    expect(nextLutRunId('lut.g1')).toBe('lut.g2');
  });

  it('an empty store measures everything under the first run id', () => {
    const store = new Store(':memory:');
    expect(chooseLutMeasurementRun(store, { target: 'pi3b', rounds: 3, agents: [agent(FP_A, '1.30.0')] })).toMatchObject({ runId: 'lut', reused: [], restartReason: null });
  });
});
