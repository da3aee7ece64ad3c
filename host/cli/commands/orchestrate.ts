import { appendFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { ZeronasError } from '../../../shared/errors.js';
import { printJson, type OutputOptions } from '../output.js';
import { withQueueOptions, type QueueArgs } from '../queueOptions.js';
import { spaceNames, spaceSummaries } from '../../spaces/index.js';
import { SEARCH_ALGOS } from '../../search/index.js';
import { RANK_AGGREGATIONS } from '../../proxies/ensemble.js';
import { checkPort, checkWaitAgents, DEFAULT_WAIT_AGENTS_S } from '../hostOptions.js';

export interface OrchestrateArgs extends OutputOptions, QueueArgs {
  targets?: string;
  space: string;
  algo: string;
  proxy?: string;
  aggregate?: string;
  budget: string[];
  measure: number;
  maxScored: number;
  rounds: number;
  verifyRounds: number;
  iterations?: number;
  population?: number;
  lut: string[];
  prior?: string;
  resolution?: number;
  scoreResolution?: number;
  data?: string;
  out?: string;
  resume?: string;
  port?: number;
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  plainWs?: boolean;
  tls?: boolean;
  seed: number;
  batchSize: number;
  batches: number;
  /** Undefined when not given: a fresh run waits DEFAULT_WAIT_AGENTS_S, a resumed one what it saved. */
  waitAgents?: number;
  minRuns?: number;
  minTimeMs?: number;
  truth?: string;
  truthColumn: string;
}

/**
 * Defaults of the options that change a run's results. Kept here so --resume can tell a value given on the command
 * line (it differs from its default) from one yargs filled in (resumeOptions.ts).
 */
export const ORCHESTRATE_DEFAULTS = {
  space: 'nb201',
  algo: 'evolution',
  measure: 12,
  maxScored: 100,
  rounds: 4,
  verifyRounds: 3,
  seed: 0,
  batchSize: 64,
  batches: 2,
  truthColumn: 'cifar10_test_acc',
} as const;

export const orchestrateCommand: CommandModule<object, OrchestrateArgs> = {
  command: 'orchestrate',
  describe: 'Search per target device: proxy scores, real measurements on the fleet, cost models, Pareto fronts',
  builder: (y) =>
    withQueueOptions(y)
      .option('targets', { type: 'string', describe: 'Comma-separated targets: device profiles (pi3b, browser, ...), name:<agent>, local, or <profile>-emu (agents under CPU emulation, e.g. pi4-emu)' })
      .option('space', { type: 'string', default: ORCHESTRATE_DEFAULTS.space, choices: spaceNames(), describe: `Search space: ${spaceSummaries()}` })
      .option('algo', { type: 'string', default: ORCHESTRATE_DEFAULTS.algo, choices: [...SEARCH_ALGOS], describe: "Search run each round against the targets' cost models (flash: FLASH's SHGO co-optimisation, flash space only)" })
      .option('proxy', { type: 'string', describe: "Zero-shot proxy that ranks candidates (default: the space's best measured, meco_opt+swap+az_nas on nb201, zico elsewhere) (see zeronas score --help); several joined by '+' (e.g. zico+params) are combined by rank" })
      .option('aggregate', { type: 'string', choices: [...RANK_AGGREGATIONS], describe: 'How combined proxies are ranked: sum of ranks (default), or AZ-NAS sum of ln(rank/n) (the default when the combination includes az_nas)' })
      .option('budget', {
        type: 'string',
        array: true,
        default: [],
        describe: 'Budget (repeatable): <target>:latency<=15ms, <target>:energy<=2mJ (needs an energy meter on the agents), flops<=450M, params<=1.5M, layers<=14',
      })
      .option('measure', { type: 'number', default: ORCHESTRATE_DEFAULTS.measure, describe: 'Architectures measured per target in the loop (verification re-measurements come on top)' })
      .option('max-scored', { type: 'number', default: ORCHESTRATE_DEFAULTS.maxScored, alias: 'candidates', describe: 'Most distinct architectures the proxy scores in the whole run (cached across rounds)' })
      .option('rounds', { type: 'number', default: ORCHESTRATE_DEFAULTS.rounds, describe: 'Most search-measure-refit rounds (the loop stops earlier when every best is stable)' })
      .option('verify-rounds', { type: 'number', default: ORCHESTRATE_DEFAULTS.verifyRounds, describe: 'Re-measurements of each returned architecture; its median must meet the budget' })
      .option('iterations', { type: 'number', describe: 'Search length per round (evolution iterations, NSGA-II generations, SHGO iterations; default from --max-scored)' })
      .option('population', { type: 'number', describe: 'Evolution / NSGA-II population (default max(10, max-scored/5) for evolution)' })
      .option('lut', { type: 'string', array: true, default: [], describe: '<target>=<lut.json>: lookup table seeding that target\'s latency model (default devices/<target>/luts/<space>-cifar10.json when present; <target>=none: no table)' })
      .option('prior', { type: 'string', describe: "Fleet prior (file, or 'hwnasbench'): round 0 measures the architectures its reference devices disagree about most (docs/engineering/fleet-cost-models.md)" })
      .option('resolution', { type: 'number', describe: 'idw: input size the devices run and FLOPs budgets count (default 224; e.g. 96 for quick runs)' })
      .option('score-resolution', { type: 'number', describe: 'idw: input size the proxies score (default 32)' })
      .option('data', { type: 'string', describe: 'CIFAR-10/100 binary file or image folder for data-driven proxies (default: bundled sample)' })
      .option('out', { type: 'string', describe: 'Run folder (default runs/<id>)' })
      .option('resume', { type: 'string', describe: 'Continue the run in this folder; its options are read from it (--port, --listen and --wait-agents may be given anew; an option that changes results is refused if it differs from the saved run)' })
      .option('port', { type: 'number', describe: 'Port for agents and pages (0 = any free port; default 8765, or the resumed run\'s)' })
      .option('listen', { type: 'string', describe: 'Address to listen on (default 0.0.0.0, all addresses; or the resumed run\'s)' })
      .option('tls-cert', { type: 'string', describe: 'PEM certificate to serve wss:// and https:// with (default: the host\'s own self-signed one, created on first use; agents pin it)' })
      .option('tls-key', { type: 'string', describe: 'PEM private key for --tls-cert' })
      .option('plain-ws', { type: 'boolean', describe: 'Serve plain ws:// and http:// on a network address (the token then crosses the network readable; default only on loopback)' })
      .option('tls', { type: 'boolean', describe: 'Serve wss:// with the host\'s own certificate even on loopback (the default on any other address)' })
      .option('seed', { type: 'number', default: ORCHESTRATE_DEFAULTS.seed, describe: 'Seed of sampling, weight init and batch selection' })
      .option('batch-size', { type: 'number', default: ORCHESTRATE_DEFAULTS.batchSize, describe: 'Proxy mini-batch size' })
      .option('batches', { type: 'number', default: ORCHESTRATE_DEFAULTS.batches, describe: 'Proxy mini-batches (ZiCo uses 2)' })
      .option('wait-agents', { type: 'number', describe: `Seconds to wait for each target to have an agent (default ${DEFAULT_WAIT_AGENTS_S}, or the resumed run's)` })
      .option('min-runs', { type: 'number', describe: 'Override the device profile: minimum timed runs per model' })
      .option('min-time-ms', { type: 'number', describe: 'Override the device profile: minimum timed milliseconds per model' })
      .option('truth', { type: 'string', describe: "Ground-truth CSV keyed by arch_str: the report plots proxy score against it" })
      .option('truth-column', { type: 'string', default: ORCHESTRATE_DEFAULTS.truthColumn, describe: 'Column of --truth to compare with' })
      .example('$0 orchestrate --targets local --budget local:latency<=3ms', 'The embedded default: a loopback agent on this machine')
      .example("$0 orchestrate --targets local --space flash --algo flash --budget 'local:latency<=1ms'", "FLASH's co-optimisation against this machine's fitted model")
      .example("$0 orchestrate --targets local --space idw --resolution 96 --budget 'flops<=100M'", 'The ImageNet-type space at a reduced resolution')
      .example('$0 orchestrate --targets pi3b,browser --budget pi3b:latency<=15ms --measure 20', 'A Raspberry Pi 3B and a phone browser')
      .example('$0 orchestrate --resume runs/20261129-101500-ab12', 'Continue after a crash or Ctrl-C') as never,
  handler: async (args) => {
    const { runOrchestrate } = await import('../runOrchestrate.js');
    const summary = await runOrchestrate(args);
    if (args.json) printJson(summary);
  },
};

export function validateOrchestrateArgs(args: OrchestrateArgs): void {
  if (!args.resume && !args.targets) throw new ZeronasError('ZN_BAD_ARGUMENT', 'give --targets (e.g. --targets local) or --resume <run folder>');
  for (const [name, v, min] of [
    ['measure', args.measure, 1],
    ['max-scored', args.maxScored, 2],
    ['rounds', args.rounds, 1],
    ['verify-rounds', args.verifyRounds, 1],
    ['iterations', args.iterations ?? 1, 1],
    ['population', args.population ?? 2, 2],
    ['batch-size', args.batchSize, 2],
    ['batches', args.batches, 1],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new ZeronasError('ZN_BAD_ARGUMENT', `--${name} must be an integer >= ${min}, got ${v}`);
  }
  checkPort(args.port);
  checkWaitAgents(args.waitAgents);
  if (args.resume && !existsSync(join(resolve(args.resume), 'config.json'))) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `--resume '${args.resume}' is not a run folder (no config.json in it)`);
  }
  if (args.truth !== undefined && !existsSync(args.truth)) throw new ZeronasError('ZN_BAD_ARGUMENT', `--truth '${args.truth}' does not exist`, { path: args.truth });
  void appendFileSync;
}
