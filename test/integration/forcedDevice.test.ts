/**
 * An agent started with `--device pi3b --force-device` on a machine that is not a Raspberry Pi (this x86 PC) measures
 * with the Pi's profile, but its timings are the PC's: the host labels them forced-device end to end, naming the real
 * hardware (orchestrate's summary lines, summary.json, `zeronas results`, the report). Host and agent are real
 * processes on loopback; the run is as small as orchestrate allows.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRunSummary } from '../../host/run/summary.js';
import { runCli } from '../helpers/runCli.js';
import { agentEnv, startProcess, type Proc } from '../helpers/processes.js';

const procs: Proc[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.kill('SIGKILL');
});

const isPi3 = existsSync('/proc/device-tree/model') && readFileSync('/proc/device-tree/model', 'utf8').startsWith('Raspberry Pi 3 Model B');

describe('a --force-device agent', () => {
  it.runIf(!isPi3)('measures pi3b on this machine and every output labels it forced-device, naming the real hardware', async () => {
    const root = mkdtempSync(join(tmpdir(), 'zeronas-forced-'));
    const run = join(root, 'run');
    const host = startProcess(
      'zeronas.js',
      ['orchestrate', '--targets', 'pi3b', '--listen', '127.0.0.1', '--port', '0', '--proxy', 'params', '--max-scored', '4', '--measure', '2', '--rounds', '1', '--verify-rounds', '1', '--min-runs', '3', '--min-time-ms', '10', '--out', run],
      { ZERONAS_CONFIG_DIR: join(root, 'config') },
    );
    procs.push(host);
    const [, port] = await host.waitFor(/host listening on ws:\/\/127\.0\.0\.1:(\d+)/, 120_000);
    const token = readFileSync(join(root, 'config', 'token'), 'utf8').trim();
    const agent = startProcess('zeronas-agent.js', ['--host', `ws://127.0.0.1:${port}/agent`, '--name', 'pc-as-pi', '--device', 'pi3b', '--force-device', '--cache-dir', join(root, 'cache')], agentEnv(token));
    procs.push(agent);
    expect(await host.exited, `${host.output().slice(-3000)}\nagent:\n${agent.output().slice(-2000)}`).toBe(0);
    expect(agent.output()).toMatch(/warning: --force-device: using profile 'pi3b' on hardware it does not describe/);

    // The real hardware, as the agent describes it: its CPU model is in every label.
    const cpuWord = (cpus()[0]?.model ?? '').split(/\s+/).find((w) => w.length > 2) ?? '';
    const output = host.output();
    expect(output).toMatch(/target 'pi3b' is a FORCED DEVICE: pc-as-pi: --force-device: profile 'pi3b' is for a Raspberry Pi 3 .*; measured on .*cores/);
    expect(output).toMatch(/FORCED DEVICE: pi3b was measured by an agent started with --force-device/);

    const summary = parseRunSummary(JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')), 'summary.json');
    expect(summary.isForcedDevice).toBe(true);
    expect(summary.isEmulated).toBe(false);
    const t = summary.targets[0]!;
    expect(t).toMatchObject({ target: 'pi3b', isForcedDevice: true });
    expect(t.forcedDevice).toMatch(/this machine is not a Raspberry Pi/);
    expect(t.forcedDevice).toContain(cpuWord);

    const results = await runCli(['results', run, '--json']);
    expect(results.code, results.stderr).toBe(0);
    const table = JSON.parse(results.stdout) as { columns: string[]; rows: (string | number | null)[][] };
    const source = table.columns.indexOf('cifar10_pi3b_source');
    expect(source).toBeGreaterThan(0);
    const measuredRows = table.rows.filter((r) => r[source] !== null);
    expect(measuredRows.length).toBeGreaterThan(0);
    for (const r of measuredRows) expect(r[source]).toBe('forced-device');

    const report = readFileSync(join(run, 'report.html'), 'utf8');
    expect(report).toMatch(/<span class="replay" data-field="forcedDevice">FORCED DEVICE: [^<]*this machine is not a Raspberry Pi/);
  }, 240_000);
});
