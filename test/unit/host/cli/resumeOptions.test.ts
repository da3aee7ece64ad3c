import { describe, expect, it } from 'vitest';
import { resumedConfig, resumeConflicts } from '../../../../host/cli/resumeOptions.js';
import { ORCHESTRATE_DEFAULTS, type OrchestrateArgs } from '../../../../host/cli/commands/orchestrate.js';
import { parseAnyBudget } from '../../../../host/budgets/budget.js';
import type { OrchestrateConfig } from '../../../../host/workflows/orchestrate.js';

/** `orchestrate --resume /runs/r1` as yargs hands it over: the defaults filled in, nothing else given. */
const resumeArgs = (over: Partial<OrchestrateArgs> = {}): OrchestrateArgs => ({
  json: false, quiet: false, budget: [], lut: [], ...ORCHESTRATE_DEFAULTS, resume: '/runs/r1', ...over,
});

const saved: OrchestrateConfig = {
  runId: 'r1', runDir: '/runs/r1', targets: ['pi3b', 'browser'], space: 'nb201', algo: 'evolution', proxy: 'zico',
  budgets: [parseAnyBudget('pi3b:latency<=15ms')], measure: 20, maxScored: 100, rounds: 4, verifyRounds: 3, luts: {},
  seed: 0, batchSize: 64, batches: 2, host: '0.0.0.0', port: 8765, waitAgentsMs: 120_000, measurement: { minRuns: 30 },
};

describe('orchestrate --resume options', () => {
  it('keeps the saved run when nothing is given', () => {
    expect(resumedConfig(resumeArgs(), saved, '/runs/r1')).toEqual(saved);
  });

  it('takes --port, --listen and --wait-agents from the command line (they change no result)', () => {
    const c = resumedConfig(resumeArgs({ port: 9000, listen: '127.0.0.1', waitAgents: 4 }), saved, '/runs/r1');
    expect(c).toMatchObject({ port: 9000, host: '127.0.0.1', waitAgentsMs: 4_000, measure: 20 });
  });

  it('accepts a result option given with the saved value, and refuses one that differs, naming both values', () => {
    expect(resumeConflicts(resumeArgs({ targets: 'pi3b,browser', measure: 20, budget: ['pi3b:latency<=15ms'], minRuns: 30 }), saved, '/runs/r1')).toEqual([]);
    expect(resumeConflicts(resumeArgs({ targets: 'pi3b', measure: 50, proxy: 'params', seed: 3, minRuns: 5 }), saved, '/runs/r1')).toEqual([
      "--targets pi3b differs from the saved run's pi3b,browser",
      "--proxy params differs from the saved run's zico",
      "--measure 50 differs from the saved run's 20",
      "--seed 3 differs from the saved run's 0",
      "--min-runs 5 differs from the saved run's 30",
    ]);
    expect(() => resumedConfig(resumeArgs({ measure: 50 }), saved, '/runs/r1')).toThrow(
      expect.objectContaining({ code: 'ZN_BAD_ARGUMENT', message: expect.stringContaining("--resume /runs/r1: --measure 50 differs from the saved run's 20") }),
    );
  });

  it('refuses a typed value that happens to be the default when the saved run differs (--measure 12 against 20)', () => {
    expect(resumeConflicts(resumeArgs(), saved, '/runs/r1', ['--resume', '/runs/r1', '--measure', '12'])).toEqual(["--measure 12 differs from the saved run's 20"]);
    expect(resumeConflicts(resumeArgs(), saved, '/runs/r1', ['--resume', '/runs/r1', '--candidates=100'])).toEqual([]);
    expect(resumeConflicts(resumeArgs(), saved, '/runs/r1', ['--resume', '/runs/r1'])).toEqual([]);
  });
});
