import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../../agent/client.js';
import { buildAgentParser, resolveAgentConfig } from '../../../agent/cli.js';

async function config(argv: string[]) {
  return resolveAgentConfig((await buildAgentParser(argv).parseAsync()) as Record<string, unknown>);
}

describe('zeronas-agent options', () => {
  it('parses host, token, name, device and INA settings', async () => {
    const c = await config(['--host', 'ws://10.0.0.2:8765/agent', '--token', 'T', '--name', 'kitchen-pi', '--device', 'pi3b', '--ina-chip', 'ina226', '--ina-address', '0x41', '--max-model-mb', '64']);
    expect(c).toMatchObject({ hostUrl: 'ws://10.0.0.2:8765/agent', token: 'T', name: 'kitchen-pi', device: 'pi3b', maxModelBytes: 64 * 1024 * 1024 });
    expect(c.energy.ina).toEqual({ chip: 'ina226', bus: 1, address: 0x41, shuntOhms: 0.1 });
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

describe('reconnect backoff', () => {
  it('doubles from 500 ms, caps at 30 s, jitter in [delay/2, delay]', () => {
    expect(backoffDelayMs(0, 500, 30_000, () => 1)).toBe(500);
    expect(backoffDelayMs(0, 500, 30_000, () => 0)).toBe(250);
    expect(backoffDelayMs(3, 500, 30_000, () => 1)).toBe(4000);
    expect(backoffDelayMs(20, 500, 30_000, () => 1)).toBe(30_000);
  });
});
