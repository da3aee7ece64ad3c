/**
 * Fault injection over loopback: the real HostServer (in this process, so the store can be read and a small lease
 * set) and real `zeronas-agent` processes measuring real NAS-Bench-201 models, with faults injected between them
 * by a TCP proxy (test/helpers/faultProxy.ts):
 *  - a connection reset mid-job: the host requeues the job at once, the agent reconnects, every job is recorded once;
 *  - a half-open link (the proxy stops carrying bytes, closes nothing): the host drops the silent socket (by its
 *    heartbeat timeout, or when the agent, having timed out first, reconnects) and requeues; the agent drops it by
 *    its own heartbeat timeout and reconnects; every job is recorded once;
 *  - a slow agent that never answers: its lease expires, the job moves to another agent, its late result is refused;
 *  - a full disk (SQLite `max_page_count`, which fails writes with the same SQLITE_FULL a full disk gives): the host
 *    answers ZN_IO and stays up, no half-written row exists, and the job is measured once after space returns;
 *  - an unwritable run folder: `orchestrate --out` fails with ZN_IO and exit code 1 before anything runs.
 * Covered in test/integration/orchestrate.test.ts and not repeated here: an agent SIGKILLed mid-job (its job re-run
 * on another agent, no duplicate) and the host SIGKILLed mid-run then `--resume`d (nothing lost, nothing twice).
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { initWeights } from '../../host/ir/init.js';
import { exportInference } from '../../host/onnx/exportInference.js';
import type { MeasurementSettingsInput } from '../../shared/protocol/messages.js';
import { FaultProxy } from '../helpers/faultProxy.js';
import { HOST_TOKEN, startInProcessHost, startInProcessHostFor, until, type InProcessHost } from '../helpers/inProcessHost.js';
import { agentEnv, startProcess, type Proc } from '../helpers/processes.js';
import { runCli } from '../helpers/runCli.js';
import { SimAgent } from '../helpers/simAgent.js';

const ARCHS = [
  '|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|',
  '|nor_conv_1x1~0|+|skip_connect~0|nor_conv_3x3~1|+|none~0|avg_pool_3x3~1|nor_conv_1x1~2|',
  '|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|skip_connect~1|avg_pool_3x3~2|',
];
const models = ARCHS.map((a) => exportInference(buildNb201Network(a), initWeights(buildNb201Network(a), 0), { batch: 1 }));
/** About a second of measuring per job, so faults land mid-job. */
const SLOW: MeasurementSettingsInput = { threads: 1, warmupRuns: 1, minRuns: 5, minTotalMs: 1_000, maxTotalMs: 10_000, idleBaselineMs: 20, energyMinMs: 20, timeoutMs: 50_000 };
const FAST: MeasurementSettingsInput = { ...SLOW, minTotalMs: 20 };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function startAgent(url: string, name: string): Proc {
  const cache = mkdtempSync(join(tmpdir(), 'zeronas-fault-agent-'));
  const p = startProcess('zeronas-agent.js', ['--host', url, '--name', name, '--device', 'x86-desktop', '--cache-dir', cache, '--reconnect-max-ms', '500'], agentEnv(HOST_TOKEN));
  cleanups.push(() => p.kill('SIGKILL'));
  return p;
}

const host = (options: Parameters<typeof startInProcessHost>[0] = {}): Promise<InProcessHost> => startInProcessHostFor(cleanups, options);

/** Waits until every job is done, then checks each has exactly one measurement. */
async function expectEachJobRecordedOnce(h: InProcessHost, jobIds: number[]): Promise<{ job_id: number; agent_id: string }[]> {
  await until(() => (jobIds.every((id) => h.scheduler.job(id)?.state === 'done') ? true : undefined), `jobs ${jobIds.join(',')} done`, 60_000, 100);
  const rows = h.store.db.prepare('SELECT job_id, agent_id FROM measurements ORDER BY job_id').all() as { job_id: number; agent_id: string }[];
  expect(rows.map((r) => r.job_id)).toEqual([...jobIds].sort((a, b) => a - b));
  return rows;
}

describe('fault injection (real agents over loopback)', () => {
  it('a connection reset mid-job: job requeued at once, agent reconnects, every job recorded exactly once', async () => {
    const h = await host();
    const proxy = await FaultProxy.start(h.server.port);
    cleanups.push(() => proxy.close());
    const agent = startAgent(`ws://127.0.0.1:${proxy.port}/agent`, 'cut-me');
    await h.waitForLog(/agent cut-me@\w+ connected/);
    const ids = h.enqueue('x86-desktop', models.slice(0, 2), SLOW);
    h.server.setTargets(['x86-desktop']);
    await agent.waitFor(/job '[\w.]+': measuring/);
    expect(proxy.cut()).toBe(1);
    await h.waitForLog(/agent cut-me@\w+ disconnected; 1 job\(s\) requeued/);
    await agent.waitFor(/disconnected \(code 1006/);
    await expectEachJobRecordedOnce(h, ids);
    expect(proxy.connections).toBeGreaterThanOrEqual(2);
    // A reconnected agent still finishing its old job refuses offers as busy; the host waits for its idle heartbeat
    // instead of offering again at once (once per heartbeat at most, not a tight offer/reject loop).
    expect(h.logs.filter((l) => /ZN_AGENT_BUSY/.test(l)).length).toBeLessThanOrEqual(3);
  });

  it('a half-open link: both ends detect it by heartbeat timeout, the job is requeued, every job recorded exactly once', async () => {
    const h = await host();
    const proxy = await FaultProxy.start(h.server.port);
    cleanups.push(() => proxy.close());
    const agent = startAgent(`ws://127.0.0.1:${proxy.port}/agent`, 'half-open');
    await h.waitForLog(/agent half-open@\w+ connected/);
    const ids = h.enqueue('x86-desktop', models.slice(0, 2), SLOW);
    h.server.setTargets(['x86-desktop']);
    await agent.waitFor(/job '[\w.]+': measuring/);
    expect(proxy.freeze()).toBe(1);
    // Whichever end notices first: the host's heartbeat timeout, or the agent's (it then reconnects, and the host
    // drops the half-open socket the new one replaces). Both timeouts are about 10 s.
    await h.waitForLog(/agent half-open@\w+ (silent for \d+ ms; closing \(half-open connection\)|reconnected; dropping its previous, silent connection)/, 30_000);
    expect(h.logs.join('\n')).toMatch(/agent half-open@\w+ disconnected; 1 job\(s\) requeued/);
    await agent.waitFor(/host silent for more than \d+ ms; dropping the connection/, 30_000);
    await expectEachJobRecordedOnce(h, ids);
  });

  it('a slow agent: its lease expires, the job moves to another agent, and its late result is refused', async () => {
    const h = await host({ scheduler: { leaseMs: 60_000 } });
    const slow = new SimAgent({ url: h.agentUrl, token: HOST_TOKEN, name: 'slow', mode: 'hold' });
    cleanups.push(() => slow.close());
    await slow.connect();
    const [id] = h.enqueue('x86-desktop', models.slice(0, 1), FAST);
    h.server.setTargets(['x86-desktop']);
    const offer = await slow.next((m) => m.type === 'job-offer');
    h.advanceSchedulerClock(60_001); // the lease runs out (the scheduler's clock, so no test waits on wall time)
    await h.waitForLog(/1 lease\(s\) expired and were requeued/, 20_000);
    startAgent(h.agentUrl, 'fast');
    const rows = await expectEachJobRecordedOnce(h, [id!]);
    expect(rows[0]!.agent_id).toMatch(/^fast@/);
    // The slow agent finally answers: a stale lease, nothing recorded.
    slow.send(slow.resultFor(offer as Parameters<SimAgent['resultFor']>[0]));
    await h.waitForLog(/from slow@\w+: ok -> (stale-lease|duplicate)/);
    expect(h.store.db.prepare('SELECT COUNT(*) AS n FROM measurements').get()).toEqual({ n: 1 });
    expect(h.scheduler.job(id!)!.last_error).toMatch(/lease expired on agent slow@/);
  });

  it('a full disk: the host answers ZN_IO and stays up, nothing is half-written, the job is measured once when space returns', async () => {
    const h = await host({ scheduler: { leaseMs: 60_000 } });
    const agent = new SimAgent({ url: h.agentUrl, token: HOST_TOKEN, name: 'writer', samples: 20_000 });
    cleanups.push(() => agent.close());
    await agent.connect();
    const ids = h.enqueue('x86-desktop', [models[0]!], FAST);
    // No page may be added from here on: every write that needs space fails with SQLITE_FULL, as on a full disk.
    const pages = h.store.db.pragma('page_count', { simple: true }) as number;
    h.store.db.pragma(`max_page_count = ${pages}`);
    h.server.setTargets(['x86-desktop']);
    const error = await agent.next((m) => m.type === 'error');
    expect(error).toMatchObject({ type: 'error', error: { code: 'ZN_IO' } });
    await h.waitForLog(/ZN_IO: host failed while handling a frame from writer@\w+: database or disk is full/);
    // Consistent: the job is still leased (the result's transaction rolled back whole), no measurement row.
    expect(h.scheduler.job(ids[0]!)!.state).toBe('leased');
    expect(h.store.db.prepare('SELECT COUNT(*) AS n FROM measurements').get()).toEqual({ n: 0 });
    expect(h.store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    // Space returns: the lease expires, the job is offered again and recorded once.
    h.store.db.pragma('max_page_count = 1073741823');
    h.advanceSchedulerClock(60_001);
    await expectEachJobRecordedOnce(h, ids);
    expect(agent.offers.length).toBe(2);
  });

  it.each([
    ['a path under a regular file', (root: string) => (writeFileSync(join(root, 'file'), 'x'), join(root, 'file', 'run')), /ENOTDIR/],
    ['a path under /proc', () => '/proc/zeronas-run', /ENOENT|EACCES|EPERM/],
  ])('orchestrate --out %s fails with ZN_IO naming the folder, exit code 1', async (_what, outFor, errno) => {
    const root = mkdtempSync(join(tmpdir(), 'zeronas-out-'));
    const out = outFor(root);
    const r = await runCli(
      ['orchestrate', '--targets', 'local', '--port', '0', '--listen', '127.0.0.1', '--proxy', 'params', '--max-scored', '4', '--measure', '2', '--out', out, '--json'],
      { env: { ZERONAS_CONFIG_DIR: join(root, 'config') }, timeoutMs: 60_000 },
    );
    expect(r.code, r.stderr).toBe(1);
    const err = JSON.parse(r.stdout.trim().split('\n').pop()!) as { code: string; message: string };
    expect(err.code).toBe('ZN_IO');
    expect(err.message).toContain(`run folder '${out}' is not writable`);
    expect(err.message).toMatch(errno);
    expect(readdirSync(root).sort()).toEqual(out.startsWith(root) ? ['config', 'file'] : ['config']);
  });
});
