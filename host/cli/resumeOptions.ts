/**
 * `orchestrate --resume`: which command-line options apply to the resumed run. Options of the session only (where
 * to listen, how long to wait for agents) do not change what the run finds, so the command line wins over the
 * saved run. Options that change results (targets, budgets, proxy, measurement counts, ...) cannot change half way:
 * one given with a value other than the saved run's is refused, naming both values. An option is taken as given
 * when it is on the command line (`rawArgv`), or differs from its yargs default.
 */
import { resolve } from 'node:path';
import { ZeronasError } from '../../shared/errors.js';
import { parseAnyBudget } from '../budgets/budget.js';
import type { OrchestrateConfig } from '../workflows/orchestrate.js';
import { ORCHESTRATE_DEFAULTS, type OrchestrateArgs } from './commands/orchestrate.js';

/** The saved config with the session options of the command line applied; throws on a result option that differs. */
export function resumedConfig(args: OrchestrateArgs, saved: OrchestrateConfig, runDir: string, rawArgv: readonly string[] = []): OrchestrateConfig {
  const conflicts = resumeConflicts(args, saved, runDir, rawArgv);
  if (conflicts.length) {
    throw new ZeronasError(
      'ZN_BAD_ARGUMENT',
      `--resume ${args.resume}: ${conflicts.join('; ')}. Options that change results cannot change in a resumed run: drop them to continue with the saved values, or start a new run (without --resume)`,
      { runDir, conflicts },
    );
  }
  // A resumed run listens where it did (agents were told that address), unless told otherwise.
  return {
    ...saved,
    runDir,
    port: args.port ?? saved.port,
    host: args.listen ?? saved.host,
    waitAgentsMs: args.waitAgents !== undefined ? args.waitAgents * 1000 : saved.waitAgentsMs,
  };
}

/** One line per result option given with a value other than the saved run's. */
export function resumeConflicts(args: OrchestrateArgs, saved: OrchestrateConfig, runDir: string, rawArgv: readonly string[] = []): string[] {
  // yargs fills defaults in, so a value equal to the default may have been typed: the command line says which were
  const typed = (option: string): boolean => [option, ...(option === 'max-scored' ? ['candidates'] : [])].some((o) => rawArgv.some((t) => t === `--${o}` || t.startsWith(`--${o}=`)));
  const out: string[] = [];
  const differs = (option: string, given: unknown, kept: unknown): void => {
    if (JSON.stringify(given) !== JSON.stringify(kept ?? null)) out.push(`--${option} ${fmt(given)} differs from the saved run's ${fmt(kept)}`);
  };
  const withDefault = <K extends keyof typeof ORCHESTRATE_DEFAULTS>(option: string, key: K, kept: unknown): void => {
    const given = args[key as keyof OrchestrateArgs];
    if (given !== ORCHESTRATE_DEFAULTS[key] || typed(option)) differs(option, given, kept);
  };
  if (args.targets !== undefined) differs('targets', args.targets.split(',').map((t) => t.trim()).filter(Boolean), saved.targets);
  withDefault('space', 'space', saved.space);
  withDefault('algo', 'algo', saved.algo);
  if (args.proxy !== undefined) differs('proxy', args.proxy, saved.proxy);
  if (args.aggregate !== undefined) differs('aggregate', args.aggregate, saved.aggregate);
  if (args.budget.length) differs('budget', args.budget.map((b) => parseAnyBudget(b).text), saved.budgets.map((b) => b.text));
  withDefault('measure', 'measure', saved.measure);
  withDefault('max-scored', 'maxScored', saved.maxScored);
  withDefault('rounds', 'rounds', saved.rounds);
  withDefault('verify-rounds', 'verifyRounds', saved.verifyRounds);
  if (args.iterations !== undefined) differs('iterations', args.iterations, saved.iterations);
  if (args.population !== undefined) differs('population', args.population, saved.population);
  if (args.lut.length) {
    const given = Object.fromEntries(args.lut.map((spec) => [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)]).map(([t, f]) => [t, f === 'none' ? 'none' : resolve(f!)]));
    differs('lut', given, saved.luts ?? {});
  }
  if (args.prior !== undefined) differs('prior', args.prior === 'hwnasbench' ? args.prior : resolve(args.prior), saved.costPrior);
  if (args.resolution !== undefined) differs('resolution', args.resolution, saved.spaceOptions?.resolution);
  if (args.scoreResolution !== undefined) differs('score-resolution', args.scoreResolution, saved.spaceOptions?.scoreResolution);
  if (args.data !== undefined) differs('data', resolve(args.data), saved.data);
  withDefault('seed', 'seed', saved.seed);
  withDefault('batch-size', 'batchSize', saved.batchSize);
  withDefault('batches', 'batches', saved.batches);
  if (args.minRuns !== undefined) differs('min-runs', args.minRuns, saved.measurement.minRuns);
  if (args.minTimeMs !== undefined) differs('min-time-ms', args.minTimeMs, saved.measurement.minTotalMs);
  if (args.truth !== undefined) differs('truth', resolve(args.truth), saved.truth?.path);
  if (args.truthColumn !== ORCHESTRATE_DEFAULTS.truthColumn || typed('truth-column')) differs('truth-column', args.truthColumn, saved.truth?.column);
  if (args.out !== undefined && resolve(args.out) !== runDir) out.push(`--out ${args.out} is not the resumed run's folder ${runDir}`);
  return out;
}

const fmt = (v: unknown): string => (v === undefined || v === null ? '(none)' : Array.isArray(v) ? v.join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v));
