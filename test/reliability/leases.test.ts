/**
 * Leases under a slow honest device and a token holder (SECURITY.md "What the host trusts"): a measurement longer
 * than the lease is kept alive by the agent's heartbeats; results for jobs that do not exist change nothing, not even
 * whether the sender may lease more; every lease has its own wire id, so a stale result from a cut connection cannot
 * land on the job's next lease. First against the real HostServer/Scheduler/Store on loopback in process (the test
 * reads its store, and shortens the lease); then the token holder's attacks again against a live `orchestrate`
 * process and its own jobs. The slow device is a real `zeronas-agent` process, the token holder a scripted agent.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { initWeights } from '../../host/ir/init.js';
import { exportInference } from '../../host/onnx/exportInference.js';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.js';
import type { JobOfferMessage, MeasurementSettingsInput } from '../../shared/protocol/messages.js';
import { HOST_TOKEN, startInProcessHost, startInProcessHostFor, until, type InProcessHost } from '../helpers/inProcessHost.js';
import { agentEnv, startProcess } from '../helpers/processes.js';
import { SimAgent } from '../helpers/simAgent.js';
import { startLiveHost, type LiveHost } from '../helpers/hostAttack.js';

const ARCH = '|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|';
const MODEL = exportInference(buildNb201Network(ARCH), initWeights(buildNb201Network(ARCH), 0), { batch: 1 });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const host = (options: Parameters<typeof startInProcessHost>[0] = {}): Promise<InProcessHost> => startInProcessHostFor(cleanups, options);

function agent(h: InProcessHost, name: string, mode: 'work' | 'hold'): SimAgent {
  const a = new SimAgent({ url: h.agentUrl, token: HOST_TOKEN, name, mode, workMs: () => 20 });
  cleanups.push(() => a.close());
  return a;
}

describe('leases', () => {
  it('a measurement three times longer than the lease is renewed by heartbeats and recorded once, never expired', async () => {
    // Lease 1.5 s, heartbeats every 0.5 s, a job of about 4.5 s of timed runs on a real agent.
    const h = await host({ scheduler: { leaseMs: 1_500 }, server: { heartbeatMs: 500 } });
    const slow: MeasurementSettingsInput = { threads: 1, warmupRuns: 1, minRuns: 5, minTotalMs: 4_500, maxTotalMs: 20_000, idleBaselineMs: 20, energyMinMs: 20, timeoutMs: 60_000 };
    const cache = mkdtempSync(join(tmpdir(), 'zeronas-lease-agent-'));
    const p = startProcess('zeronas-agent.js', ['--host', h.agentUrl, '--name', 'slow-pi', '--device', 'x86-desktop', '--cache-dir', cache], agentEnv(HOST_TOKEN));
    cleanups.push(() => p.kill('SIGKILL'));
    await h.waitForLog(/agent slow-pi@\w+ connected/);
    const [id] = h.enqueue('x86-desktop', [MODEL], slow);
    h.server.setTargets(['x86-desktop']);
    await h.waitForLog(/: ok -> accepted/, 120_000);
    const job = h.scheduler.job(id!)!;
    expect(job.state).toBe('done');
    expect(job.attempts).toBe(1);
    expect(h.logs.filter((l) => /lease\(s\) expired/.test(l))).toEqual([]);
    const measured = h.store.db.prepare('SELECT result_json FROM measurements WHERE job_id = ?').all(id) as { result_json: string }[];
    expect(measured).toHaveLength(1);
    // The measurement really outlasted the lease (its own timestamps), so renewal is what kept it.
    const m = JSON.parse(measured[0]!.result_json) as { startedAt: string; finishedAt: string };
    expect(Date.parse(m.finishedAt) - Date.parse(m.startedAt)).toBeGreaterThan(1_500);
  });

  it('results for made-up jobs do not free an agent to lease more: it holds one job, the honest agent measures the rest', async () => {
    const h = await host();
    const hoarder = agent(h, 'hoarder', 'hold');
    await hoarder.connect();
    h.enqueue('x86-desktop', [1, 2, 3, 4, 5, 6].map((i) => new Uint8Array(1000).fill(i)));
    h.server.setTargets(['x86-desktop']);
    const offer = (await hoarder.next((m) => m.type === 'job-offer')) as JobOfferMessage;
    for (let i = 0; i < 10; i++) hoarder.send(hoarder.resultFor(offer, `${900 + i}.1.deadbeef`));
    await h.waitForLog(/ignored a result for unknown or finished job '909\.1\.deadbeef'/);
    const honest = agent(h, 'honest', 'work');
    await honest.connect();
    await until(() => ((h.snapshot().measurements as unknown[]).length === 5 ? true : undefined), 'the honest agent measuring the five other jobs');
    expect(hoarder.offers.map((o) => o.jobId)).toEqual([offer.jobId]);
  });

  it('a lease has its own wire id: a stale result from a cut connection is refused and the new lease completes', async () => {
    const h = await host();
    h.enqueue('x86-desktop', [new Uint8Array(1000).fill(9)]);
    h.server.setTargets(['x86-desktop']);
    const first = agent(h, 'flaky', 'hold');
    await first.connect();
    const old = (await first.next((m) => m.type === 'job-offer')) as JobOfferMessage;
    first.terminate();
    await h.waitForLog(/agent flaky@\w+ disconnected; 1 job\(s\) requeued/);
    const second = agent(h, 'flaky', 'hold');
    await second.connect();
    const fresh = (await second.next((m) => m.type === 'job-offer')) as JobOfferMessage;
    expect(fresh.model.sha256).toBe(old.model.sha256); // the same job, leased again
    expect(fresh.jobId).not.toBe(old.jobId);
    // The result the cut connection never delivered arrives late, on the new connection.
    second.send(second.resultFor(old));
    await h.waitForLog(new RegExp(`ignored a result for unknown or finished job '${old.jobId.replace(/\./g, '\\.')}'`));
    expect(h.snapshot().measurements).toEqual([]);
    second.send(second.resultFor(fresh));
    await h.waitForLog(/: ok -> accepted/);
    expect(h.snapshot().measurements).toHaveLength(1);
    second.send({ v: PROTOCOL_VERSION, type: 'heartbeat', sentAt: new Date().toISOString(), state: 'idle', jobId: null });
  });
});

describe('token holders against a live orchestrate process (its own jobs)', () => {
  const live: LiveHost[] = [];
  afterAll(async () => {
    for (const h of live) await h.close();
  });
  const agentUrl = (h: LiveHost): string => `ws://127.0.0.1:${h.port}/agent`;

  it('made-up results do not free a hoarder: it keeps one job while an honest agent measures the others', async () => {
    const h = await startLiveHost({ targets: 'x86-desktop', extraArgs: ['--measure', '12', '--max-scored', '20', '--rounds', '1'] });
    live.push(h);
    const hoarder = new SimAgent({ url: agentUrl(h), token: h.token, name: 'hoarder', mode: 'hold', wsOptions: { localAddress: '127.0.0.80' } });
    cleanups.push(() => hoarder.close());
    await hoarder.connect();
    const offer = (await hoarder.next((m) => m.type === 'job-offer', 120_000)) as JobOfferMessage;
    for (let i = 0; i < 10; i++) hoarder.send(hoarder.resultFor(offer, `${900 + i}.1.deadbeef`));
    await h.proc.waitFor(/ignored a result for unknown or finished job '909\.1\.deadbeef' from hoarder@/);
    const honest = new SimAgent({ url: agentUrl(h), token: h.token, name: 'honest', mode: 'work', workMs: () => 20, wsOptions: { localAddress: '127.0.0.81' } });
    cleanups.push(() => honest.close());
    await honest.connect();
    await until(() => (honest.sentResults.size >= 2 ? true : undefined), 'the honest agent measuring the other spread jobs', 120_000);
    expect(hoarder.offers.map((o) => o.jobId)).toEqual([offer.jobId]);
  }, 300_000);

  it('a stale result from a cut connection is refused on the re-leased job, whose own result is accepted', async () => {
    const h = await startLiveHost({ targets: 'name:flaky', extraArgs: ['--measure', '12', '--max-scored', '20', '--rounds', '1'] });
    live.push(h);
    const first = new SimAgent({ url: agentUrl(h), token: h.token, name: 'flaky', mode: 'hold' });
    await first.connect();
    const old = (await first.next((m) => m.type === 'job-offer', 120_000)) as JobOfferMessage;
    first.terminate();
    await h.proc.waitFor(/agent flaky@\w+ disconnected; 1 job\(s\) requeued/);
    const second = new SimAgent({ url: agentUrl(h), token: h.token, name: 'flaky', mode: 'hold' });
    cleanups.push(() => second.close());
    await second.connect();
    const fresh = (await second.next((m) => m.type === 'job-offer' && m.model.sha256 === old.model.sha256, 120_000)) as JobOfferMessage;
    expect(fresh.jobId).not.toBe(old.jobId);
    second.send(second.resultFor(old));
    await h.proc.waitFor(new RegExp(`ignored a result for unknown or finished job '${old.jobId.replace(/\./g, '\\.')}'`));
    second.send(second.resultFor(fresh));
    await h.proc.waitFor(/from flaky@\w+: ok -> accepted/);
  }, 300_000);
});
