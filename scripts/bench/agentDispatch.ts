/**
 * Dispatch overhead per job as the host sees it, offer to result minus measuring (the host's own figure,
 * `result.dispatch.overheadMs`, also summarised per target in summary.json), for two real agent processes on this
 * machine: one with the warm measurement worker (the default) and one with `--measure-process fresh` (a process per
 * job, the reference). Jobs alternate between the two agents, one at a time, so both see the same machine load; the
 * model is the same for every job (transferred once per agent, then cached, as in a search that re-measures).
 * measureDispatch.ts isolates the agent-side part; this one includes the protocol (offer, accept, result) too.
 *
 *   npx tsx scripts/bench/agentDispatch.ts [--jobs 10] [--json]
 *
 * This machine is shared (other engineers' processes): the absolute figures move with its load, the ratio less so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostServer } from '../../host/orchestrator/server.js';
import { Scheduler } from '../../host/orchestrator/scheduler.js';
import { Store } from '../../host/orchestrator/store.js';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { initWeights } from '../../host/ir/init.js';
import { exportInference } from '../../host/onnx/exportInference.js';
import { flag, option } from '../scriptArgs.js';

const jobs = Number(option('jobs', '10'));
if (!Number.isInteger(jobs) || jobs < 2) throw new Error(`--jobs must be an integer >= 2, got '${option('jobs', '10')}'`);
const asJson = flag('json');
const say = (line: string): void => void (asJson || process.stderr.write(`${line}\n`));

const TOKEN = 'agent-dispatch-bench-token-0123456789abcdef';
const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|';
const model = exportInference(buildNb201Network(ARCH), initWeights(buildNb201Network(ARCH), 0), { batch: 1 });
const SETTINGS = { threads: 1, warmupRuns: 1, warmupMinMs: 0, minRuns: 5, minTotalMs: 0, maxTotalMs: 10_000, cooldownMs: 0, energy: 'off' as const, timeoutMs: 120_000 };

const dir = mkdtempSync(join(tmpdir(), 'zeronas-agent-dispatch-'));
const store = new Store(join(dir, 'store.sqlite'));
const scheduler = new Scheduler(store, { leaseMs: 600_000, backoffBaseMs: 200, backoffMaxMs: 1_000 });
const server = new HostServer({ host: '127.0.0.1', port: 0, token: TOKEN, store, scheduler, log: () => undefined });
await server.start();
const sha = store.putModel(model, 'bench');
const agentBin = fileURLToPath(new URL('../../bin/zeronas-agent.js', import.meta.url));
const modes = ['warm', 'fresh'] as const;
const agents: ChildProcess[] = modes.map((mode) =>
  spawn(process.execPath, [agentBin, '--host', `${server.url}/agent`, '--name', `bench-${mode}`, '--device', 'x86-desktop', '--force-device', '--measure-process', mode, '--cache-dir', join(dir, `cache-${mode}`)], {
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ZERONAS_'))), ZERONAS_TOKEN: TOKEN },
    stdio: 'ignore',
  }),
);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function runOne(mode: (typeof modes)[number], i: number): Promise<{ overheadMs: number; offeredToResultMs: number }> {
  const target = `name:bench-${mode}`;
  server.setTargets([target]);
  const id = scheduler.enqueue({ runId: 'bench', target, kind: 'measure', arch: ARCH, modelSha256: sha, settings: { inputs: [{ name: 'input', dims: [1, 3, 32, 32], dtype: 'float32' }], settings: SETTINGS }, dedupeKey: `${mode}-${i}` });
  for (let waited = 0; scheduler.job(id)?.state !== 'done'; waited += 20) {
    if (scheduler.job(id)?.state === 'failed' || waited > 300_000) throw new Error(`job ${mode}-${i} did not complete: ${JSON.stringify(scheduler.job(id))}`);
    await sleep(20);
  }
  const row = store.db.prepare('SELECT result_json FROM measurements WHERE job_id = ?').get(id) as { result_json: string };
  return (JSON.parse(row.result_json) as { dispatch: { overheadMs: number; offeredToResultMs: number } }).dispatch;
}

try {
  say(`waiting for the two agents (warm, fresh) to connect`);
  for (let waited = 0; [...server.agents.values()].length < 2; waited += 100) {
    if (waited > 120_000) throw new Error('the two agents did not connect within 120 s');
    await sleep(100);
  }
  const rows: Record<(typeof modes)[number], { overheadMs: number; offeredToResultMs: number }[]> = { warm: [], fresh: [] };
  // One job per agent first, not counted: it carries the model transfer (and the warm process's start).
  for (const mode of modes) await runOne(mode, -1);
  for (let i = 0; i < jobs; i++) {
    for (const mode of modes) rows[mode].push(await runOne(mode, i));
    say(`job pair ${i + 1}/${jobs}`);
  }
  const median = (v: number[]): number => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const summary = Object.fromEntries(
    modes.map((m) => [m, { jobs: rows[m].length, overheadMedianMs: median(rows[m].map((r) => r.overheadMs)), overheadMaxMs: Math.max(...rows[m].map((r) => r.overheadMs)), offeredToResultMedianMs: median(rows[m].map((r) => r.offeredToResultMs)) }]),
  ) as Record<(typeof modes)[number], { jobs: number; overheadMedianMs: number; overheadMaxMs: number; offeredToResultMedianMs: number }>;
  const result = { ...summary, ratioFreshOverWarmMedian: summary.fresh.overheadMedianMs / summary.warm.overheadMedianMs, note: 'shared 2-core machine: absolute figures move with its load; the host clock has 1 ms resolution' };
  if (asJson) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(
      [
        `dispatch overhead per job as the host measures it (offer to result minus measuring), NB201 model of ${model.byteLength} bytes cached on the agent, ort-node, 1 thread`,
        ...modes.map((m) => `${(m === 'warm' ? 'warm worker' : 'fresh process per job').padEnd(22)} median ${summary[m].overheadMedianMs.toFixed(0)} ms, max ${summary[m].overheadMaxMs.toFixed(0)} ms (offer to result median ${summary[m].offeredToResultMedianMs.toFixed(0)} ms, ${summary[m].jobs} jobs)`),
        `fresh/warm median ratio ${result.ratioFreshOverWarmMedian.toFixed(1)}x`,
        `(${result.note})`,
        '',
      ].join('\n'),
    );
  }
} finally {
  for (const a of agents) a.kill('SIGTERM');
  await server.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
