/**
 * The allocator-tuning relaunch: who is tuned, that the relaunched child really runs with the tunables and passes its
 * output and exit code through, and that device agents get the environment without them.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MALLOC_TUNABLES, wantsMallocTuning, withoutMallocTuning } from '../../../../host/util/mallocTuning.js';

const PROBE = fileURLToPath(new URL('../../../fixtures/mallocTuningProbe.ts', import.meta.url));

describe('malloc tuning', () => {
  it('applies on Linux only, never over a user GLIBC_TUNABLES, and can be switched off', () => {
    expect(wantsMallocTuning({}, 'linux')).toBe(true);
    expect(wantsMallocTuning({}, 'darwin')).toBe(false);
    expect(wantsMallocTuning({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=1' }, 'linux')).toBe(false);
    expect(wantsMallocTuning({ ZERONAS_MALLOC_TUNING: '0' }, 'linux')).toBe(false);
  });

  it('removes only its own tunables from an agent environment', () => {
    expect(withoutMallocTuning({ GLIBC_TUNABLES: MALLOC_TUNABLES, PATH: '/bin' })).toEqual({ PATH: '/bin' });
    expect(withoutMallocTuning({ GLIBC_TUNABLES: 'mine', PATH: '/bin' })).toEqual({ GLIBC_TUNABLES: 'mine', PATH: '/bin' });
  });

  it.runIf(process.platform === 'linux')('relaunches once with the tunables and passes output and exit code through', () => {
    const env = { ...process.env };
    delete env.GLIBC_TUNABLES;
    delete env.ZERONAS_MALLOC_TUNING;
    const res = spawnSync(process.execPath, ['--import', 'tsx', PROBE, '3'], { env, encoding: 'utf8' });
    expect(res.status).toBe(3);
    const report = JSON.parse(res.stdout.trim()) as { tunables: string; pid: number; ppid: number };
    expect(report.tunables).toBe(MALLOC_TUNABLES);
    expect(report.pid).not.toBe(res.pid); // the child, not the process we started
    expect(report.ppid).toBe(res.pid);
  });

  it.runIf(process.platform === 'linux')('does not relaunch when switched off', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', PROBE, '0'], { env: { ...process.env, ZERONAS_MALLOC_TUNING: '0' }, encoding: 'utf8' });
    expect(res.status).toBe(0);
    const report = JSON.parse(res.stdout.trim()) as { tunables: string | null; pid: number };
    expect(report.pid).toBe(res.pid);
  });
});
