import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../../agent/client.js';
import { buildAgentParser, parseAgentArgs, resolveAgentConfig } from '../../../agent/cli.js';

async function config(argv: string[]) {
  return resolveAgentConfig((await buildAgentParser(argv).parseAsync()) as Record<string, unknown>);
}

describe('zeronas-agent options', () => {
  it('parses host, token, name, device and INA settings', async () => {
    const c = await config(['--host', 'ws://10.0.0.2:8765/agent', '--token', 'T', '--name', 'kitchen-pi', '--device', 'pi3b', '--ina-chip', 'ina226', '--ina-address', '0x41', '--max-model-mb', '64']);
    expect(c).toMatchObject({ hostUrl: 'ws://10.0.0.2:8765/agent', token: 'T', name: 'kitchen-pi', device: 'pi3b', maxModelBytes: 64 * 1024 * 1024 });
    expect(c.energy.ina).toEqual({ chip: 'ina226', bus: 1, address: 0x41, shuntOhms: 0.1 });
  });

  it("takes its options from ZERONAS_* and ignores the host's ZERONAS_* settings (ZERONAS_CONFIG_DIR, ZERONAS_THREADS)", async () => {
    const env = { ZERONAS_CONFIG_DIR: '/tmp/zeronas-host-config', ZERONAS_THREADS: '1', ZERONAS_TOKEN: 'from-env', ZERONAS_CACHE_MAX_MB: '64' };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      const c = resolveAgentConfig(await parseAgentArgs(['--host', 'ws://10.0.0.2:8765/agent']));
      expect(c).toMatchObject({ token: 'from-env', cacheMaxBytes: 64 * 1024 * 1024 });
      expect(process.env.ZERONAS_CONFIG_DIR).toBe('/tmp/zeronas-host-config'); // put back for the rest of the process
      await expect(parseAgentArgs(['--host', 'ws://x', '--no-such-option'])).rejects.toThrow(/Unknown argument/);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("rejects --host 'http://x' (must be ws:// or wss://)", async () => {
    await expect(config(['--host', 'http://x', '--token', 'T'])).rejects.toThrow(/--host 'http:\/\/x' must start with ws:\/\//);
  });

  it('rejects --ina-address 0x99 (not a 7-bit address)', async () => {
    await expect(config(['--host', 'ws://x', '--token', 'T', '--ina-address', '0x99'])).rejects.toThrow(/0x99/);
  });

  it('rejects --max-model-mb 1000 above the protocol limit', async () => {
    await expect(config(['--host', 'ws://x', '--token', 'T', '--max-model-mb', '1000'])).rejects.toThrow(/exceeds the protocol limit/);
  });

  it('requires --energy-cmd with --energy external-command', async () => {
    await expect(config(['--host', 'ws://x', '--token', 'T', '--energy', 'external-command'])).rejects.toThrow(/needs --energy-cmd/);
  });
});

describe('zeronas-agent --replay options', () => {
  const base = ['--host', 'ws://x', '--token', 'T'];

  it("splits --replay 'C:/t.csv:cifar10_raspi4_latency' on the last ':' and names the agent replay-<column>", async () => {
    const c = await config([...base, '--replay', 'C:/t.csv:cifar10_raspi4_latency', '--replay-noise', 'cifar100_raspi4_latency', '--replay-seed', '7']);
    expect(c.replay).toEqual({ path: 'C:/t.csv', column: 'cifar10_raspi4_latency', noiseColumn: 'cifar100_raspi4_latency', energyColumn: null, seed: 7 });
    expect(c.name).toBe('replay-cifar10_raspi4_latency');
    expect(c.device).toBe('replay');
    expect((await config([...base, '--replay', 't.csv:c', '--name', 'bench'])).name).toBe('bench');
    expect((await config(base)).replay).toBeNull();
  });

  it("rejects --replay 't.csv' without a column", async () => {
    await expect(config([...base, '--replay', 't.csv'])).rejects.toThrow(/--replay 't\.csv' must be <csv>:<column>/);
  });

  it('rejects --replay-noise without --replay', async () => {
    await expect(config([...base, '--replay-noise', 'cifar100_raspi4_latency'])).rejects.toThrow(/--replay-noise needs --replay/);
  });

  it('rejects --device pi4 and --energy rapl with --replay (a replay agent measures nothing)', async () => {
    await expect(config([...base, '--replay', 't.csv:c', '--device', 'pi4', '--energy', 'rapl'])).rejects.toThrow(/--device pi4, --energy rapl cannot be combined with --replay/);
  });

  it('rejects --device replay without --replay', async () => {
    await expect(config([...base, '--device', 'replay'])).rejects.toThrow(/--device replay is only for replay agents/);
  });

  it('rejects --replay-seed -1, and --replay-seed without --replay-noise', async () => {
    await expect(config([...base, '--replay', 't.csv:c', '--replay-noise', 'n', '--replay-seed', '-1'])).rejects.toThrow(/--replay-seed must be an integer/);
    await expect(config([...base, '--replay', 't.csv:c', '--replay-seed', '3'])).rejects.toThrow(/--replay-seed needs --replay-noise/);
  });

  it("does not offer 'replay' as an --energy meter", async () => {
    await expect(config([...base, '--energy', 'replay'])).rejects.toThrow(/Invalid values/);
  });
});

describe('reconnect backoff', () => {
  it('doubles from 500 ms, caps at 30 s, jitter in [delay/2, delay]', () => {
    expect(backoffDelayMs(0, 500, 30_000, () => 1)).toBe(500);
    expect(backoffDelayMs(0, 500, 30_000, () => 0)).toBe(250);
    expect(backoffDelayMs(3, 500, 30_000, () => 1)).toBe(4000);
    expect(backoffDelayMs(20, 500, 30_000, () => 1)).toBe(30_000);
  });
});
