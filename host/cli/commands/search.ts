import type { CommandModule } from 'yargs';
import { spaceNames, spaceSummaries } from '../../spaces/index.js';
import type { OutputOptions } from '../output.js';
import { withQueueOptions, type QueueArgs } from '../queueOptions.js';
import { RANK_AGGREGATIONS } from '../../proxies/ensemble.js';

export interface SearchArgs extends OutputOptions, QueueArgs {
  space: string;
  algo: string;
  proxy?: string;
  aggregate?: string;
  iterations: number;
  population?: number;
  seed: number;
  budget: string[];
  cost: string[];
  maxScored?: number;
  scoreResolution?: number;
  data?: string;
  batchSize: number;
  batches: number;
  state?: string;
  report?: string;
}

const DEFAULT_ITERATIONS = 1000;
/** SHGO iterations: the predictor's optimum is found in the first (docs/engineering/flash-search.md); more only add points. */
export const FLASH_DEFAULT_ITERATIONS = 4;

export const searchCommand: CommandModule<object, SearchArgs> = {
  command: 'search',
  describe: "Zero-shot search: ZiCo's evolution, NSGA-II, FLASH's SHGO or budget-first sampling, under FLOPs/params/latency budgets",
  builder: (y) =>
    withQueueOptions(y)
      .option('space', { type: 'string', default: 'nb201', choices: spaceNames(), describe: `Search space: ${spaceSummaries()}` })
      .option('algo', {
        type: 'string',
        default: 'evolution',
        choices: ['evolution', 'nsga2', 'flash', 'sample'],
        describe: 'Search algorithm (flash: FLASH space only; sample: random candidates, budgets checked before scoring, best score wins)',
      })
      .option('proxy', { type: 'string', describe: "Proxy that scores candidates (default: the space's best measured, meco_opt+swap+az_nas on nb201, zico elsewhere) (see zeronas score --help); several joined by '+' (e.g. zico+params) are combined by rank: over everything scored with --algo sample, against a reference sample scored first with the other algorithms" })
      .option('aggregate', { type: 'string', choices: [...RANK_AGGREGATIONS], describe: 'How combined proxies are ranked: sum of ranks (default), or AZ-NAS sum of ln(rank/n) (the default when the combination includes az_nas)' })
      .option('iterations', {
        type: 'number',
        describe:
          `Evolution iterations T, NSGA-II generations (default ${DEFAULT_ITERATIONS}); flash: SHGO iterations on the fitted predictor, each adding 128 Sobol points (default ${FLASH_DEFAULT_ITERATIONS}; no proxy scoring, cost grows with the square of the points); sample: use --max-scored`,
      })
      .option('population', { type: 'number', describe: 'Population size (evolution default 512 as ZiCo; NSGA-II 40)' })
      .option('seed', { type: 'number', default: 0, describe: 'Seed of the search (and of weight init / batches)' })
      .option('budget', { type: 'string', array: true, default: [], describe: 'flops<=450M, params<=5M, layers<=14, <target>:latency<=<x>ms or <target>:energy<=<x>mJ (a target budget needs --cost for that target; repeatable)' })
      .option('cost', { type: 'string', array: true, default: [], describe: '<target>=model:<cost-model.round<r>.json> (a model orchestrate saved, e.g. calibrated from a lookup table) or <target>=table:<csv>:<column>: cost of a target (repeatable)' })
      .option('max-scored', { type: 'number', describe: 'Stop after scoring this many distinct architectures (sample: how many to score, default 500; flash: caps its 25-architecture predictor sample, at least 4)' })
      .option('score-resolution', { type: 'number', describe: 'idw: input size of the graphs the proxy scores (default 32; budgets still count FLOPs at 224)' })
      .option('data', { type: 'string', describe: 'Dataset for data-driven proxies (default: bundled CIFAR-10 sample)' })
      .option('batch-size', { type: 'number', default: 64, describe: 'Mini-batch size of the data-driven proxies (ZiCo, MeCo, SWAP)' })
      .option('batches', { type: 'number', default: 2, describe: "Mini-batches (ZiCo's N)" })
      .option('state', { type: 'string', describe: 'JSON file holding the search state: written as the search runs, resumed from when it exists' })
      .option('report', { type: 'string', describe: 'Also write a self-contained HTML report (fronts, best, top 20) to this file' })
      .example("$0 search --space nb201 --proxy zico --cost raspi4=table:../shared/data/hw/hwnasbench_nb201.csv:cifar10_raspi4_latency --budget 'raspi4:latency<=25.7ms' --max-scored 500", 'NB201 under a Raspberry Pi 4 latency budget')
      .example("$0 search --space nb201 --algo sample --proxy zico+params --cost raspi4=table:../shared/data/hw/hwnasbench_nb201.csv:cifar10_raspi4_latency --budget 'raspi4:latency<=25.7ms' --max-scored 500", 'Best of 500 feasible random cells by ZiCo and #params ranks')
      .example("$0 search --space idw --budget flops<=450M --budget layers<=14 --iterations 200 --population 32 --batch-size 16 --state idw.json", "ZiCo's ImageNet space at reduced scale, resumable") as never,
  handler: async (args) => {
    const { runSearchCommand } = await import('../runSearchCommand.js');
    // The default depends on the algorithm: an SHGO iteration is not an evolution step (see --iterations).
    await runSearchCommand({ ...args, iterations: args.iterations ?? (args.algo === 'flash' ? FLASH_DEFAULT_ITERATIONS : DEFAULT_ITERATIONS) });
  },
};
