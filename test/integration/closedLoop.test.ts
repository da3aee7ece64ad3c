/**
 * The closed loop end to end, with real processes on loopback: replayed devices (agents answering from
 * HW-NAS-Bench, ../shared/data beside the checkout), energy budgets refused without a meter and honoured with one,
 * FLASH's co-optimisation and the IDW space against a live agent's fitted model, and a saved round model reused by
 * `zeronas search --cost t=model:<file>`.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/runCli.js';
import { agentEnv, startProcess, type Proc } from '../helpers/processes.js';
import { parseRunSummary, type RunSummary } from '../../host/run/summary.js';
import { readCsv } from '../../shared/csv.js';

const HW = resolve('../shared/data/hw/hwnasbench_nb201.csv');
const FAST_MEASURE = ['--min-runs', '5', '--min-time-ms', '30'];
const procs: Proc[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.kill('SIGKILL');
});

function tempDirs(): { config: string; run: string; cache: string; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'zeronas-loop-'));
  return { root, config: join(root, 'config'), run: join(root, 'run'), cache: join(root, 'cache') };
}

function readSummary(dir: string): RunSummary {
  return parseRunSummary(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')), join(dir, 'summary.json'));
}

function hwTable(): Map<string, Record<string, string>> {
  if (!existsSync(HW)) throw new Error(`this test replays ${HW}: check out the shared data folder beside the repository (../shared/data)`);
  return new Map(readCsv(readFileSync(HW, 'utf8')).map((r) => [r.arch_str!, r]));
}

describe('the closed loop on replayed devices (real host, real replay agents)', () => {
  it('two replayed targets: each pick meets its budget on the table, the common pick is reported, the saved model prices a search', async () => {
    const truth = hwTable();
    const dirs = tempDirs();
    // Budgets: the columns' medians (HW-NAS-Bench Raspberry Pi 4 and Pixel 3, CIFAR-10).
    const host = startProcess(
      'zeronas.js',
      ['orchestrate', '--targets', 'name:pi4,name:pixel3', '--budget', 'name:pi4:latency<=25.68ms', '--budget', 'name:pixel3:latency<=6.5ms',
        '--algo', 'sample', '--proxy', 'params', '--max-scored', '80', '--measure', '10', '--rounds', '3', '--port', '0', '--listen', '127.0.0.1', '--out', dirs.run, '--json'],
      { ZERONAS_CONFIG_DIR: dirs.config },
    );
    procs.push(host);
    const [, port] = (await host.waitFor(/host listening on ws:\/\/127\.0\.0\.1:(\d+)/)) as unknown as [string, string];
    const token = readFileSync(join(dirs.config, 'token'), 'utf8').trim();
    for (const [name, column] of [['pi4', 'cifar10_raspi4_latency'], ['pixel3', 'cifar10_pixel3_latency']] as const) {
      const a = startProcess('zeronas-agent.js', ['--host', `ws://127.0.0.1:${port}/agent`, '--name', name, '--replay', `${HW}:${column}`], agentEnv(token));
      procs.push(a);
    }
    const code = await host.exited;
    expect(code, host.output().slice(-3000)).toBe(0);
    expect(host.output()).toMatch(/REPLAY device/);
    const summary = readSummary(dirs.run);
    expect(summary.isReplay).toBe(true);
    expect(summary.targets.map((t) => t.isReplay)).toEqual([true, true]);
    const limits: Record<string, [string, number]> = { 'name:pi4': ['cifar10_raspi4_latency', 25.68], 'name:pixel3': ['cifar10_pixel3_latency', 6.5] };
    for (const t of summary.targets) {
      const [column, max] = limits[t.target]!;
      expect(t.best, t.target).not.toBeNull();
      expect(Number(truth.get(t.best!.arch)![column])).toBeLessThanOrEqual(max);
      expect(t.verification.at(-1)!.meetsBudget).toBe(true);
      expect(t.verification.at(-1)!.roundValues).toHaveLength(3);
      // Round 0 is the spread; every later round records the previous model's error on what it measured.
      expect(t.learningCurve[0]!.round).toBe(0);
      expect(t.learningCurve.slice(1).every((l) => l.n === l.measured)).toBe(true);
      expect(t.measured).toBeLessThanOrEqual(10 + 1);
      expect(existsSync(join(dirs.run, t.best!.onnx))).toBe(true);
    }
    // Replayed values are the table's (no noise asked): every measured point equals its row.
    const pi4 = summary.targets.find((t) => t.target === 'name:pi4')!;
    for (const p of pi4.points.filter((x) => x.measuredMs !== null)) expect(p.measuredMs).toBeCloseTo(Number(truth.get(p.arch)!.cifar10_raspi4_latency), 9);
    // The common pick meets both budgets on the table.
    for (const c of summary.commonFeasible) {
      expect(Number(truth.get(c.arch)!.cifar10_raspi4_latency)).toBeLessThanOrEqual(25.68);
      expect(Number(truth.get(c.arch)!.cifar10_pixel3_latency)).toBeLessThanOrEqual(6.5);
    }
    // The last round's model is a file zeronas search prices with.
    const modelFile = join(dirs.run, pi4.learningCurve.at(-1)!.modelFile!);
    expect(existsSync(modelFile)).toBe(true);
    const s = await runCli(['search', '--space', 'nb201', '--algo', 'sample', '--proxy', 'params', '--max-scored', '20', '--cost', `pi4=model:${modelFile}`, '--budget', 'pi4:latency<=25.68ms', '--json'], { timeoutMs: 240_000 });
    expect(s.code, s.stderr.slice(-2000)).toBe(0);
    const out = JSON.parse(s.stdout) as { best: { costs: Record<string, { latencyMs: number }> } };
    expect(out.best.costs.pi4!.latencyMs).toBeLessThanOrEqual(25.68);
    // A report is drawn from the run contract.
    expect(existsSync(join(dirs.run, 'report.html'))).toBe(true);
  }, 600_000);
});

describe('energy budgets', () => {
  it('an energy budget on a meterless agent is refused at start, naming the target and how to attach a meter (ZN_NO_ENERGY_METER)', async () => {
    const dirs = tempDirs();
    const r = await runCli(
      ['orchestrate', '--targets', 'local', '--budget', 'local:energy<=2mJ', '--proxy', 'params', '--max-scored', '4', '--measure', '2', '--port', '0', '--listen', '127.0.0.1', '--out', dirs.run],
      { env: { ZERONAS_CONFIG_DIR: dirs.config }, timeoutMs: 240_000 },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ZN_NO_ENERGY_METER: energy budget 'local:energy<=2mJ': agent\(s\) 'local' of target 'local' have no energy meter/);
    expect(r.stderr).toMatch(/--energy-cmd/);
  }, 300_000);

  it('an energy budget is honoured on an agent with an external-command meter (CPU time as a stand-in counter)', async () => {
    const dirs = tempDirs();
    // A counter meter for the test: cumulative busy CPU jiffies of the machine printed as joules (/proc/stat). Not
    // a power measurement; it only exercises the energy path end to end.
    const meter = join(dirs.root, 'meter.sh');
    writeFileSync(meter, "#!/bin/sh\nawk '/^cpu /{printf \"%.2f J\\n\", ($2+$3+$4)/100}' /proc/stat\n", { mode: 0o755 });
    const host = startProcess(
      'zeronas.js',
      ['orchestrate', '--targets', 'name:metered', '--budget', 'name:metered:energy<=1000J', '--proxy', 'params', '--max-scored', '12', '--measure', '4', '--rounds', '2', '--verify-rounds', '1',
        '--port', '0', '--listen', '127.0.0.1', '--out', dirs.run, ...FAST_MEASURE],
      { ZERONAS_CONFIG_DIR: dirs.config },
    );
    procs.push(host);
    const [, port] = (await host.waitFor(/host listening on ws:\/\/127\.0\.0\.1:(\d+)/)) as unknown as [string, string];
    const token = readFileSync(join(dirs.config, 'token'), 'utf8').trim();
    const a = startProcess('zeronas-agent.js', ['--host', `ws://127.0.0.1:${port}/agent`, '--name', 'metered', '--energy', 'external-command', '--energy-cmd', meter, '--cache-dir', join(dirs.cache, 'm')], agentEnv(token));
    procs.push(a);
    const code = await host.exited;
    expect(code, host.output().slice(-3000)).toBe(0);
    const t = readSummary(dirs.run).targets[0]!;
    expect(t.metric).toBe('energyJ');
    expect(t.budget!.metric).toBe('energy');
    expect(t.best).not.toBeNull();
    expect(t.best!.measuredEnergyJ).not.toBeNull();
    expect(t.best!.measuredEnergyJ!).toBeLessThanOrEqual(1000);
    expect(t.points.some((p) => p.measuredJ !== null && p.measuredJ !== undefined)).toBe(true);
  }, 600_000);
});

describe('refused at start, with nothing left behind', () => {
  it("an unknown target ('pi9') is refused before anything starts (ZN_BAD_ARGUMENT), naming the forms a target takes", async () => {
    const dirs = tempDirs();
    const r = await runCli(['orchestrate', '--targets', 'pi9', '--out', dirs.run], { env: { ZERONAS_CONFIG_DIR: dirs.config } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ZN_BAD_ARGUMENT: unknown target 'pi9'; a target is a device profile \(pi3b, /);
    expect(existsSync(dirs.run)).toBe(false);
  });

  it('a port in use is a ZN_IO error naming the port and what to do, without a stack trace or a run folder', async () => {
    const dirs = tempDirs();
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(['orchestrate', '--targets', 'local', '--listen', '127.0.0.1', '--port', String(port), '--out', dirs.run], { env: { ZERONAS_CONFIG_DIR: dirs.config } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`ZN_IO: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*pass --port <free port>, or --port 0`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(dirs.run)).toBe(false);
    } finally {
      blocker.close();
    }
  });
});

describe('lookup tables', () => {
  it('a table measured on another device is stale: a warning naming both, and the model starts without it', async () => {
    const dirs = tempDirs();
    const stale = join(dirs.root, 'stale-lut.json');
    writeFileSync(stale, JSON.stringify({
      format: 'zeronas-lut', version: 1, device: { fingerprint: 'e'.repeat(64), name: 'another-pi' }, runtime: { name: 'ort-node', version: '1.30.0' },
      executionProvider: 'cpu', threads: 4, measurement: { warmupRuns: 1, repeats: 5, batch: 1, foldBatchNorm: true }, execution: 'all', createdAt: '2026-12-01T00:00:00Z', entries: {},
    }));
    const r = await runCli(
      ['orchestrate', '--targets', 'local', '--lut', `local=${stale}`, '--algo', 'sample', '--proxy', 'params', '--budget', 'local:latency<=1000ms', '--max-scored', '6', '--measure', '3', '--rounds', '1', '--verify-rounds', '1',
        '--port', '0', '--listen', '127.0.0.1', '--out', dirs.run, ...FAST_MEASURE],
      { env: { ZERONAS_CONFIG_DIR: dirs.config }, timeoutMs: 300_000 },
    );
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toMatch(/warning ZN_LUT_STALE: lookup table .*stale-lut\.json not used for target 'local': agent 'local': lookup table measured on device 'eeee/);
    // The advice names the command that really re-measures (lut measures again for another device or runtime).
    expect(r.stderr).toContain(`re-measure the table on this device: npx zeronas lut --target local --out ${stale} (or pass the matching table)`);
    const t = readSummary(dirs.run).targets[0]!;
    expect(t.costModel.lut).toBeNull();
    expect(t.learningCurve[0]!.model).toBe('none (no measurement yet)');
  }, 400_000);
});

describe('spaces and algorithms against a live agent', () => {
  it('--space flash --algo flash: FLASH co-optimises against the local agent\'s fitted model', async () => {
    const dirs = tempDirs();
    const r = await runCli(
      ['orchestrate', '--targets', 'local', '--space', 'flash', '--algo', 'flash', '--proxy', 'params', '--budget', 'local:latency<=200ms', '--max-scored', '30', '--measure', '4', '--rounds', '1', '--verify-rounds', '1',
        '--port', '0', '--listen', '127.0.0.1', '--out', dirs.run, ...FAST_MEASURE],
      { env: { ZERONAS_CONFIG_DIR: dirs.config }, timeoutMs: 500_000 },
    );
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toMatch(/round 1: flash search .* in \d+\.\d+ s/);
    const s = readSummary(dirs.run);
    expect(s.space).toBe('flash');
    expect(s.algo).toBe('flash');
    expect(s.targets[0]!.best).not.toBeNull();
    expect(s.targets[0]!.best!.verifiedMedian!).toBeLessThanOrEqual(200);
  }, 600_000);

  it('--space idw --resolution 64: the ImageNet-type space at a reduced resolution, with a FLOPs budget', async () => {
    const dirs = tempDirs();
    const r = await runCli(
      ['orchestrate', '--targets', 'local', '--space', 'idw', '--resolution', '64', '--algo', 'evolution', '--proxy', 'params', '--budget', 'flops<=60M', '--max-scored', '16', '--measure', '4', '--rounds', '2', '--verify-rounds', '1',
        '--port', '0', '--listen', '127.0.0.1', '--out', dirs.run, ...FAST_MEASURE],
      { env: { ZERONAS_CONFIG_DIR: dirs.config }, timeoutMs: 500_000 },
    );
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const s = readSummary(dirs.run);
    expect(s.spaceDescription).toMatch(/3x64x64/);
    expect(s.budgets).toEqual(['flops<=60M']);
    expect(s.targets[0]!.best).not.toBeNull();
    expect(s.targets[0]!.best!.macs).toBeLessThanOrEqual(60e6);
  }, 600_000);
});
