/**
 * `orchestrate` options checked before anything starts, and a run that timed out waiting for a browser resumed:
 * the CLI as a real process on loopback (no agent attaches; --proxy params keeps start-up cheap).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/runCli.js';

const root = mkdtempSync(join(tmpdir(), 'zeronas-orch-options-'));
const env = { ZERONAS_CONFIG_DIR: join(root, 'config') };

describe('orchestrate options', () => {
  it('refuses a bad --port or --wait-agents with ZN_BAD_ARGUMENT naming the value, before any run folder exists', async () => {
    const out = join(root, 'never');
    const cases = [
      [['--port', '-5'], false, 'ZN_BAD_ARGUMENT: --port must be an integer from 0 to 65535 (0 = any free port, printed when listening), got -5'],
      [['--port', '99999', '--json'], true, '--port must be an integer from 0 to 65535 (0 = any free port, printed when listening), got 99999'],
      [['--wait-agents', '-1'], false, 'ZN_BAD_ARGUMENT: --wait-agents must be a positive number of seconds (e.g. 120), got -1'],
    ] as const;
    for (const [bad, isJson, expected] of cases) {
      const r = await runCli(['orchestrate', '--targets', 'local', '--proxy', 'params', '--out', out, ...bad], { env });
      expect(r.code).toBe(1);
      if (isJson) expect(JSON.parse(r.stdout)).toMatchObject({ code: 'ZN_BAD_ARGUMENT', message: expected });
      else expect(r.stderr).toContain(expected);
      expect(r.stderr).not.toContain('internal error');
      expect(existsSync(out)).toBe(false);
    }
  });

  it('a browser run that timed out names its folder and resume command; the resume honours --wait-agents, asks the phone to pair again, and refuses a changed --measure', async () => {
    const run = join(root, 'browser-run');
    const first = await runCli(['orchestrate', '--targets', 'browser', '--port', '0', '--listen', '127.0.0.1', '--proxy', 'params', '--wait-agents', '1', '--out', run, '--json'], { env, timeoutMs: 120_000 });
    expect(first.code, first.stderr).toBe(1);
    const resumeCommand = `npx zeronas orchestrate --resume ${run} --wait-agents 300`;
    expect(JSON.parse(first.stdout)).toMatchObject({ code: 'ZN_NO_AGENT', message: expect.stringContaining(resumeCommand), details: { missing: ['browser'], runDir: run, resumeCommand } });
    expect(existsSync(join(run, 'config.json'))).toBe(true);

    const resumed = await runCli(['orchestrate', '--resume', run, '--wait-agents', '2'], { env, timeoutMs: 120_000 });
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toContain('RESUMED RUN: browser target(s) browser must pair again');
    expect(resumed.stderr).toMatch(/pairing code [0-9A-Z]{4}-[0-9A-Z]{4} \(single use/);
    // The saved run waited 1 s; the command line's 2 s wins (it changes no result).
    expect(resumed.stderr).toContain('ZN_NO_AGENT: no agent attached for target(s) browser within 2s');

    const changed = await runCli(['orchestrate', '--resume', run, '--measure', '50'], { env });
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain("ZN_BAD_ARGUMENT: --resume " + run + ": --measure 50 differs from the saved run's 12");
  }, 240_000);
});
