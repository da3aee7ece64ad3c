/**
 * `zeronas results` and `zeronas fleet` on run folders holding real stores: rows in HW-NAS-Bench's conventions (they
 * join with the published table on index and arch_str), medians over the run and its verification rounds, replayed
 * devices labelled, and every agent the stores know with its latest result. Run as the real CLI.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../host/orchestrator/scheduler.js';
import { Store } from '../../host/orchestrator/store.js';
import { parseCsvRows } from '../../shared/csv.js';
import { runCli } from '../helpers/runCli.js';
import { fakeDescriptor } from '../helpers/simAgent.js';

const HW = join(import.meta.dirname, '../../../shared/data/hw/hwnasbench_nb201.csv');
const A = '|avg_pool_3x3~0|+|none~0|skip_connect~1|+|skip_connect~0|none~1|avg_pool_3x3~2|'; // index 7519
const B = '|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|'; // index 5836

/** A run folder with a config and a store in which `agent` measured `rows` (run id, target, arch, ms, mJ, runtime). */
function runFolder(root: string, runId: string, agent: string, rows: [string, string, string, number, number | null, string][]): string {
  const dir = join(root, runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ runId, space: 'nb201', targets: [...new Set(rows.map((r) => r[1]))] }));
  const store = new Store(join(dir, 'store.sqlite'));
  const scheduler = new Scheduler(store, { leaseMs: 60_000, backoffBaseMs: 1, backoffMaxMs: 1 });
  store.upsertAgent(agent, agent.split('@')[0]!, fakeDescriptor(agent.split('@')[0]!), false);
  rows.forEach(([run, target, arch, ms, mj, runtime], i) => {
    const sha = store.putModel(new Uint8Array([i, ms]), arch);
    const id = scheduler.enqueue({ runId: run, target, kind: 'measure', arch, modelSha256: sha, settings: {}, dedupeKey: `${run}|${target}|${arch}|${i}` });
    const lease = scheduler.lease(agent, [target])!;
    expect(lease.job.id).toBe(id);
    scheduler.complete(id, lease.token, { agentId: agent, latencyMedianMs: ms, energyJ: mj === null ? null : mj / 1000, result: { runtime: { runtime } } });
  });
  store.close();
  return dir;
}

describe('zeronas results and fleet', () => {
  it('exports one row per architecture in HW-NAS-Bench columns that join with the published table', async () => {
    const root = mkdtempSync(join(tmpdir(), 'zeronas-results-'));
    const dir = runFolder(root, 'r1', 'kitchen@abc', [
      ['r1', 'pi3b', A, 10, 30, 'ort-node'],
      ['r1.verify-0', 'pi3b', A, 12, 34, 'ort-node'],
      ['r1.verify-1', 'pi3b', A, 11, 32, 'ort-node'],
      // median (0.1 + 0.2) / 2 is 0.15000000000000002 in binary: the export prints 0.15
      ['r1', 'pi3b', B, 0.1, null, 'ort-node'],
      ['r1.verify-0', 'pi3b', B, 0.2, null, 'ort-node'],
      ['r1', 'raspi4', B, 25.5, null, 'replay'],
      ['other-run', 'pi3b', B, 999, null, 'ort-node'], // another run in the same store: not this run's
    ]);
    const out = join(root, 'r1.csv');
    const r = await runCli(['results', dir, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = parseCsvRows(readFileSync(out, 'utf8'));
    const csv = { header, rows };
    expect(csv.header).toEqual(['index', 'arch_str', 'cifar10_pi3b_latency', 'cifar10_pi3b_energy', 'cifar10_pi3b_n', 'cifar10_pi3b_source', 'cifar10_raspi4_latency', 'cifar10_raspi4_n', 'cifar10_raspi4_source']);
    const byArch = new Map(csv.rows.map((row) => [row[1], row]));
    expect(byArch.get(A)).toEqual(['7519', A, '11', '32', '3', 'measured', '', '0', '']);
    expect(byArch.get(B)).toEqual(['5836', B, '0.15', '', '2', 'measured', '25.5', '1', 'replay']);
    // The index and arch_str are HW-NAS-Bench's own: the rows join with the published table.
    const hwArch = new Map(parseCsvRows(readFileSync(HW, 'utf8')).map((row) => [row[0], row[1]]));
    for (const row of csv.rows) expect(hwArch.get(row[0]!)).toBe(row[1]);
    const json = await runCli(['results', dir, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ runId: 'r1', space: 'nb201', rows: expect.any(Array) });
  });

  it('fleet lists every agent of the stores under a folder with its latest result; a non-run folder is named', async () => {
    const root = mkdtempSync(join(tmpdir(), 'zeronas-fleet-'));
    runFolder(root, 'r1', 'kitchen@abc', [['r1', 'pi3b', A, 10, null, 'ort-node']]);
    runFolder(root, 'r2', 'kitchen@abc', [['r2', 'pi3b', B, 41, null, 'ort-node']]);
    // the laptop's latest measurement is a verification round: named by its run and its stage, not '<id>.verify-0'
    runFolder(root, 'r3', 'laptop@def', [['r3', 'x86-desktop', B, 2, null, 'ort-node'], ['r3.verify-0', 'x86-desktop', B, 2.1, null, 'ort-node']]);
    const r = await runCli(['fleet', root, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { agents } = JSON.parse(r.stdout) as { agents: { id: string; measurements: number; last: { arch: string; latencyMs: number; runId: string }; runs: string[] }[] };
    expect(agents.map((a) => a.id).sort()).toEqual(['kitchen@abc', 'laptop@def']);
    const kitchen = agents.find((a) => a.id === 'kitchen@abc')!;
    expect(kitchen.measurements).toBe(2);
    expect(kitchen.runs).toHaveLength(2);
    expect(kitchen.last).toMatchObject({ arch: B, latencyMs: 41, runId: 'r2', stage: 'measure' });
    expect(agents.find((a) => a.id === 'laptop@def')!.last).toMatchObject({ latencyMs: 2.1, runId: 'r3', stage: 'verify-0' });
    const text = await runCli(['fleet', root]);
    expect(text.stdout).toMatch(/kitchen@abc .* 41\.000 ms on pi3b/);
    const bad = await runCli(['results', root]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/ZN_BAD_ARGUMENT: .* is not a run folder/);
  });
});
