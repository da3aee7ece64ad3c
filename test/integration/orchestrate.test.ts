import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/runCli.js';
import { agentEnv, startProcess, type Proc } from '../helpers/processes.js';

const procs: Proc[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.kill('SIGKILL');
});

function tempDirs(): { config: string; run: string; cache: string } {
  const root = mkdtempSync(join(tmpdir(), 'zeronas-orch-'));
  return { config: join(root, 'config'), run: join(root, 'run'), cache: join(root, 'cache') };
}

const FAST_MEASURE = ['--min-runs', '5', '--min-time-ms', '30'];

describe('orchestrate end to end (host and agents as real processes on loopback)', () => {
  it('--targets local completes the loop: scores, measurements, Pareto front, best ONNX, summary.json', async () => {
    const dirs = tempDirs();
    const r = await runCli(
      ['orchestrate', '--targets', 'local', '--port', '0', '--listen', '127.0.0.1', '--proxy', 'params', '--max-scored', '16', '--measure', '5', '--rounds', '1', '--out', dirs.run, '--budget', 'local:latency<=1000ms', '--json', ...FAST_MEASURE],
      { env: { ZERONAS_CONFIG_DIR: dirs.config }, timeoutMs: 240_000 },
    );
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const summary = JSON.parse(readFileSync(join(dirs.run, 'summary.json'), 'utf8'));
    const t = summary.targets[0];
    expect(t.target).toBe('local');
    expect(t.measured).toBe(5);
    expect(t.agents[0].name).toBe('local');
    expect(t.paretoFront.length).toBeGreaterThan(0);
    expect(t.best.measuredLatencyMs).toBeGreaterThan(0);
    expect(existsSync(join(dirs.run, t.best.onnx))).toBe(true);
    expect(summary.candidatesScored).toBe(16);
    // Every measurement carries its conditions.
    const db = new Database(join(dirs.run, 'store.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT result_json FROM measurements WHERE run_id = ?').all(summary.runId) as { result_json: string }[];
    const verifyRuns = db.prepare("SELECT DISTINCT run_id FROM measurements WHERE run_id LIKE '%.verify-%'").all() as { run_id: string }[];
    db.close();
    expect(rows).toHaveLength(5);
    // The returned architecture was re-measured in 3 verification rounds, and their median met the budget.
    expect(verifyRuns).toHaveLength(3);
    expect(t.verification[0].roundValues).toHaveLength(3);
    expect(t.verification[0].meetsBudget).toBe(true);
    expect(t.best.verifiedMedian).toBeLessThanOrEqual(1000);
    const m = JSON.parse(rows[0]!.result_json);
    expect(m.runtime.executionProvider).toBeTruthy();
    expect(m.device.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(m.latency.n).toBeGreaterThanOrEqual(5);
    expect(m.conditionsBefore).toBeTruthy();
  });

  it('an agent killed mid-job gets its job re-run on another agent, with no duplicate and no loss', async () => {
    const dirs = tempDirs();
    const host = startProcess('zeronas.js', ['orchestrate', '--targets', 'x86-desktop', '--port', '0', '--listen', '127.0.0.1', '--proxy', 'params', '--max-scored', '10', '--measure', '6', '--rounds', '1', '--out', dirs.run, '--min-runs', '200', '--min-time-ms', '1500'], { ZERONAS_CONFIG_DIR: dirs.config });
    procs.push(host);
    const [, port] = (await host.waitFor(/host listening on ws:\/\/127\.0\.0\.1:(\d+)/)) as unknown as [string, string];
    const url = `ws://127.0.0.1:${port}/agent`;
    const hostToken = readFileSync(join(dirs.config, 'token'), 'utf8').trim();
    const a = startProcess('zeronas-agent.js', ['--host', url, '--name', 'victim', '--device', 'x86-desktop', '--cache-dir', join(dirs.cache, 'a')], agentEnv(hostToken));
    procs.push(a);
    await host.waitFor(/job \d+ .*|agent victim@\w+ connected/);
    // Let the victim start measuring, then kill it hard.
    await a.waitFor(/measur|job/i, 60_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 800));
    a.kill('SIGKILL');
    const b = startProcess('zeronas-agent.js', ['--host', url, '--name', 'survivor', '--device', 'x86-desktop', '--cache-dir', join(dirs.cache, 'b')], agentEnv(hostToken));
    procs.push(b);
    const code = await host.exited;
    expect(code, host.output().slice(-3000)).toBe(0);
    const db = new Database(join(dirs.run, 'store.sqlite'), { readonly: true });
    const jobs = db.prepare('SELECT id, state FROM jobs').all() as { id: number; state: string }[];
    const perJob = db.prepare('SELECT job_id, COUNT(*) AS n FROM measurements GROUP BY job_id').all() as { job_id: number; n: number }[];
    db.close();
    expect(jobs.every((j) => j.state === 'done')).toBe(true);
    expect(perJob.every((j) => j.n === 1)).toBe(true);
    expect(perJob.length).toBe(jobs.length);
    expect(host.output()).toMatch(/agent victim@\w+ disconnected; 1 job\(s\) requeued/);
  });

  it('a host SIGKILLed mid-run resumes with nothing lost and nothing measured twice', async () => {
    const dirs = tempDirs();
    const port = await freePort();
    const args = ['--port', String(port), '--listen', '127.0.0.1'];
    const host1 = startProcess('zeronas.js', ['orchestrate', '--targets', 'x86-desktop', ...args, '--proxy', 'params', '--max-scored', '10', '--measure', '6', '--rounds', '1', '--out', dirs.run, ...FAST_MEASURE], { ZERONAS_CONFIG_DIR: dirs.config });
    procs.push(host1);
    await host1.waitFor(/host listening/);
    const hostToken = readFileSync(join(dirs.config, 'token'), 'utf8').trim();
    const agent = startProcess('zeronas-agent.js', ['--host', `ws://127.0.0.1:${port}/agent`, '--name', 'steady', '--device', 'x86-desktop', '--cache-dir', join(dirs.cache, 's'), '--reconnect-max-ms', '1000'], agentEnv(hostToken));
    procs.push(agent);
    await host1.waitFor(/(job \d+ \(x86-desktop\) from \S+: ok -> accepted[\s\S]*){2}/, 120_000);
    host1.kill('SIGKILL');
    await host1.exited;
    const before = countMeasurements(join(dirs.run, 'store.sqlite'));
    expect(before.total).toBeGreaterThanOrEqual(2);
    // Resumed without --listen/--port: it listens where the run did (its agents know that address), not on 0.0.0.0.
    const host2 = startProcess('zeronas.js', ['orchestrate', '--resume', dirs.run], { ZERONAS_CONFIG_DIR: dirs.config });
    procs.push(host2);
    await host2.waitFor(new RegExp(`host listening on ws://127\\.0\\.0\\.1:${port} `));
    const code = await host2.exited;
    expect(code, host2.output().slice(-3000)).toBe(0);
    const after = countMeasurements(join(dirs.run, 'store.sqlite'));
    expect(after.total).toBe(after.distinctArchs); // nothing measured twice
    expect(after.total).toBeGreaterThanOrEqual(before.total); // nothing lost
    expect(after.allDone).toBe(true);
    expect(existsSync(join(dirs.run, 'summary.json'))).toBe(true);
  }, 240_000); // its own waits allow 120 s for the first two jobs on a loaded machine

  it('refuses an agent with a bad token', async () => {
    const dirs = tempDirs();
    const host = startProcess('zeronas.js', ['orchestrate', '--targets', 'name:intruder', '--port', '0', '--listen', '127.0.0.1', '--proxy', 'params', '--max-scored', '4', '--measure', '2', '--wait-agents', '8', '--out', dirs.run], { ZERONAS_CONFIG_DIR: dirs.config });
    procs.push(host);
    const [, port] = (await host.waitFor(/host listening on ws:\/\/127\.0\.0\.1:(\d+)/)) as unknown as [string, string];
    const agent = startProcess('zeronas-agent.js', ['--host', `ws://127.0.0.1:${port}/agent`, '--name', 'intruder', '--cache-dir', join(dirs.cache, 'i')], agentEnv('not-the-token'));
    procs.push(agent);
    await host.waitFor(/refused agent 'intruder' from 127\.0\.0\.1: bad token/);
    const code = await host.exited;
    expect(code).toBe(1);
    expect(host.output()).toContain('ZN_NO_AGENT');
    expect(host.output()).toContain('node bin/zeronas-agent.js --host');
    expect(host.output()).toContain('sudo bash install-agent.sh --bundle zeronas-agent-arm64.tgz --host');
  });
});

function countMeasurements(path: string): { total: number; distinctArchs: number; allDone: boolean } {
  const db = new Database(path, { readonly: true });
  // Verification rounds are runs of their own (<run>.verify-<r>): one measurement per (run, arch) each.
  const total = (db.prepare('SELECT COUNT(*) AS n FROM measurements').get() as { n: number }).n;
  const distinctArchs = (db.prepare("SELECT COUNT(*) AS n FROM (SELECT DISTINCT run_id, arch FROM measurements)").get() as { n: number }).n;
  const notDone = (db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE state != 'done'").get() as { n: number }).n;
  db.close();
  return { total, distinctArchs, allDone: notDone === 0 };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
