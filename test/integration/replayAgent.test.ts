/**
 * A real replay agent process (`node bin/zeronas-agent.js --replay <csv>:<column>`) against the real host (server,
 * scheduler, store) on loopback: it registers as profile `replay`, answers a known NAS-Bench-201 arch with the
 * table's latency and energy (labelled replay everywhere), fails an unknown arch with ZN_REPLAY_UNKNOWN_ARCH, and
 * never asks for model bytes (its cache folder is never created). A table without the named column stops the agent
 * at start-up with ZN_BAD_DATA naming it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measurement as measurementSchema } from '../../shared/protocol/messages.js';
import { HOST_TOKEN, NB201_INPUTS, startInProcessHost, until, type InProcessHost } from '../helpers/inProcessHost.js';
import { agentEnv, startProcess, type Proc } from '../helpers/processes.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/hwnasbench_nb201_subset.csv', import.meta.url));
/** Row 0 of the fixture: cifar10_raspi4_latency 10.48198 ms, cifar10_edgegpu_energy 24.22661 mJ. */
const KNOWN = '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|';
const UNKNOWN = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|';
const RUN = 'replay-run';
const TARGET = 'replay';

let host: InProcessHost;
let agent: Proc;
let dir: string;
let cacheDir: string;

/** One job per arch string (the host puts it in the offer's model.label); the model bytes are never sent. */
function enqueue(arch: string, maxAttempts = 3): number {
  const sha = host.store.putModel(new TextEncoder().encode(`not an onnx model: ${arch}`), arch);
  return host.scheduler.enqueue({
    runId: RUN,
    target: TARGET,
    kind: 'measure',
    arch,
    modelSha256: sha,
    settings: { inputs: NB201_INPUTS, settings: {} },
    dedupeKey: `${RUN}|${arch}`,
    maxAttempts,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zeronas-replay-test-'));
  cacheDir = join(dir, 'cache-never-created');
  host = await startInProcessHost();
  host.server.setTargets([TARGET]);
  agent = startProcess(
    'zeronas-agent.js',
    [
      '--host',
      host.agentUrl,
      '--replay',
      `${FIXTURE}:cifar10_raspi4_latency`,
      '--replay-energy',
      'cifar10_edgegpu_energy',
      '--cache-dir',
      cacheDir,
      '--reconnect-max-ms',
      '1000',
    ],
    agentEnv(HOST_TOKEN),
  );
  await agent.waitFor(/registered as/);
});

afterAll(async () => {
  agent?.kill('SIGKILL');
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('zeronas-agent --replay against the real host', () => {
  it('registers as a replay device, says REPLAY at start-up and loads no runtime', () => {
    const [connected] = [...host.server.agents.values()];
    expect(connected?.id).toMatch(/^replay-cifar10_raspi4_latency@[0-9a-f]{12}$/);
    expect(connected?.device).toMatchObject({ profile: 'replay', cpu: { model: 'replay of cifar10_raspi4_latency' } });
    expect(connected?.device.runtimes.map((r) => r.runtime)).toEqual(['replay']);
    expect(agent.output()).toMatch(
      /REPLAY agent 'replay-cifar10_raspi4_latency': answers jobs from hwnasbench_nb201_subset\.csv#cifar10_raspi4_latency/,
    );
    expect(agent.output()).not.toMatch(/runtime ort-node/);
  });

  it("answers a known arch with the table's latency and energy, labelled replay", async () => {
    const id = enqueue(KNOWN);
    await until(
      () => (host.scheduler.job(id)!.state === 'done' ? true : undefined),
      `job ${id} done; agent output:\n${agent.output()}`,
    );
    const [row] = host.store.measurements(RUN, TARGET).filter((r) => r.job_id === id);
    expect(row?.arch).toBe(KNOWN);
    expect(row?.latency_median_ms).toBe(10.48198);
    expect(row?.energy_j).toBeCloseTo(0.02422661, 12);
    const m = measurementSchema.parse(JSON.parse(row!.result_json));
    expect(m.runtime).toMatchObject({
      runtime: 'replay',
      version: 'hwnasbench_nb201_subset.csv#cifar10_raspi4_latency',
      executionProvider: 'replay',
    });
    expect(m.device.profile).toBe('replay');
    expect(m.energy).toMatchObject({ status: 'measured', method: 'replay', rails: ['replay-table'] });
    expect(m.samplesMs).toEqual([10.48198]);
    expect(existsSync(cacheDir)).toBe(false); // no model was transferred or cached
  });

  it('fails an arch that is not in the table with ZN_REPLAY_UNKNOWN_ARCH', async () => {
    const id = enqueue(UNKNOWN, 1);
    const job = await until(() => {
      const j = host.scheduler.job(id)!;
      return j.state === 'failed' ? j : undefined;
    }, `job ${id} failed; agent output:\n${agent.output()}`);
    expect(job.last_error).toMatch(/^ZN_REPLAY_UNKNOWN_ARCH: arch '\|nor_conv_3x3~0\|.*' is not in replay table/);
    expect(host.store.measurements(RUN, TARGET).some((r) => r.job_id === id)).toBe(false);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    agent.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  });
});

describe('zeronas-agent --replay with a bad table', () => {
  it("exits 1 with ZN_BAD_DATA naming column 'cifar10_raspi5_latency' before connecting", async () => {
    const bad = startProcess(
      'zeronas-agent.js',
      ['--host', 'ws://127.0.0.1:9/agent', '--replay', `${FIXTURE}:cifar10_raspi5_latency`],
      agentEnv('unused'),
    );
    try {
      expect(await bad.exited).toBe(1);
      expect(bad.output()).toMatch(
        /ZN_BAD_DATA: replay table '.*hwnasbench_nb201_subset\.csv' has no latency column 'cifar10_raspi5_latency'/,
      );
    } finally {
      bad.kill('SIGKILL');
    }
  });
});
